// Helpers for TLM tests: small chips built directly in C++ and payload shortcuts.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "models/common/Payload.h"
#include "models/config/Config.h"
#include "models/physics/AnalogMacro.h"
#include "models/tile/Program.h"

namespace sotsim::test {

// 2 tiles x 2 macros of 16x16 cells, ideal analog path (exact MVMs), no calibration so
// action counts are only those of the instructions.
inline Config small_config() {
    Config c;
    c.array.rows = 16;
    c.array.cols = 16;
    c.tile.macros = 2;
    c.chip.tiles = 2;
    c.macro.calibration = false;
    c.tile.buffer_bytes = 64 * 1024;
    c.chip.global_buffer_bytes = 256 * 1024;
    c.sim.quantum = 1e-6;
    return make_ideal(c);
}

// Drives a target from a test (a target socket needs an initiator bound to it).
struct Driver : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<Driver> out{"out"};
    explicit Driver(sc_core::sc_module_name n) : sc_module(n) {}
};

struct Access {
    tlm::tlm_generic_payload t;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    Access(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len) {
        tlmx::prepare(t, cmd, addr, data, len);
    }
};

// A block of +-1 weights with a deterministic pattern.
inline Eigen::MatrixXi pattern_weights(int rows, int cols, int salt = 0) {
    Eigen::MatrixXi w(rows, cols);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) w(r, c) = ((r * 7 + c * 3 + salt) % 5) < 2 ? -1 : 1;
    return w;
}

inline phys::BlockSpec binary_spec(int rows, int cols) {
    phys::BlockSpec s;
    s.rows = rows;
    s.cols = cols;
    s.weight_bits = 1;
    s.input = InputEncoding::Binary;
    s.input_bits = 1;
    s.readout = ReadoutKind::Adc;
    return s;
}

// {0,1} inputs with a deterministic pattern.
inline Eigen::MatrixXf pattern_inputs(int batch, int rows, int salt = 0) {
    Eigen::MatrixXf x(batch, rows);
    for (int b = 0; b < batch; ++b)
        for (int r = 0; r < rows; ++r) x(b, r) = ((b * 5 + r * 11 + salt) % 3) == 0 ? 1.0f : 0.0f;
    return x;
}

inline int add_tensor(Program& p, const std::string& name, Location where, int tile, int rps, int width, int bits) {
    TensorDecl d;
    d.name = name;
    d.where = where;
    d.tile = tile;
    d.rows_per_sample = rps;
    d.width = width;
    d.bits = bits;
    p.tensors.push_back(d);
    return static_cast<int>(p.tensors.size()) - 1;
}

}  // namespace sotsim::test
