// Tensor slices of the global buffer (TensorSliceExtension, docs/memory-map.md): rows x cols of
// a tensor's columns, row-major or column-major as the extension says.
#include <catch2/catch.hpp>

#include "platform/accelerator/Accelerator.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;

TEST_CASE("global buffer: a tensor slice moves row-major or column-major as its extension says", "[tlm][gbuf]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    Program p;
    p.tile_code.resize(1);
    const int B = 4, W = 8;
    p.input_tensor = add_tensor(p, "in", Location::Global, -1, 1, W, 32);
    acc.load_program(p, B);
    sc_start(SC_ZERO_TIME);
    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMajorF v(B, W);  // the tensor, value 10 r + c
    for (int r = 0; r < B; ++r)
        for (int c = 0; c < W; ++c) v(r, c) = static_cast<float>(10 * r + c);
    Access init(tlm::TLM_WRITE_COMMAND, acc.tensor_address(p.input_tensor), v.data(), static_cast<unsigned>(v.size() * 4));
    REQUIRE(acc.host.get_base_export()->transport_dbg(init.t) == v.size() * 4);

    const int c0 = 2, nc = 3;
    auto slice = [&](tlm::tlm_command cmd, float* data, bool column_major) {
        Access a(cmd, acc.gbuf.tensor_base(p.input_tensor), data, static_cast<unsigned>(B * nc * 4));
        a.t.set_extension(new TensorSliceExtension(p.input_tensor, c0, nc, 0, 0, column_major));
        acc.gbuf.port.get_base_export()->b_transport(a.t, a.delay);
        CHECK(a.t.get_response_status() == tlm::TLM_OK_RESPONSE);
        a.t.clear_extension(a.t.get_extension<TensorSliceExtension>());
    };
    std::vector<float> rm(B * nc), cm(B * nc);
    slice(tlm::TLM_READ_COMMAND, rm.data(), false);
    slice(tlm::TLM_READ_COMMAND, cm.data(), true);
    for (int r = 0; r < B; ++r)
        for (int c = 0; c < nc; ++c) {
            INFO("row " << r << ", column " << c0 + c);
            CHECK(rm[static_cast<std::size_t>(r * nc + c)] == v(r, c0 + c));
            CHECK(cm[static_cast<std::size_t>(c * B + r)] == v(r, c0 + c));
        }
    // A column-major write lands where the row-major image reads it.
    for (std::size_t i = 0; i < cm.size(); ++i) cm[i] = -1.0f - static_cast<float>(i);
    slice(tlm::TLM_WRITE_COMMAND, cm.data(), true);
    RowMajorF back(B, W);
    Access rd(tlm::TLM_READ_COMMAND, acc.tensor_address(p.input_tensor), back.data(), static_cast<unsigned>(back.size() * 4));
    REQUIRE(acc.host.get_base_export()->transport_dbg(rd.t) == back.size() * 4);
    for (int r = 0; r < B; ++r)
        for (int c = 0; c < W; ++c) {
            const bool in_slice = c >= c0 && c < c0 + nc;
            CHECK(back(r, c) == (in_slice ? -1.0f - static_cast<float>((c - c0) * B + r) : v(r, c)));
        }
}
