// Built by the isa:mismatch_is_a_link_error test with baseline x86-64 flags against the
// libraries built for SOTSIM_ARCH: linking must fail on the IsaGuard symbol.
#include <iostream>

#include "models/physics/AnalogMacro.h"

int main() { std::cout << sotsim::isa_guard::library_isa() << "\n"; }
