// Barrier among the tile controllers that run a program. A tile arrives after syncing its
// local time, so the release time is the latest arrival. A tile that finishes its stream
// leaves the barrier (fewer parties), so a tile with fewer Barrier instructions cannot
// deadlock the others.
#pragma once

#include <systemc>

#include <cstdint>

namespace sotsim {

class TileBarrier {
public:
    void reset(int parties) {
        parties_ = parties;
        arrived_ = 0;
    }
    // Call from an SC_THREAD with its local time synchronised.
    void arrive_and_wait() {
        const std::uint64_t gen = generation_;
        if (++arrived_ >= parties_) return release();
        while (gen == generation_) sc_core::wait(event_);
    }
    void leave() {
        --parties_;
        if (arrived_ > 0 && arrived_ >= parties_) release();
    }
    std::uint64_t generation() const { return generation_; }

private:
    void release() {
        arrived_ = 0;
        ++generation_;
        event_.notify();  // immediate: all waiters resume at this same simulated time
    }
    int parties_ = 0, arrived_ = 0;
    std::uint64_t generation_ = 0;
    sc_core::sc_event event_;
};

}  // namespace sotsim
