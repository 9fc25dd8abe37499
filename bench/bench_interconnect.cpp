// Transactions per second through the Interconnect (loosely-timed b_transport with
// busy-until contention and bus_byte counting), host-side cost of the TLM path.
// The modules are elaborated once per process (SystemC allows one elaboration); the
// benchmark loops call b_transport directly, as a temporally decoupled initiator would.
#include <benchmark/benchmark.h>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <vector>

#include "models/config/Config.h"
#include "models/noc/Interconnect.h"
#include "models/tile/GlobalBuffer.h"

namespace {
using namespace sc_core;

struct Initiator : sc_module {
    tlm_utils::simple_initiator_socket<Initiator> out{"out"};
    explicit Initiator(sc_module_name n) : sc_module(n) {}
};
struct NullTarget : sc_module {
    tlm_utils::simple_target_socket<NullTarget> in{"in"};
    explicit NullTarget(sc_module_name n) : sc_module(n) { in.register_b_transport(this, &NullTarget::bt); }
    void bt(tlm::tlm_generic_payload& t, sc_time&) { t.set_response_status(tlm::TLM_OK_RESPONSE); }
};

struct Bench {
    sotsim::Config cfg;
    Initiator ini{"ini"};
    sotsim::Interconnect noc{"noc", cfg.chip};
    NullTarget sink{"sink"};
    sotsim::GlobalBuffer gbuf{"gbuf", cfg.chip};
    Bench() {
        ini.out.bind(noc.from_initiators);
        noc.to_targets.bind(sink.in);
        noc.to_targets.bind(gbuf.port);
        noc.map_target(0, 0x0, 0x10000000, "null target");
        noc.map_target(1, 0x10000000, 0x10000000, "global buffer");
        sc_start(SC_ZERO_TIME);  // end of elaboration: multi-socket bindings resolved
    }
};
Bench& bench() {
    static Bench b;
    return b;
}

void run(benchmark::State& state, std::uint64_t base) {
    Bench& b = bench();
    const auto bytes = static_cast<unsigned>(state.range(0));
    std::vector<unsigned char> data(bytes);
    if (base != 0) {  // a global tensor big enough for the transfer
        b.gbuf.clear();
        b.gbuf.allocate(0, 1, static_cast<int>(bytes / 4), 32);
    }
    tlm::tlm_generic_payload t;
    t.set_data_ptr(data.data());
    t.set_data_length(bytes);
    t.set_streaming_width(bytes);
    for (auto _ : state) {
        t.set_write();
        t.set_address(base);
        t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_time delay = SC_ZERO_TIME;
        b.ini.out->b_transport(t, delay);
        benchmark::DoNotOptimize(delay);
    }
    if (!t.is_response_ok()) state.SkipWithError("transaction failed");
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

void BM_InterconnectToNullTarget(benchmark::State& s) { run(s, 0x0); }
void BM_InterconnectToGlobalBuffer(benchmark::State& s) { run(s, 0x10000000); }
BENCHMARK(BM_InterconnectToNullTarget)->Arg(64)->Arg(4096);
BENCHMARK(BM_InterconnectToGlobalBuffer)->Arg(64)->Arg(4096);
}  // namespace

// libsystemc.so references sc_main; the benchmark has its own main. Both are weak so a
// bench file with its own main (or sc_main) can be linked into the same executable.
extern "C" __attribute__((weak)) int sc_main(int, char**) { return 0; }
__attribute__((weak)) int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
