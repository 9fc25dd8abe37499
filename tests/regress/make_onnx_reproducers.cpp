// Writes the malformed ONNX models of tests/data/regress/onnx: one per crash or hang the
// fuzzing campaign of issue 15 found, each reduced to the few nodes that trigger it.
// They are committed (seed corpus of the ONNX fuzz target and regression inputs of
// tests/unit/workloads/test_regress_onnx.cpp); rerun after changing one:
//   build/default/tests/make_onnx_reproducers tests/data/regress/onnx
#include <onnx/onnx_pb.h>

#include "../support/OnnxModelBuilder.h"

#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

using onnx::TensorProto;

// The shared builder, with this generator's naming (kept so regenerated files stay
// byte-identical) and a save() that writes DIR/NAME.onnx.
struct Model : sotsim::testing::OnnxModelBuilder {
    explicit Model(const std::vector<int64_t>& input_shape)
        : OnnxModelBuilder(input_shape, {13, false, false, "sotsim-reproducers", "reproducer"}) {}
    void save(const std::string& dir, const std::string& name) const {
        std::ofstream f(dir + "/" + name + ".onnx", std::ios::binary | std::ios::trunc);
        if (!m.SerializeToOstream(&f)) {
            std::cerr << "cannot write " << name << "\n";
            std::exit(1);
        }
    }
};

constexpr int64_t k2_32 = int64_t{1} << 32;

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: make_onnx_reproducers DIR\n";
        return 2;
    }
    const std::string dir = argv[1];
    {  // 1a: [2^32, 2^32] with no data wrapped to 0 elements; SIGSEGV in transpose2d.
        Model m({1, 4});
        m.init("W", {k2_32, k2_32}, {});
        m.node("MatMul", {"x", "W"}, "y");
        m.save(dir, "initializer_dims_overflow");
    }
    {  // 1b: Conv weight whose dims wrap to the 4 values present: convert_conv allocated
       // a bias of 2^62+1 floats.
        Model m({1, 4, 5, 5});
        m.init("W", {(int64_t{1} << 62) + 1, 4, 1, 1}, {1, 2, 3, 4});
        m.node("Conv", {"x", "W"}, "y");
        m.save(dir, "conv_weight_dims_wrap");
    }
    {  // 1c: pads that overflow the padded extent in window_output.
        Model m({1, 1, 4, 4});
        m.init("W", {1, 1, 1, 1}, {1});
        auto* n = m.node("Conv", {"x", "W"}, "y");
        Model::ints(n, "pads", {INT64_MAX, 0, INT64_MAX, 0});
        m.save(dir, "conv_pads_overflow");
    }
    {  // 1d: a per-sample input of 2^48 elements (no data backs a computed tensor).
        Model m({1, 65536, 65536, 65536});
        m.node("Relu", {"x"}, "y");
        m.save(dir, "input_too_large");
    }
    {  // 1e: Reshape target whose known dimensions overflow in the product.
        Model m({1, 4});
        m.init("s", {3}, {1, 3.0e18f, 4.0e18f}, TensorProto::INT64);
        m.node("Reshape", {"x", "s"}, "y");
        m.save(dir, "reshape_target_overflow");
    }
    {  // 2: QuantizeLinear of a constant with an empty scale: SIGSEGV in fold_qdq.
        Model m({1, 2});
        m.init("Wf", {2, 2}, {1, 2, 3, 4});
        m.init("s", {0}, {});
        m.node("QuantizeLinear", {"Wf", "s"}, "Wq");
        m.node("MatMul", {"x", "Wq"}, "y");
        m.save(dir, "quantize_empty_scale");
    }
    {  // 3: Unsqueeze of a constant with duplicate axes: insert past the end.
        Model m({1, 2});
        m.init("W", {2}, {1, 2});
        m.init("axes", {2}, {1, 1}, TensorProto::INT64);
        m.node("Unsqueeze", {"W", "axes"}, "W2");
        m.node("MatMul", {"x", "W2"}, "y");
        m.save(dir, "unsqueeze_duplicate_axes");
    }
    {  // 4a: Transpose perm=[0,0]: heap-buffer-overflow.
        Model m({1, 2});
        m.init("W", {2, 3}, {1, 2, 3, 4, 5, 6});
        auto* n = m.node("Transpose", {"W"}, "Wt");
        Model::ints(n, "perm", {0, 0});
        m.node("MatMul", {"x", "Wt"}, "y");
        m.save(dir, "transpose_perm_repeated");
    }
    {  // 4b: Transpose perm out of range: printed "vector::_M_range_check...".
        Model m({1, 2});
        m.init("W", {2, 3}, {1, 2, 3, 4, 5, 6});
        auto* n = m.node("Transpose", {"W"}, "Wt");
        Model::ints(n, "perm", {1, 5});
        m.node("MatMul", {"x", "Wt"}, "y");
        m.save(dir, "transpose_perm_out_of_range");
    }
    {  // 11: a node name with a newline and NUL would split the one-line error.
        Model m({1, 2});
        auto* n = m.node("Hardmax", {"x"}, "y");
        n->set_name(std::string("bad\nname\0x", 10));
        m.save(dir, "node_name_newline");
    }
    return 0;
}
