// TileController: executes one tile's instruction stream (models/tile/Program.h).
//
// Timing model (loosely timed, temporal decoupling with tlm_quantumkeeper):
//  * Instructions are fetched from program memory (the program image's 33-word records,
//    models/tile/ProgramImage.h) over the interconnect: a stream that fits
//    tile.instruction_buffer_bytes is fetched once into the tile's instruction buffer (at
//    SETUP for the RUN stream; again only after a new LOAD) and issued from there, each
//    issue reading its words (instr_buffer_word each; ceil(words / fetch_words_per_cycle)
//    cycles, the first of which is the issue cycle); a longer stream is fetched record by
//    record from program memory on every pass (bus and program-memory time and energy).
//  * The controller issues in order; each instruction costs one tile-clock issue cycle.
//  * Mvm and Program are *dispatched*: the controller sends them to a macro with the
//    operands' ready time as local offset and goes on without waiting, so consecutive
//    Mvms on different macros overlap in simulated time. A per-tensor scoreboard (data
//    ready time, last pending read) makes later instructions join exactly when they need
//    a result; the same macro queues through its own reservation calendar.
//  * An Mvm into a Pe tensor reduces its partial sums in the processing element's adder
//    tree (models/pe/ProcessingElement.h), not in the digital unit through the buffer.
//  * Digital ops (Affine, Activation, Pool, Add, Copy, Im2col, Mvm accumulation) run on
//    one digital unit of `digital_lanes` ops per cycle as a streaming pipeline with the
//    local buffer ports: an op takes as long as its slowest stage.
//  * Load/Store move data over the interconnect (blocking, like a simple DMA); a multicast
//    Load meets the other tiles of its group in a MulticastHub and one global read serves all.
//  * Barrier / End join everything outstanding and synchronise with the kernel.
//  * Pipelined programs (Program::streamed) run the stream once per step (one sample, or
//    chip.step_samples on a time-multiplexed stage's tiles); Send /
//    Receive move activations to and from other tiles' inboxes (models/tile/Inbox.h): a
//    Send stalls the controller only while the channel has no free slot, a Receive waits
//    (in simulated time only through the scoreboard) for its message.
// Every instruction's traffic and digital work is counted (buffer_*_byte at the tensor's
// modelled bits, digital_*), attributed to the current Layer.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/common/BusyResource.h"
#include "models/common/PayloadPool.h"
#include "models/common/Stats.h"
#include "models/common/Trace.h"
#include "models/config/Config.h"
#include "models/macro/MacroMap.h"
#include "models/macro/MramMacro.h"
#include "models/pe/ProcessingElement.h"
#include "models/tile/DigitalOps.h"
#include "models/tile/GlobalBuffer.h"
#include "models/tile/Inbox.h"
#include "models/tile/LocalBuffer.h"
#include "models/tile/MulticastHub.h"
#include "models/tile/Program.h"
#include "models/tile/TileBarrier.h"

namespace sotsim {

// An instruction stream in program memory: `count` InstrRecords from interconnect address
// `addr` (models/tile/ProgramImage.h).
struct StreamRef {
    std::uint64_t addr = 0;
    std::uint32_t count = 0;
};

// Everything a tile needs to run one stream; owned by the accelerator for the whole run.
// The instructions are fetched from program memory; `program` supplies the tensor and
// block tables the chip decoded at LOAD.
struct TileJob {
    const Program* program = nullptr;
    StreamRef code;                             // the stream to execute (count 0: none)
    StreamRef next;                             // SETUP: the RUN stream, fetched into the buffer afterwards
    std::uint64_t params_addr = 0;              // interconnect address of the image's parameter section
    std::uint64_t image_id = 0;                 // changes with every LOAD: older buffered streams are stale
    int batch = 0;                              // samples B of this run
    int steps = 1;                              // streamed: passes of the stream (ceil(batch / step_samples))
    int step_samples = 1;                       // streamed: samples per pass (Program::step_samples)
    std::vector<std::uint64_t> tensor_addr;     // interconnect address of each global tensor
    std::vector<std::uint64_t> block_addr;      // interconnect address of each block's int32 weights
    TileBarrier* barrier = nullptr;
    MulticastHub* multicast = nullptr;          // rendezvous of multicast Loads (shared by the tiles)
};

class TileController : public sc_core::sc_module, public StatsSource {
public:
    static constexpr std::size_t kThreadStackBytes = 64u << 20;

    tlm_utils::simple_initiator_socket<TileController> to_noc;
    tlm_utils::multi_passthrough_initiator_socket<TileController> to_macros;
    // Activation inbox (pipelined programs): Sends of other tiles arrive here.
    tlm_utils::simple_target_socket<TileController> inbox;
    LocalBuffer buffer;
    // The processing element of all the tile's macros: input broadcast, adder tree.
    ProcessingElement pe;
    // The tile's macros (cfg.tile.macros of them, chip-wide ids tile*macros + i), bound
    // to `to_macros` in order; named "macro<i>".
    sc_core::sc_vector<MramMacro> macros;

    SC_HAS_PROCESS(TileController);
    TileController(sc_core::sc_module_name name, const Config& cfg, int tile);

    // Allocate this tile's local tensors for `batch` samples (throws if they do not fit).
    void prepare(const Program& p, int batch);
    // Start executing `job` `offset` after the current time (the caller's local time);
    // `on_done` is called from the controller thread once the stream ended or failed,
    // with the kernel synchronised to the tile's finish time.
    void start(const TileJob& job, std::function<void(int tile)> on_done,
               const sc_core::sc_time& offset = sc_core::SC_ZERO_TIME);
    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }
    const sc_core::sc_time& finish_time() const { return finish_; }
    int tile() const { return tile_; }
    void set_trace(TraceSink* sink);
    // The chip's tiles by id, for Send flow control (credits read from the receiver's inbox)
    // and the interconnect address of each tile's inbox window.
    void connect_peers(std::vector<TileController*> peers, std::uint64_t inbox_base, std::uint64_t inbox_stride);

    std::string component_kind() const override { return "tile"; }
    const ActionCounter& actions() const override { return actions_.total(); }
    std::vector<StatValue> stats() const override;
    // The tile's own timed resource is its digital unit (macros, PE and buffer report theirs).
    std::map<int, double> layer_busy_s() const override { return digital_.layer_busy_s(); }
    std::map<std::string, double> area_items() const override {
        return {{"digital_unit", 1}, {"tile_control", 1}, {"sram_byte", cfg_.tile.instruction_buffer_bytes}};  // + instruction buffer
    }
    int power_group() const override { return tile_; }
    const std::map<int, ActionCounter>* layer_actions() const override { return &actions_.by_layer(); }
    const std::map<int, std::pair<double, double>>* layer_spans() const override { return &spans_; }
    const std::map<int, std::pair<double, double>>* layer_sample_times() const override { return &sample_times_; }

    // Tile-controller phase in the VCD (`phase`): what the controller issues or waits for.
    enum Phase { kIdle = 0, kLoad = 1, kCompute = 2, kReduce = 3, kSend = 4, kWait = 5 };

private:
    void run_thread();
    // ---- instruction fetch ----
    struct Fetched {
        Instr in;
        std::uint32_t words = 0;          // record + parameter words
    };
    // Fetch `count` records at `addr` (+ their parameters) into the instruction buffer if
    // they fit; otherwise leave it invalid (the stream is then fetched per instruction).
    void fill_buffer(const StreamRef& s);
    bool buffered(const StreamRef& s) const;
    Fetched fetch_remote(std::uint64_t addr);   // one record over the interconnect, at now()
    void read_params(std::uint32_t first, std::uint32_t count, std::vector<float>& out, sc_core::sc_time& t);
    const Instr& fetch(std::size_t pc);
    void read_noc(std::uint64_t addr, void* data, std::size_t bytes, sc_core::sc_time& t, const char* what);
    void execute(const Instr& in, std::size_t pc);
    void exec_mvm(const Instr& in);
    void stage_input(const TensorStore::Data& src, int r0, int rows, int stride, Eigen::Index v0, Eigen::Index nv);
    void scatter_output(const float* rows, TensorStore::Data& dst, int c0, int cols, int stride, Eigen::Index v0,
                        Eigen::Index nv, float scale, bool accumulate);
    void exec_program(const Instr& in, std::size_t pc);
    // Completes the deferred programs (MacroMap.h) in issue order; a failed one throws
    // ProgramFailure with its instruction.
    void finish_programs();
    static std::string failure(const char* what, const std::string& response, std::uint64_t address);
    void exec_load(const Instr& in);
    void exec_multicast_load(const Instr& in, const TensorDecl& sd, TensorStore::Entry& dst, int cols, int row0,
                             int nrows, const sc_core::sc_time& t0);
    void exec_store(const Instr& in);
    void exec_digital(const Instr& in);
    void exec_send(const Instr& in);
    void exec_multicast_send(const Instr& in);
    sc_core::sc_time send_slice(const Instr& in, const TensorStore::Entry& src, Eigen::Index i, Eigen::Index rps,
                                int cols, std::uint64_t sample, const sc_core::sc_time& t0, int receivers,
                                std::vector<sc_core::sc_time>* arrival, const char* what);
    void exec_receive(const Instr& in);
    void inbox_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
    unsigned inbox_dbg(tlm::tlm_generic_payload& t);
    // Rows of global tensor `id` this step touches: the whole batch, or one sample streamed.
    std::pair<int, int> global_rows(int id) const;
    void wait_for(const sc_core::sc_event& ev);
    void join_all();
    void barrier();

    // Helpers over absolute times (sc_time_stamp() + local offset).
    sc_core::sc_time now() const { return qk_.get_current_time(); }
    void set_now(const sc_core::sc_time& t);
    sc_core::sc_time delay_from(const sc_core::sc_time& abs) const { return abs - sc_core::sc_time_stamp(); }
    void transport(tlm::tlm_generic_payload& t, sc_core::sc_time& abs, int macro, const char* what);
    // The controller's transactions, reused (models/common/PayloadPool.h): one of each
    // extension kind a tile attaches.
    using Payloads = tlmx::PayloadPool<tlmx::LayerExtension, tlmx::TrafficExtension, tlmx::MulticastExtension,
                                       TensorSliceExtension, StreamExtension, macro_map::BlockSpecExtension,
                                       macro_map::InputSourceExtension, macro_map::LookaheadExtension,
                                       macro_map::AnalogSumExtension, macro_map::OutputViewExtension>;
    Payloads payloads_;
    tlm::tlm_generic_payload& prepare_slice(Payloads::Tx& tx, tlm::tlm_command cmd, float* data,
                                            const TensorSliceExtension& s, int bits);
    void finish_op(const sc_core::sc_time& end);
    TensorStore::Entry& local(int id, const char* role);
    const TensorDecl& decl(int id) const;
    int rows_of(int id) const { return job_.batch * decl(id).rows_per_sample; }
    bool in_pe(int id) const { return decl(id).where == Location::Pe; }
    // PE registers or the input port's stream: read and written without buffer traffic.
    bool unbuffered(int id) const { return decl(id).where == Location::Pe || decl(id).where == Location::Port; }

    const Config cfg_;  // held by value
    int tile_;
    sc_core::sc_time cycle_;
    tlm_utils::tlm_quantumkeeper qk_;
    sc_core::sc_event start_ev_;
    TileJob job_;
    std::function<void(int)> on_done_;
    std::string error_;
    sc_core::sc_time finish_;

    // scoreboard, absolute times per tensor id
    std::vector<sc_core::sc_time> ready_, read_done_;
    sc_core::sc_time ready_all_;          // latest completion of anything issued
    std::vector<int> macro_block_;        // block currently programmed per tile-local macro
    std::vector<std::uint64_t> macro_image_;  // the image (TileJob::image_id) that block belongs to
    std::uint64_t programs_skipped_ = 0;  // Programs of a block the macro already held
    // Round groups (OpCode::Round): executions of each group (by the pc of its first
    // marker) since the image was loaded, whose parity sets the round order; the group
    // being executed: rounds and instructions of the current round left, and the
    // destination slices (tensor, c0) an Mvm of the group has written.
    std::map<std::size_t, std::uint64_t> group_runs_;
    std::uint64_t group_image_ = 0;
    int group_rounds_left_ = 0, round_instrs_left_ = 0;
    bool in_round_ = false;               // the instruction executing belongs to a round
    std::set<std::pair<int, int>> group_written_;
    // Partial sums the group's Mvms hold (values, widest bits, PE tensors); beyond the PE's
    // registers they wait in the tile buffer between rounds (spill_partial_sums).
    double group_values_ = 0;
    int group_bits_ = 0;
    std::set<int> group_dsts_;
    std::uint64_t sram_bytes_ = 0;        // the local tensors' bytes (prepare)
    std::uint64_t spill_bytes_ = 0;       // partial-sum bytes written to the buffer between rounds
    void spill_partial_sums();
    // The pcs of a round group in reverse round order (odd executions), from the marker at `pc`.
    std::vector<std::size_t> reversed_rounds(std::size_t pc, int rounds, int rows, std::size_t& after);
    struct DeferredProgram {
        std::size_t pc;                                  // its Program instruction
        int macro;
        std::function<bool(sc_core::sc_time&)> finish;   // BlockSpecExtension::finish
        sc_core::sc_time earliest_end;                   // and its earliest_end
    };
    std::vector<DeferredProgram> deferred_;   // issued, not yet finished
    struct ProgramFailure : std::runtime_error {
        ProgramFailure(std::size_t at, const std::string& what) : std::runtime_error(what), pc(at) {}
        std::size_t pc;
    };
    BusyResource digital_;
    int layer_ = -1;
    LayeredActions actions_;
    std::map<int, std::pair<double, double>> spans_;
    // The layer the current sample (step) is in: its start and latest end so far.
    void close_layer_sample();
    std::map<int, std::pair<double, double>> sample_times_;
    int sample_layer_ = -1;
    sc_core::sc_time sample_start_, sample_end_;
    bool sample_started_ = false;
    void mark_input(const sc_core::sc_time& t0);
    std::uint64_t instructions_ = 0, mvms_ = 0;
    std::vector<Fetched> ibuf_;           // decoded copy of the buffered stream
    StreamRef ibuf_stream_;
    std::uint64_t ibuf_image_ = 0;
    bool ibuf_valid_ = false;
    Fetched remote_;                      // the last instruction fetched from program memory
    OpCode current_op_ = OpCode::End;
    std::uint64_t fetch_words_ = 0, remote_fetches_ = 0;
    std::vector<float> xfer_;             // staging for transaction data (Send, the inbox's messages)
    std::vector<float> mvm_in_;           // an Mvm's input burst (apart from xfer_: no refill when Loads shrink it)
    std::vector<float> node_;             // an Mvm's analog-sum node values
    std::vector<float> out_block_;        // scatter_output: a block of outputs, column-major
    // Im2col tensors read only by Mvms are not materialised: an Im2col records its source
    // and geometry (time, traffic and actions as before) and each Mvm gathers its input
    // bursts straight from the source (digital::im2col_rows), the values the tensor would
    // hold. Before anything writes the source, a pending view is materialised, so the result
    // is that of the materialised program in every order. A view lasts for its pass (run or
    // streamed step): begin_pass() drops the previous one, which the pass's Im2col records anew.
    struct Im2colView {
        int src = -1;
        ConvGeom geom;
        int batch = 0, src_rps = 1;
        bool pending = false;
        digital::GatherStage stage;  // the gather's staged source samples, kept across bursts
    };
    std::vector<char> gathered_;          // per tensor id: an Im2col destination only Mvms read
    std::vector<char> shared_, fresh_;    // per tensor id: in shared memory; not yet used in this pass
    void first_touch(const Instr& in);    // zero the instruction's fresh shared tensors
    bool writes_whole_dst(const Instr& in);   // in writes every element of its dst before any read of it
    std::map<int, Im2colView> views_;     // by destination tensor id
    bool gathered(int id) const { return id >= 0 && static_cast<std::size_t>(id) < gathered_.size() && gathered_[id]; }
    void before_write(int id);            // materialise pending views reading tensor `id`
    // Reads ahead (macro_map::LookaheadExtension, sim.stream_window): in a streamed run of
    // one sample per pass, an Mvm source written each pass by one Affine / Activation of the
    // network input's Load is known for the later samples of the run already (the host
    // wrote the whole input): the macros may read those samples' vectors in one call.
    // Purely functional (debug reads, no time, no counts); the macro compares each later
    // write with what was predicted, so a wrong prediction costs speed only.
    struct AheadPlan {
        std::size_t load_pc = 0, op_pc = 0;   // the source's Load and the op that writes the Mvm source
        bool ok = false;
    };
    std::vector<AheadPlan> ahead_plan_;    // per tensor id (plan_ahead, at a run's start)
    struct AheadRows {
        int first = 0, count = 0;          // samples [first, first + count) of the run
        // The source tensor's rows for them, row-major: each row is what the op writes for
        // that sample, and a read ahead hands the macro row-major vectors.
        Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> v;
    };
    std::vector<AheadRows> ahead_rows_;    // per tensor id
    std::vector<float> ahead_buf_;         // a debug read's slice (row-major, a sample's row after the other)
    void plan_ahead();
    // Up to `max` later samples' input vectors of an Mvm reading columns [r0, r0 + rows) of
    // tensor `src` (padded to `stride`), from sample `first` on, into out; returns how many.
    int fill_ahead(int src, int r0, int rows, int stride, int first, int max, float* out);
    bool predict_rows(int src, int first, int count);
    ActivationInbox inbox_;
    std::vector<TileController*> peers_;
    std::uint64_t inbox_base_ = 0, inbox_stride_ = 0;
    std::uint64_t step_ = 0;              // pass of a streamed run
    int pass_first_ = 0, pass_count_ = 1; // its samples: [pass_first_, pass_first_ + pass_count_)
    int prepared_samples_ = 0;            // samples the local tensors are allocated for
    void begin_pass();
    std::map<int, std::uint64_t> multicast_seen_;  // multicast Loads issued per group in this run
    std::uint64_t multicast_loads_ = 0;
    // A tile that fails stops the others: whoever waits on a Send or Receive gives up.
    bool aborted_ = false;
    void abort_peers();
    TraceSink* sink_ = nullptr;
    TraceChannel tr_layer_, tr_phase_;
};

}  // namespace sotsim
