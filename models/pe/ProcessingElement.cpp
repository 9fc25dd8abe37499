#include "models/pe/ProcessingElement.h"

#include <cmath>

#include "models/common/TlmUtil.h"

namespace sotsim {

using namespace sc_core;

ProcessingElement::ProcessingElement(sc_module_name name, const Config& cfg, int macros, int tile)
    : sc_module(name),
      pe_(cfg.pe),
      macros_(macros),
      cols_(cfg.array.cols),
      tile_(tile),
      cycle_(tlmx::cycles(1, cfg.tile.clock)) {}

void ProcessingElement::set_trace(TraceSink* sink) {
    sink_ = sink;
    tr_reduce_.declare(sink, std::string(name()) + ".reduce", 1);
}

sc_time ProcessingElement::reduce(const sc_time& arrival, double values, int bits, int layer) {
    if (values <= 0) return arrival;
    const auto g = tree_.reserve(arrival, cycle_ * std::ceil(values / pe_.adders), layer);
    count_activity(actions_, layer, sink_, tile_, g.start, g.end, action::kPeAddBit, values * bits);
    tr_reduce_.record(g.start, 1);
    tr_reduce_.record(g.end, 0);
    ++reductions_;
    return g.end;
}

bool ProcessingElement::broadcast_hit(int tensor, int r0, int rows, const sc_time& version, sc_time& ready) {
    if (!lines_valid_ || lines_ != std::make_tuple(tensor, r0, rows) || lines_version_ != version) return false;
    ready = lines_ready_;
    ++broadcast_hits_;
    return true;
}

void ProcessingElement::broadcast_store(int tensor, int r0, int rows, const sc_time& version, const sc_time& ready) {
    lines_ = {tensor, r0, rows};
    lines_version_ = version;
    lines_ready_ = ready;
    lines_valid_ = true;
}

std::vector<StatValue> ProcessingElement::stats() const {
    return {{"reduce_busy_s", tree_.busy_time().to_seconds(), "s", "time the adder tree added partial sums"},
            {"reductions", static_cast<double>(reductions_), "1", "partial-sum batches added into output registers"},
            {"broadcast_hits", static_cast<double>(broadcast_hits_), "1",
             "MVM inputs served by the input broadcast instead of a buffer read"}};
}

std::map<std::string, double> ProcessingElement::area_items() const {
    return {{"pe_adder_bit", static_cast<double>(pe_.adders) * pe_.accumulator_bits},
            {"pe_register_bit", static_cast<double>(macros_) * cols_ * pe_.accumulator_bits}};
}

}  // namespace sotsim
