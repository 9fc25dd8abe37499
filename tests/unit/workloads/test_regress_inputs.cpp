// Regression inputs of issue 15: every malformed ONNX model and .npy file the fuzzing
// campaign found to crash, hang or be silently accepted (tests/data/regress, made by
// tests/regress/make_onnx_reproducers.cpp and tests/data/regress/make_array_reproducers.py)
// is now refused with one error line naming the file and the problem.
#include "workloads/compiler/Compiler.h"
#include "workloads/compiler/InputDomain.h"
#include "workloads/data/ArrayFile.h"
#include "workloads/data/IdxFile.h"
#include "workloads/import/OnnxImporter.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

using namespace sotsim::workloads;
using Catch::Matchers::Contains;

namespace {

std::string regress(const std::string& rel) { return std::string(SOTSIM_SOURCE_DIR) + "/tests/data/regress/" + rel; }

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const WorkloadError& e) {
        return e.what();
    }
    return "";
}

std::string onnx_error(const std::string& name) {
    return error_of([&] { import_onnx(regress("onnx/" + name + ".onnx")); });
}

}  // namespace

TEST_CASE("ONNX shape products are checked against overflow and the data present", "[regress][import]") {
    // [2^32, 2^32] with no data wrapped to 0 elements and crashed in transpose2d.
    CHECK_THAT(onnx_error("initializer_dims_overflow"),
               Contains("initializer 'W' shape [4294967296,4294967296] has more elements than fit 64 bits"));
    // [2^62+1, 4, 1, 1] wrapped to the 4 values present; convert_conv then allocated 2^62 floats.
    CHECK_THAT(onnx_error("conv_weight_dims_wrap"), Contains("initializer 'W' shape [4611686018427387905,4,1,1]"));
    CHECK_THAT(onnx_error("conv_pads_overflow"), Contains("node 'Conv_1' (op 'Conv') size 4 + 9223372036854775807 overflows"));
    CHECK_THAT(onnx_error("reshape_target_overflow"), Contains("node 'Reshape_1' (op 'Reshape') size"));
    // No data backs a computed tensor: its size is bounded.
    CHECK_THAT(onnx_error("input_too_large"),
               Contains("input 'x' has 281474976710656 elements per sample (shape [65536,65536,65536]); at most"));
}

TEST_CASE("QuantizeLinear with an empty scale, Unsqueeze with duplicate axes, Transpose with a bad perm",
          "[regress][import]") {
    CHECK_THAT(onnx_error("quantize_empty_scale"),
               Contains("node 'QuantizeLinear_1' (op 'QuantizeLinear') cannot be evaluated on its constant inputs: "
                        "scale is empty"));
    CHECK_THAT(onnx_error("unsqueeze_duplicate_axes"), Contains("Unsqueeze axes name a dimension twice"));
    CHECK_THAT(onnx_error("transpose_perm_repeated"), Contains("Transpose perm is not a permutation of 0..1"));
    const std::string range = onnx_error("transpose_perm_out_of_range");
    CHECK_THAT(range, Contains("Transpose perm is not a permutation of 0..1"));
    CHECK_THAT(range, !Contains("_M_range_check"));
}

TEST_CASE("a node name with a newline and a NUL stays on one error line", "[regress][import]") {
    const std::string e = onnx_error("node_name_newline");
    CHECK(e.find('\n') == std::string::npos);
    CHECK_THAT(e, Contains("node 'bad\\nname\\x00x' (op 'Hardmax') is not supported"));
}

TEST_CASE("every ONNX reproducer is refused with a WorkloadError naming the file", "[regress][import]") {
    for (const auto& entry : std::filesystem::directory_iterator(regress("onnx"))) {
        const std::string path = entry.path().string();
        INFO(path);
        const std::string e = error_of([&] { import_onnx(path); });
        CHECK(e.rfind(path + ": error: ", 0) == 0);
    }
}

TEST_CASE(".npy shapes are parsed strictly and their products checked", "[regress][arrays]") {
    // (1, 7, 2635249153387078803) wrapped to 5 elements and was accepted.
    CHECK_THAT(error_of([] { read_npy(regress("npy/shape_wraps.npy")); }),
               Contains("npy shape [1,7,2635249153387078803] has more elements than fit 64 bits"));
    CHECK_THAT(error_of([] { read_npy(regress("npy/shape_wraps_huge.npy")); }),
               Contains("shape_wraps_huge.npy: error: npy shape [4611686018427387904,8] has more elements"));
    CHECK_THAT(error_of([] { read_npy(regress("npy/shape_garbage.npy")); }),
               Contains("npy shape '(2Lxyz,3)' is malformed"));
    CHECK_THAT(error_of([] { read_npy(regress("npy/shape_dim_beyond_64bit.npy")); }),
               Contains("has a dimension beyond 64 bits"));
    CHECK_THAT(error_of([] { read_npy(regress("npy/complex.npy")); }), Contains("unsupported dtype '<c8'"));
}

TEST_CASE(".npy reads float16, int16, uint16 and big-endian arrays exactly", "[regress][arrays]") {
    CHECK(read_npy(regress("npy/f2_3.npy")).data == std::vector<double>{1.5, -2.0, 65504.0});
    CHECK(read_npy(regress("npy/i2_2.npy")).data == std::vector<double>{-32768, 123});
    CHECK(read_npy(regress("npy/u2_2.npy")).data == std::vector<double>{65535, 7});
    CHECK(read_npy(regress("npy/be_i4_2.npy")).data == std::vector<double>{-5, 70000});
}

TEST_CASE("fuzz finding: an integer activation range beyond float32's exact integers is requantized", "[regress][compile]") {
    // Found by fuzz_onnx (UBSan: 3.04e+31 is outside the range of int in
    // SymbolicValue::int_levels): a Clip/Round chain whose constants span 1e31 made the
    // compiler cast the span to int. Such a range is no set of drive levels: the layer's
    // input is quantized like any unquantized one, with a note.
    const Network net = import_onnx(regress("fuzz/onnx/int_span_3e31.onnx"));
    AnalysisOptions opt;
    opt.input = parse_input_range("0:1");
    const CompiledModel m = compile_network(net, sotsim::Config{}, opt);
    bool noted = false;
    for (const std::string& n : m.notes)
        noted = noted || (n.find("layer '/fc/Gemm': input in [-1.01412e+31, 1]") != std::string::npos &&
                          n.find("has no quantizer in the model; quantized to") != std::string::npos);
    CHECK(noted);
}

TEST_CASE("IDX dimension products are checked against overflow, the limit and the data present", "[regress][idx]") {
    // 65536^4 = 2^64 wrapped to 0: an empty array was accepted with no data.
    CHECK(error_of([] { read_idx(regress("idx/dims_wrap_to_zero.idx")); }) ==
          regress("idx/dims_wrap_to_zero.idx") +
              ": error: IDX dimensions declare more than 1073741824 bytes (the reader's limit)");
    // A product that wraps to exactly the 16 bytes present.
    CHECK_THAT(error_of([] { read_idx(regress("idx/dims_wrap_small.idx")); }),
               Contains("dims_wrap_small.idx: error: IDX dimensions declare more than"));
    // Under a smaller limit, a header within 64 bits but above the limit is refused too.
    const std::string ok = std::string("\0\0\x08\x01\0\0\0\x08", 8) + std::string(8, '\x05');
    CHECK(parse_idx(ok, "x.idx", 64).data.size() == 8);
    CHECK_THAT(error_of([&] { parse_idx(ok, "x.idx", 15); }), Contains("x.idx: error: IDX dimensions declare more than 15"));
}

TEST_CASE("a gzipped IDX inflates only as far as its header declares", "[regress][idx]") {
    // 64 MiB of zeros behind a header declaring 4 bytes.
    CHECK(error_of([] { read_idx(regress("idx/bomb.idx.gz")); }) ==
          regress("idx/bomb.idx.gz") + ": error: decompresses to more than the 12 bytes its header declares");
    // Without a header-derived bound the absolute limit still stops it.
    CHECK_THAT(error_of([] { read_maybe_gzipped(regress("idx/bomb.idx.gz"), 1u << 20); }),
               Contains("decompresses to more than 1048576 bytes (the reader's limit)"));
}

TEST_CASE("a FIFO or a device as model or array is refused instead of blocking", "[regress][io]") {
    const auto dir = std::filesystem::temp_directory_path() / ("sotsim_fifo_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string fifo = (dir / "model.onnx").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(error_of([&] { import_onnx(fifo); }) == fifo + ": error: is a FIFO, not a regular file");
    CHECK(error_of([] { import_onnx("/dev/zero"); }) == "/dev/zero: error: is a device or socket, not a regular file");
    CHECK(error_of([] { read_npy("/dev/zero"); }) == "/dev/zero: error: is a device or socket, not a regular file");
    CHECK(error_of([] { read_csv("/dev/zero"); }) == "/dev/zero: error: is a device or socket, not a regular file");
    CHECK(error_of([] { read_idx("/dev/zero"); }) == "/dev/zero: error: is a device or socket, not a regular file");
    CHECK(error_of([&] { read_idx(fifo); }) == fifo + ": error: is a FIFO, not a regular file");
    CHECK(error_of([&] { import_onnx(dir.string()); }) == dir.string() + ": error: is a directory, not a file");
    std::filesystem::remove_all(dir);
}
