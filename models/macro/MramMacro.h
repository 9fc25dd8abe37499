// MramMacro: one SOT-MRAM compute macro as a loosely-timed TLM-2.0 target.
//
// Wraps phys::AnalogMacro (numbers, per-action counts, latency) and adds the memory map
// (models/macro/MacroMap.h), reservation-calendar timing (overlapping requests queue behind the
// running program/MVM), response status on every path, stats and trace signals.
// The target never calls wait(): it only annotates `delay`, so an initiator can dispatch
// to several macros with separate local time offsets and join later.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "models/common/BusyResource.h"
#include "models/common/CsrTable.h"
#include "models/common/Stats.h"
#include "models/common/Trace.h"
#include "models/config/Config.h"
#include "models/macro/MacroMap.h"
#include "models/physics/AnalogMacro.h"

namespace sotsim {

class MramMacro : public sc_core::sc_module, public StatsSource {
public:
    tlm_utils::simple_target_socket<MramMacro> cfg;

    // `macro_id` is the chip-wide macro index (selects the physics random streams);
    // `power_group` the tile it belongs to (per-tile power traces).
    MramMacro(sc_core::sc_module_name name, const Config& config, int macro_id, int power_group = -1);
    ~MramMacro() override;

    // Declare trace signals `<prefix>.busy`, `.mvm_count`, `.adc_active`; nullptr = off.
    void set_trace(TraceSink* sink);

    const phys::AnalogMacro& analog() const { return analog_; }
    int macro_id() const { return macro_id_; }
    const sc_core::sc_time& busy_until() const { return busy_.busy_until(); }
    std::uint64_t mvm_count() const { return mvm_count_; }
    // One-vector writes answered from reads made ahead by an earlier write (sim.stream_window;
    // a host matter, never a figure).
    std::uint64_t windowed_vectors() const { return windowed_vectors_; }

    // StatsSource
    std::string component_kind() const override { return "macro"; }
    const ActionCounter& actions() const override { return actions_.total(); }
    std::vector<StatValue> stats() const override;
    std::map<int, double> layer_busy_s() const override { return busy_.layer_busy_s(); }
    std::map<std::string, double> area_items() const override;
    int power_group() const override { return power_group_; }
    const std::map<int, ActionCounter>* layer_actions() const override { return &actions_.by_layer(); }

private:
    void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& t);
    // Shared decode. `delay` == nullptr: debug access (no time, no counting, no MVM).
    void access(tlm::tlm_generic_payload& t, sc_core::sc_time* delay);

    void csr_access(tlm::tlm_generic_payload& t, std::uint64_t off, sc_core::sc_time* delay);
    void weight_write(tlm::tlm_generic_payload& t, std::uint64_t off, sc_core::sc_time* delay);
    void weight_read(tlm::tlm_generic_payload& t, std::uint64_t off, sc_core::sc_time* delay);
    void input_write(tlm::tlm_generic_payload& t, std::uint64_t off, sc_core::sc_time* delay);
    void output_read(tlm::tlm_generic_payload& t, std::uint64_t off, sc_core::sc_time* delay);

    void declare_csrs();                 // the MacroMap.h registers into csr_
    int readout_units() const;           // ADCs / sense amps / TDCs / neurons of this macro
    int active_readout_units() const;    // of those, used by the programmed block
    // Reserve the macro for `duration` from the request's arrival; annotate delay.
    BusyResource::Grant occupy(sc_core::sc_time& delay, const sc_core::sc_time& duration, int layer);
    void account(int layer, const ActionCounter& delta, const BusyResource::Grant& g);
    // Completes the program begun by the last weight write, if still pending (MacroMap.h,
    // deferred programming): false if it failed; `end` when it ends.
    bool settle(sc_core::sc_time& end);

    const Config config_;  // held by value: the module outlives whoever built it
    int macro_id_;
    int power_group_;
    phys::AnalogMacro analog_;
    sc_core::sc_time cycle_;

    int active_rows_ = 0, active_cols_ = 0;
    // batch x active_cols of the last MVM, row-major: the output window's byte order, so a
    // read burst is one copy.
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> last_y_;
    static constexpr int kVectorsPerRead = 256;   // vectors per physics call (bounds its buffers)
    // Vectors produced per InputSourceExtension::fill (a multiple of kVectorsPerRead: 64 KB of
    // 64-row inputs, written and read in cache; larger blocks measured no faster), and where.
    static constexpr int kFillVectors = kVectorsPerRead;
    std::vector<float> x_rows_;
    // Reads made ahead (LookaheadExtension): the window's inputs and results (row-major,
    // active rows / cols per vector), the next one to hand out, and the block's read count
    // before the window (AnalogMacro::reads). The window holds the config's
    // sim.stream_window vectors at most.
    struct Window {
        std::vector<float> x, y;
        int next = 0, count = 0;
        std::uint64_t first_read = 0;
    } window_;
    ActionCounter window_actions_;   // the window read's own counts: not this write's
    // Serve a one-vector write from the window or open a new one: false if neither (the
    // write is then read on its own). `latency` and `delta` as the write's own read.
    bool windowed_read(tlm::tlm_generic_payload& t, const float* in, double& latency, ActionCounter& delta);
    // Drop what is left of the window: the block's reads go back to the first unused one.
    void drop_window();
    std::uint64_t windowed_vectors_ = 0;
    int last_batch_ = 0;
    bool error_flag_ = false;
    std::uint64_t error_count_ = 0, mvm_count_ = 0, vectors_ = 0, programs_ = 0;
    std::int64_t pulses_ = 0, last_write_failures_ = 0, write_failures_ = 0;

    // A program begun (AnalogMacro::begin_program) and not yet finished by settle().
    struct PendingProgram {
        bool active = false, timed = false;
        phys::BlockSpec spec;
        ActionCounter delta;
        sc_core::sc_time arrival;
        int layer = -1;
    } pending_;
    bool settled_ok_ = false;
    sc_core::sc_time settled_end_;

    BusyResource busy_;
    tlmx::CsrTable csr_;                 // refers to this object's members: not copyable
    LayeredActions actions_;
    TraceSink* sink_ = nullptr;
    TraceChannel tr_busy_, tr_mvm_count_, tr_adc_;
};

}  // namespace sotsim
