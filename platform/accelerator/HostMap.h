// Host-visible memory map of the Accelerator (socket `host`); see docs/memory-map.md.
// The interconnect uses the same addresses for program memory and global buffer, so a
// tile, the host and a debugger all name a location the same way.
#pragma once

#include <cstdint>

namespace sotsim::host_map {

inline constexpr std::uint64_t kCsrBase = 0x00000000, kCsrSize = 0x1000;
inline constexpr std::uint64_t kProgBase = 0x00100000, kProgSize = 0x0FF00000;
inline constexpr std::uint64_t kGbufBase = 0x10000000, kGbufSize = 0x10000000;
// Tile activation inboxes (pipelined programs): tile i at kInboxBase + i * kInboxStride,
// written only by other tiles' Send (a StreamExtension names channel and sample).
inline constexpr std::uint64_t kInboxBase = 0x20000000, kInboxStride = 0x01000000;

// CSR offsets (32-bit, little endian, 4-byte aligned accesses only)
inline constexpr std::uint32_t kId = 0x00;          // RO 0x534F5453 ("SOTS")
inline constexpr std::uint32_t kVersion = 0x04;     // RO 0x00MMmmpp
inline constexpr std::uint32_t kControl = 0x08;     // WO bit0 RUN (tile_code), bit1 SETUP (setup_code), bit2 CLEAR (done/error), bit3 LOAD (image)
inline constexpr std::uint32_t kStatus = 0x0C;      // RO bit0 BUSY, bit1 DONE, bit2 ERROR
inline constexpr std::uint32_t kIrqEnable = 0x10;   // RW bit0 DONE interrupt
inline constexpr std::uint32_t kIrqStatus = 0x14;   // RO / write 1 to clear: bit0 DONE
inline constexpr std::uint32_t kBatch = 0x18;       // RW samples per run (1..sim.batch); write reallocates tensors
inline constexpr std::uint32_t kTiles = 0x1C;       // RO
inline constexpr std::uint32_t kMacros = 0x20;      // RO total macros
inline constexpr std::uint32_t kInputAddr = 0x24;   // RO host address of the input tensor (float32, B x input_width)
inline constexpr std::uint32_t kOutputAddr = 0x28;  // RO host address of the output tensor (float32, B x output_width)
inline constexpr std::uint32_t kInputWidth = 0x2C;  // RO
inline constexpr std::uint32_t kOutputWidth = 0x30; // RO
inline constexpr std::uint32_t kImageSize = 0x34;   // RW bytes of the program image at kProgBase (CONTROL.LOAD reads them)

inline constexpr std::uint32_t kIdValue = 0x534F5453;
inline constexpr std::uint32_t kCtrlRun = 1u << 0, kCtrlSetup = 1u << 1, kCtrlClear = 1u << 2, kCtrlLoad = 1u << 3;
inline constexpr std::uint32_t kVersionValue = 0x000200;  // 0.2.0: program image, LOAD
inline constexpr std::uint32_t kStatusBusy = 1u << 0, kStatusDone = 1u << 1, kStatusError = 1u << 2;

}  // namespace sotsim::host_map
