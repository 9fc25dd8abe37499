// The tile's two Sign activations: ONNX Sign (three levels, Sign(0) = 0) and the +-1
// comparator the compiler emits where the exact pre-activation can never be 0.
#include <catch2/catch.hpp>

#include "models/tile/DigitalOps.h"

using namespace sotsim;

TEST_CASE("SignBinary is a +-1 comparator; Sign keeps ONNX's Sign(0) = 0", "[tile]") {
    Instr sg, sb;
    sg.act = ActKind::Sign;
    sb.act = ActKind::SignBinary;
    CHECK(digital::activate(sg, 0.0f) == 0.0f);
    CHECK(digital::activate(sb, 0.0f) == 1.0f);
    CHECK(digital::activate(sb, -0.0f) == 1.0f);
    CHECK(digital::activate(sb, -1e-30f) == -1.0f);
    CHECK(digital::activate(sb, 2.5f) == 1.0f);
    CHECK(digital::activate(sg, -2.5f) == digital::activate(sb, -2.5f));
}
