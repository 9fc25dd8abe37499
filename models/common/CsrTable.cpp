#include "models/common/CsrTable.h"

#include <cstring>
#include <stdexcept>

#include "models/common/TlmUtil.h"

namespace sotsim::tlmx {

CsrTable& CsrTable::add(CsrReg r) {
    if (r.offset % 4 != 0) throw std::logic_error("CSR " + r.name + ": offset not 4-byte aligned");
    if (find(r.offset)) throw std::logic_error("CSR " + r.name + ": offset already used by " + find(r.offset)->name);
    stored_.push_back(r.reset);
    regs_.push_back(std::move(r));
    return *this;
}

const CsrReg* CsrTable::find(std::uint64_t offset) const {
    for (const CsrReg& r : regs_)
        if (r.offset == offset) return &r;
    return nullptr;
}

void CsrTable::access(tlm::tlm_generic_payload& t, std::uint64_t offset, const sc_core::sc_time& now, bool debug) {
    if (t.get_data_length() != 4) return burst_error(t);
    const CsrReg* r = offset % 4 == 0 ? find(offset) : nullptr;
    if (!r) return address_error(t);
    const std::size_t i = static_cast<std::size_t>(r - regs_.data());
    if (t.is_read()) {
        if (r->access == CsrAccess::WO) return command_error(t);
        const std::uint32_t v = r->read ? r->read(now) : stored_[i];
        std::memcpy(t.get_data_ptr(), &v, 4);
        return ok(t);
    }
    if (!t.is_write() || debug || r->access == CsrAccess::RO) return command_error(t);
    std::uint32_t v = 0;
    std::memcpy(&v, t.get_data_ptr(), 4);
    if (r->on_write) {
        if (!r->on_write(v, now)) return generic_error(t);
    } else {
        stored_[i] = v;
    }
    ok(t);
}

}  // namespace sotsim::tlmx
