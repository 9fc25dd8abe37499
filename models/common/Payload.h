// Generic-payload set-up, written once: every sotsim initiator starts a transaction the
// same way (command, address, data, length = streaming width, no byte enables, no DMI
// hint, response INCOMPLETE) and then adds its extensions (TlmUtil.h).
#pragma once

#include <tlm>

#include <cstddef>
#include <cstdint>

namespace sotsim::tlmx {

inline void prepare(tlm::tlm_generic_payload& t, tlm::tlm_command cmd, std::uint64_t addr, void* data,
                    std::size_t bytes) {
    t.set_command(cmd);
    t.set_address(addr);
    t.set_data_ptr(static_cast<unsigned char*>(data));
    t.set_data_length(static_cast<unsigned>(bytes));
    t.set_streaming_width(static_cast<unsigned>(bytes));
    t.set_byte_enable_ptr(nullptr);
    t.set_byte_enable_length(0);
    t.set_dmi_allowed(false);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

}  // namespace sotsim::tlmx
