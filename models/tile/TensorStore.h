// Functional storage of tensors by id (Program.h: a tensor is a B*rows_per_sample x width
// float matrix) together with the *modelled* size of each tensor at its precision `bits`.
// Buffers use the modelled size for capacity checks and traffic accounting.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace sotsim {

class TensorStore {
public:
    struct Entry {
        Eigen::MatrixXf data;
        int bits = 32;
        std::uint64_t modelled_bytes = 0;
    };

    // Allocate (or re-allocate, zeroed) tensor `id`. Throws when the modelled bytes of all
    // tensors would exceed `capacity_bytes` (a program that does not fit the SRAM).
    void allocate(int id, int rows, int cols, int bits, double capacity_bytes, const std::string& what) {
        const std::uint64_t bytes = (static_cast<std::uint64_t>(rows) * cols * bits + 7) / 8;
        std::uint64_t used = used_bytes_;
        if (auto it = tensors_.find(id); it != tensors_.end()) used -= it->second.modelled_bytes;
        if (static_cast<double>(used + bytes) > capacity_bytes)
            throw std::runtime_error(what + ": tensor " + std::to_string(id) + " (" + std::to_string(rows) + "x" +
                                     std::to_string(cols) + " at " + std::to_string(bits) + " bit) needs " +
                                     std::to_string(used + bytes) + " bytes in total, capacity is " +
                                     std::to_string(static_cast<std::uint64_t>(capacity_bytes)) + " bytes");
        Entry& e = tensors_[id];
        e.data = Eigen::MatrixXf::Zero(rows, cols);
        e.bits = bits;
        e.modelled_bytes = bytes;
        used_bytes_ = used + bytes;
    }
    bool has(int id) const { return tensors_.count(id) != 0; }
    Entry& at(int id) {
        auto it = tensors_.find(id);
        if (it == tensors_.end()) throw std::runtime_error("tensor " + std::to_string(id) + " is not allocated here");
        return it->second;
    }
    const Entry& at(int id) const { return const_cast<TensorStore*>(this)->at(id); }
    std::uint64_t used_bytes() const { return used_bytes_; }
    void clear() {
        tensors_.clear();
        used_bytes_ = 0;
    }

private:
    std::map<int, Entry> tensors_;
    std::uint64_t used_bytes_ = 0;
};

}  // namespace sotsim
