// This platform's memory map, as seen by the CPU.
//   0x0000_0000  DRAM: the program image, then the MNIST digits (one byte per pixel) and
//                their labels, placed there by the boot loader in sc_main
//   0x4000_0000  sotsim accelerator: its host map (CSRs at +0, program memory at
//                +0x0010_0000, global buffer at +0x1000_0000; sotsim/platform/accelerator/
//                HostMap.h, docs/memory-map.md)
#pragma once

#include <cstdint>

namespace vp_map {
inline constexpr std::uint64_t kDramBase = 0x00000000;
inline constexpr std::uint64_t kAccBase = 0x40000000, kAccSize = 0x20000000;
}  // namespace vp_map
