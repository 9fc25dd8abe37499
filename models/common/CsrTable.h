// Control/status register decoding, written once for every sotsim target with CSRs
// (MramMacro, Accelerator): a small declarative table of 32-bit registers.
//
//   name     for messages and docs
//   offset   byte offset inside the CSR window (4-byte aligned)
//   access   RO, WO or RW
//   reset    the value after construction; a register without a read callback keeps it
//            (constants such as ID), a stored RW register without a write callback
//            holds what was last written
//   read     optional: the value from the model's state (must not change state)
//   on_write optional: applies a write; returns false to refuse it (generic error, e.g.
//            busy or out of range); without it, a write stores the value
//
// Responses (the same for every table): a transaction that is not exactly 4 bytes ->
// TLM_BURST_ERROR; a misaligned or unlisted offset -> TLM_ADDRESS_ERROR; a read of WO or a
// write of RO -> TLM_COMMAND_ERROR; a refused write -> TLM_GENERIC_ERROR; else TLM_OK.
// Debug access (transport_dbg) goes through the same decode: reads call `read` (no side
// effects by contract), debug writes are refused with TLM_COMMAND_ERROR before any callback
// runs, so a debugger never starts a run or clears a flag.
// Byte enables and streaming are checked by the target before (tlmx::plain_access).
#pragma once

#include <systemc>
#include <tlm>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sotsim::tlmx {

enum class CsrAccess { RO, WO, RW };

struct CsrReg {
    std::string name;
    std::uint32_t offset = 0;
    CsrAccess access = CsrAccess::RO;
    std::uint32_t reset = 0;
    std::function<std::uint32_t(const sc_core::sc_time& now)> read;                // null: stored value
    std::function<bool(std::uint32_t value, const sc_core::sc_time& now)> on_write;  // null: store
};

class CsrTable {
public:
    // Throws std::logic_error on a misaligned or duplicate offset (a programming error).
    CsrTable& add(CsrReg r);

    // Decodes one access at `offset` (relative to the CSR window) at time `now` (the
    // initiator's local time). `debug`: transport_dbg rules above. Sets the response.
    void access(tlm::tlm_generic_payload& t, std::uint64_t offset, const sc_core::sc_time& now, bool debug);

    // The register at `offset`, or nullptr.
    const CsrReg* find(std::uint64_t offset) const;
    const std::vector<CsrReg>& registers() const { return regs_; }

private:
    std::vector<CsrReg> regs_;
    std::vector<std::uint32_t> stored_;  // per register: reset, then the last stored write
};

}  // namespace sotsim::tlmx
