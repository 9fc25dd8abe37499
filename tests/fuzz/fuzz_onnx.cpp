// Fuzz target: the ONNX importer, then (for a model it accepts) the compiler onto the
// myung 72-macro preset and the float reference on one all-zero sample.
// Seeds: workloads/models/*.onnx (small ones), tests/data/onnx, tests/data/regress/onnx.
#include "tests/fuzz/FuzzSupport.h"

#include "workloads/compiler/Compiler.h"
#include "workloads/import/FloatEvaluator.h"
#include "workloads/import/OnnxImporter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sotsim;
    static const Config cfg = config::load_config(std::string(SOTSIM_SOURCE_DIR) + "/configs/myung_72macro.yaml");
    fuzz::expect_clean([&] {
        const workloads::Network net =
            workloads::import_onnx_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
        // The float reference on one sample (bounded: a model with a huge input is accepted
        // by the importer but not worth evaluating here).
        if (net.input_size() > 0 && net.input_size() <= (1 << 16)) {
            const workloads::Batch x = workloads::Batch::Zero(1, net.input_size());
            (void)workloads::FloatEvaluator(net).predict(x);
        }
        workloads::AnalysisOptions opt;
        opt.input = workloads::parse_input_range("0:1");
        (void)workloads::compile_network(net, cfg, opt);
    });
    return 0;
}
