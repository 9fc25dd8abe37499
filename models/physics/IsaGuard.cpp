#include "models/physics/IsaGuard.h"

#define SOTSIM_ISA_STR2(x) #x
#define SOTSIM_ISA_STR(x) SOTSIM_ISA_STR2(x)

namespace sotsim::isa_guard {
const int SOTSIM_ISA_SYMBOL = EIGEN_MAX_ALIGN_BYTES;
const char* library_isa() { return SOTSIM_ISA_STR(SOTSIM_ISA_SYMBOL); }
}  // namespace sotsim::isa_guard
