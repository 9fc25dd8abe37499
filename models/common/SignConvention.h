// The one definition of Sign used by the tile's digital unit and by every software
// reference: ONNX and PyTorch give Sign(0) = 0, so the chip does too. A layer whose Sign
// input can be exactly 0 therefore produces three levels {-1, 0, +1}; the compiler maps
// those as such (or proves 0 unreachable before it uses a +-1 sense amplifier, and then emits
// a +-1 comparator, ActKind::SignBinary, for the chip's non-exact estimates).
#pragma once

namespace sotsim {

inline float sign_onnx(float x) { return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f); }

}  // namespace sotsim
