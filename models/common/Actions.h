// Action counting: models only count what they did; one energy model (platform/report)
// turns counts into joules. Plain C++ (no SystemC) so the physics core can use it too.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace sotsim {

// An action's (or a physics energy's) name, interned once per process: counting indexes a
// small array instead of building a string and searching a map, which the streamed models
// did several times per sample and per transaction. The vocabulary below is interned
// before main; any other name gets the next free id when first seen (thread-safe).
class ActionId {
public:
    ActionId(std::string_view name);
    ActionId(const char* name) : ActionId(std::string_view(name)) {}
    ActionId(const std::string& name) : ActionId(std::string_view(name)) {}
    int index() const { return index_; }
    const std::string& name() const;
    operator const std::string&() const { return name(); }
    friend bool operator==(ActionId a, ActionId b) { return a.index_ == b.index_; }
    friend bool operator!=(ActionId a, ActionId b) { return a.index_ != b.index_; }

    // Visits every id interned so far in name order: f(ActionId). Lock-free (the order is
    // published as an immutable list), so observers can use it per event.
    template <class F>
    static void for_each_by_name(F&& f);

private:
    explicit ActionId(int index) : index_(index) {}
    struct Order {
        const int* ids;
        int n;
    };
    static Order by_name();
    int index_;
};

// Counts of named actions (e.g. "adc_conversion", "row_drive", "cell_write",
// "buffer_read_byte", "bus_byte", "digital_add") plus energies the physics core computes
// from actual conductances and voltages (data dependent: "array_read", "cell_write").
// The energy model multiplies each count by the tech table; physics energies are added as
// they are. An action that was counted, even by zero, is present (reports list it).
class ActionCounter {
public:
    void add(ActionId action, double n = 1.0) { count_.at(action.index()) += n; }
    void add_energy(ActionId kind, double joules) { energy_.at(kind.index()) += joules; }
    void merge(const ActionCounter& o) {
        count_.merge(o.count_, 1.0);
        energy_.merge(o.energy_, 1.0);
    }
    void subtract(const ActionCounter& o) {   // a - b: what happened between two snapshots
        count_.merge(o.count_, -1.0);
        energy_.merge(o.energy_, -1.0);
    }
    double get(ActionId action) const { return count_.get(action.index()); }
    double physics_energy(ActionId kind) const { return energy_.get(kind.index()); }
    bool empty() const { return count_.empty() && energy_.empty(); }
    void clear() { *this = ActionCounter(); }
    // Sum of all counts (an op count: order-free for integral counts).
    double total_count() const { return count_.sum(); }

    // f(const std::string& name, double value) for every present entry, in name order (the
    // order reports, the energy model and the trace writer have always summed in).
    template <class F>
    void for_each_count(F&& f) const { count_.for_each(f); }
    template <class F>
    void for_each_energy(F&& f) const { energy_.for_each(f); }
    std::map<std::string, double> counts() const { return count_.to_map(); }
    std::map<std::string, double> energies() const { return energy_.to_map(); }

private:
    // Values by id: the vocabulary's ids in a fixed array with a presence mask (no
    // allocation for a counter that only counts the vocabulary), later ids in a map.
    class Table {
    public:
        double& at(int id) {
            if (id < kInline) {
                used_ |= std::uint64_t{1} << id;
                return v_[id];
            }
            return extra_[id];
        }
        double get(int id) const {
            if (id < kInline) return used_ >> id & 1 ? v_[id] : 0.0;
            const auto it = extra_.find(id);
            return it == extra_.end() ? 0.0 : it->second;
        }
        bool has(int id) const { return id < kInline ? (used_ >> id & 1) != 0 : extra_.count(id) != 0; }
        bool empty() const { return used_ == 0 && extra_.empty(); }
        void merge(const Table& o, double sign) {
            for (std::uint64_t m = o.used_; m != 0; m &= m - 1) {
                const int id = __builtin_ctzll(m);
                at(id) += sign * o.v_[id];
            }
            for (const auto& [id, v] : o.extra_) at(id) += sign * v;
        }
        double sum() const {
            double s = 0;
            for (std::uint64_t m = used_; m != 0; m &= m - 1) s += v_[__builtin_ctzll(m)];
            for (const auto& [id, v] : extra_) s += v;
            return s;
        }
        template <class F>
        void for_each(F& f) const {
            if (empty()) return;
            ActionId::for_each_by_name([&](ActionId a) {
                if (has(a.index())) f(a.name(), get(a.index()));
            });
        }
        std::map<std::string, double> to_map() const {
            std::map<std::string, double> m;
            auto put = [&](const std::string& k, double v) { m.emplace(k, v); };
            for_each(put);
            return m;
        }

    private:
        static constexpr int kInline = 32;  // > the vocabulary (23 distinct names)
        double v_[kInline] = {};
        std::uint64_t used_ = 0;
        std::map<int, double> extra_;
    };
    Table count_, energy_;
};

template <class F>
void ActionId::for_each_by_name(F&& f) {
    const Order o = by_name();
    for (int i = 0; i < o.n; ++i) f(ActionId(o.ids[i]));
}

}  // namespace sotsim

namespace sotsim::action {
// The action vocabulary. Each counted action needs an entry in the tech table
// (`tech.energy`, J per action); the energy model maps it to a breakdown category.
//   category array:        physics energy "array_read" (data dependent, from G and V)
//   category drivers:      row_drive (one row pulse: one row driven for one input cycle),
//                          dac_conversion (one multi-level input: a PWM pulse width per row)
//   category adc:          adc_conversion, tdc_conversion (start/stop and latch, per conversion),
//                          tdc_count (one counter increment)
//   category sense_amp:    sense_amp_compare, neuron_eval, analog_transfer (one block column's
//                          charge onto the summing node of analog accumulation)
//   category write:        cell_write (per pulse: driver overhead), verify_read (per row),
//                          physics energy "cell_write" (I^2 R t of the write path)
//   category buffer:       buffer_read_byte, buffer_write_byte, gbuf_read_byte, gbuf_write_byte,
//                          instr_buffer_word (one 32-bit word of a tile's instruction buffer read
//                          when an instruction issues, or written when the stream is fetched)
//   category interconnect: bus_byte
//   category digital:      digital_add, digital_mult, digital_compare, digital_act,
//                          pe_add_bit (one bit of one addition in a PE adder tree, output
//                          register write included: an add of w bits counts w)
//   category leakage:      tech.leakage[component] (W) x simulated time
inline const ActionId kRowDrive{"row_drive"};
inline const ActionId kDac{"dac_conversion"};
inline const ActionId kAdc{"adc_conversion"};
inline const ActionId kTdc{"tdc_conversion"};
inline const ActionId kTdcCount{"tdc_count"};
inline const ActionId kSenseAmp{"sense_amp_compare"};
inline const ActionId kNeuron{"neuron_eval"};
inline const ActionId kAnalogTransfer{"analog_transfer"};
inline const ActionId kCellWrite{"cell_write"};
inline const ActionId kVerifyRead{"verify_read"};
inline const ActionId kBufRead{"buffer_read_byte"};
inline const ActionId kBufWrite{"buffer_write_byte"};
inline const ActionId kGbufRead{"gbuf_read_byte"};
inline const ActionId kGbufWrite{"gbuf_write_byte"};
inline const ActionId kInstrWord{"instr_buffer_word"};
inline const ActionId kBusByte{"bus_byte"};
inline const ActionId kMeshLinkByte{"mesh_link_byte"};   // per byte and mesh link crossed
inline const ActionId kDigitalAdd{"digital_add"};
inline const ActionId kDigitalMult{"digital_mult"};
inline const ActionId kDigitalCompare{"digital_compare"};
inline const ActionId kDigitalAct{"digital_act"};
inline const ActionId kPeAddBit{"pe_add_bit"};
// physics energies (ActionCounter::add_energy / physics_energy names)
inline const ActionId kArrayReadEnergy{"array_read"};
inline const ActionId kCellWriteEnergy{"cell_write"};
}  // namespace sotsim::action
