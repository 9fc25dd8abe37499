// MulticastHub: the rendezvous of a multicast Load (models/tile/Program.h).
//
// The tiles of a group each issue a multicast Load of the same global slice. The hub
// collects their ready times; the tile that completes the group (the last to join, in
// whatever order the kernel runs the tiles) issues the single global-buffer read at the
// latest ready time of all members, so the result is the same whoever joins last and
// whatever the quantum. It leaves the data and each member's arrival time here; every
// member takes its copy and writes its own local buffer (N local writes for one read).
// Occurrences are counted per tile and group, so the k-th multicast Load of group g on
// one tile meets the k-th on the others (a streamed stream runs once per sample).
#pragma once

#include <systemc>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace sotsim {

class MulticastHub {
public:
    using Key = std::pair<int, std::uint64_t>;  // group, occurrence

    struct Transfer {
        std::vector<int> tiles;                 // members, in joining order
        sc_core::sc_time start;                 // latest ready time of the members
        bool delivered = false;
        std::vector<float> data;                // rows x cols, column major (as the tensors)
        std::map<int, sc_core::sc_time> arrival;  // per member tile
        int taken = 0;
    };

    // Before any tile of a run starts; `running` tiles take part in the run.
    void reset(int running) {
        transfers_.clear();
        running_ = running;
    }
    // A tile's stream ended: groups waiting for more members than still run never complete.
    void leave() {
        --running_;
        event_.notify();
    }
    int running() const { return running_; }

    // Member `tile` is ready at `ready` for transfer `k` of `members` tiles. Returns the
    // transfer; the caller performs it when tiles.size() == members after its join.
    Transfer& join(const Key& k, int tile, const sc_core::sc_time& ready) {
        Transfer& x = transfers_[k];
        if (x.tiles.empty() || ready > x.start) x.start = ready;
        x.tiles.push_back(tile);
        return x;
    }
    void deliver(const Key& k) {
        transfers_.at(k).delivered = true;
        event_.notify();
    }
    bool delivered(const Key& k) const {
        auto it = transfers_.find(k);
        return it != transfers_.end() && it->second.delivered;
    }
    Transfer& at(const Key& k) { return transfers_.at(k); }
    // A member took its copy; the last one frees the transfer.
    void taken(const Key& k) {
        auto it = transfers_.find(k);
        if (it != transfers_.end() && ++it->second.taken >= static_cast<int>(it->second.tiles.size()))
            transfers_.erase(it);
    }
    void wake() { event_.notify(); }
    const sc_core::sc_event& event() const { return event_; }

private:
    std::map<Key, Transfer> transfers_;
    int running_ = 0;
    sc_core::sc_event event_;
};

}  // namespace sotsim
