// Functional storage of tensors by id (Program.h: a tensor is a B*rows_per_sample x width
// float matrix; the global buffer stores each as its width x B*rows_per_sample transpose,
// i.e. row-major) together with the *modelled* size of each tensor at its precision `bits`.
// Buffers use the modelled size for capacity checks and traffic accounting.
// A tensor's memory outlives clear() and re-allocation: a new batch size reuses it when it
// fits (the host changes the batch between runs: 1 sample, full batches, the remainder), so
// a run touches each tensor's pages once instead of faulting in freshly mapped zero pages
// for every batch size. Re-allocated tensors are zeroed as before. Tensors whose live ranges
// do not overlap may share one memory slot (models/tile/TensorLiveness.h): those are not
// zeroed here; their owner zeroes each at its first use (zero()).
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <new>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sotsim {

class TensorStore {
public:
    // Column-major view of the tensor's storage, aligned like an Eigen::MatrixXf's.
    using Data = Eigen::Map<Eigen::MatrixXf, Eigen::AlignedMax>;
    struct Entry {
        Data data{nullptr, 0, 0};
        int bits = 32;
        std::uint64_t modelled_bytes = 0;
    };

    // Allocate (or re-allocate, zeroed) tensor `id`; other tensors' views stay valid. A tensor
    // allocated not `resident` has its shape but no memory (data() is null) until reside().
    // Throws
    // when the modelled bytes of all tensors would exceed `capacity_bytes` (a program that
    // does not fit the SRAM).
    // With `slot` >= 0 the tensor's view is bound to that shared slot (reserve_slots), not
    // zeroed. `transposed`: the stored rows x cols matrix is the transpose of the caller's
    // tensor (the global buffer keeps its tensors row-major), so an error names the caller's
    // cols x rows shape.
    void allocate(int id, int rows, int cols, int bits, double capacity_bytes, const std::string& what,
                  bool resident = true, int slot = -1, bool transposed = false) {
        const std::uint64_t bytes = (static_cast<std::uint64_t>(rows) * cols * bits + 7) / 8;
        std::uint64_t used = used_bytes_;
        if (auto it = tensors_.find(id); it != tensors_.end()) used -= it->second.modelled_bytes;
        if (static_cast<double>(used + bytes) > capacity_bytes)
            throw std::runtime_error(what + ": tensor " + std::to_string(id) + " (" +
                                     std::to_string(transposed ? cols : rows) + "x" +
                                     std::to_string(transposed ? rows : cols) + " at " + std::to_string(bits) + " bit) needs " +
                                     std::to_string(used + bytes) + " bytes in total, capacity is " +
                                     std::to_string(static_cast<std::uint64_t>(capacity_bytes)) + " bytes");
        Entry& e = tensors_[id];
        if (slot >= 0) bind_slot(id, e, rows, cols, slot);
        else if (resident) bind(id, e, rows, cols);
        else new (&e.data) Data(nullptr, rows, cols);  // shape only, no memory until reside()
        e.bits = bits;
        e.modelled_bytes = bytes;
        used_bytes_ = used + bytes;
    }
    // Memory of the shared slots: slot s holds at least floats[s] values (grow-only, contents
    // undefined); slots beyond floats.size() are freed. Before allocating into them.
    void reserve_slots(const std::vector<std::size_t>& floats) {
        slots_.resize(floats.size());
        for (std::size_t s = 0; s < floats.size(); ++s) grow(slots_[s], floats[s]);
    }
    // Zero tensor `id`'s values (a tensor in a shared slot, at its first use).
    void zero(int id) {
        Entry& e = at(id);
        if (e.data.data() != nullptr) e.data.setZero();
    }
    // Give a non-resident tensor its (zeroed) memory; no-op for a resident one.
    void reside(int id) {
        Entry& e = at(id);
        if (e.data.data() == nullptr && e.data.size() > 0) bind(id, e, static_cast<int>(e.data.rows()), static_cast<int>(e.data.cols()));
    }
    bool has(int id) const { return tensors_.count(id) != 0; }
    Entry& at(int id) {
        auto it = tensors_.find(id);
        if (it == tensors_.end()) throw std::runtime_error("tensor " + std::to_string(id) + " is not allocated here");
        return it->second;
    }
    const Entry& at(int id) const { return const_cast<TensorStore*>(this)->at(id); }
    std::uint64_t used_bytes() const { return used_bytes_; }
    // Forget every tensor (their memory is kept for the next allocations).
    void clear() {
        tensors_.clear();
        used_bytes_ = 0;
    }
    // Free the memory of ids that are not allocated now (a new program's other tensors).
    void release_unused() {
        for (auto it = memory_.begin(); it != memory_.end();)
            it = tensors_.count(it->first) ? std::next(it) : memory_.erase(it);
    }

private:
    struct Memory;
    static void grow(Memory& m, std::size_t n) {
        if (m.capacity >= n) return;
        m.ptr.reset(static_cast<float*>(Eigen::internal::aligned_malloc(n * sizeof(float))));
        m.capacity = n;
    }
    void bind(int id, Entry& e, int rows, int cols) {
        const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
        Memory& m = memory_[id];
        grow(m, n);
        std::fill(m.ptr.get(), m.ptr.get() + n, 0.0f);
        new (&e.data) Data(m.ptr.get(), rows, cols);  // rebind the view (Eigen's documented idiom)
    }
    void bind_slot(int id, Entry& e, int rows, int cols, int slot) {
        const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
        if (static_cast<std::size_t>(slot) >= slots_.size() || slots_[static_cast<std::size_t>(slot)].capacity < n)
            throw std::logic_error("tensor " + std::to_string(id) + ": shared memory slot " + std::to_string(slot) +
                                   " was not reserved for " + std::to_string(n) + " values");
        memory_.erase(id);  // memory of its own from an earlier allocation is not needed now
        new (&e.data) Data(slots_[static_cast<std::size_t>(slot)].ptr.get(), rows, cols);
    }
    struct Free {
        void operator()(float* p) const { Eigen::internal::aligned_free(p); }
    };
    struct Memory {
        std::unique_ptr<float, Free> ptr;
        std::size_t capacity = 0;  // floats
    };
    std::map<int, Entry> tensors_;
    std::map<int, Memory> memory_;
    std::vector<Memory> slots_;  // shared by tensors with disjoint live ranges
    std::uint64_t used_bytes_ = 0;
};

}  // namespace sotsim
