#include "Memory.h"

#include <cstring>

Memory::Memory(sc_core::sc_module_name name, std::uint64_t bytes, sc_core::sc_time latency)
    : sc_module(name), socket("socket"), data_(bytes, 0), latency_(latency) {
    socket.register_b_transport(this, &Memory::b_transport);
    socket.register_transport_dbg(this, &Memory::transport_dbg);
    socket.register_get_direct_mem_ptr(this, &Memory::get_direct_mem_ptr);
}

// Reads and writes of any length inside the memory; byte enables and streaming are not
// supported (this platform's initiator uses neither).
bool Memory::access(tlm::tlm_generic_payload& t) {
    const std::uint64_t a = t.get_address(), n = t.get_data_length();
    if (a >= data_.size() || n > data_.size() - a) {
        t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return false;
    }
    if (t.is_read())
        std::memcpy(t.get_data_ptr(), data_.data() + a, n);
    else if (t.is_write())
        std::memcpy(data_.data() + a, t.get_data_ptr(), n);
    else {
        t.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        return false;
    }
    t.set_response_status(tlm::TLM_OK_RESPONSE);
    return true;
}

void Memory::b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
    if (t.get_byte_enable_ptr() != nullptr) return t.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    if (t.get_streaming_width() != t.get_data_length()) return t.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    if (access(t)) {
        delay += latency_;
        t.set_dmi_allowed(true);
    }
}

unsigned Memory::transport_dbg(tlm::tlm_generic_payload& t) { return access(t) ? t.get_data_length() : 0; }

bool Memory::get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
    dmi.set_dmi_ptr(data_.data());
    dmi.set_start_address(0);
    dmi.set_end_address(data_.size() - 1);
    dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
    dmi.set_read_latency(latency_);
    dmi.set_write_latency(latency_);
    return true;
}
