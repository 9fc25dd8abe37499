// The plain-GEMM baseline of a whole run: the float32 Eigen GEMMs of every Dense and Conv
// layer of an ONNX model (convolutions as their im2col GEMM: (positions x C*kh*kw) times
// (C*kh*kw x M)) over the samples of a dataset, in batches, nothing else. bench/e2e_ratio.sh
// times this process against `sotsim run` on the same model and data: the whole-process
// ratio of docs/performance.md. Prints the arithmetic alone (CPU seconds of the GEMMs).
//   sotsim_layer_gemm MODEL.onnx DATASET SPLIT SAMPLES [BATCH]
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>

#include "workloads/data/Dataset.h"
#include "workloads/import/OnnxImporter.h"

using namespace sotsim::workloads;

namespace {

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Layer {
    Eigen::MatrixXf w;   // K x M
    int positions = 1;   // GEMM rows per sample
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::cerr << "usage: sotsim_layer_gemm MODEL.onnx DATASET SPLIT SAMPLES [BATCH]\n";
        return 2;
    }
    try {
        const Network net = import_onnx(argv[1]);
        DatasetSpec spec;
        spec.name = argv[2];
        spec.split = argv[3];
        spec.samples = std::atoll(argv[4]);
        const char* root = std::getenv("SOTSIM_DATA");
        spec.data_root = root && *root ? root : std::string(SOTSIM_SOURCE_DIR) + "/data";
        const Dataset ds = load_dataset(spec);
        const int batch = argc > 5 ? std::atoi(argv[5]) : 256;

        std::vector<Layer> layers;
        for (const Node& n : net.nodes) {
            if (n.kind == OpKind::Dense) {
                const Tensor& t = n.dense.weight;
                layers.push_back({t.as_matrix(t.shape[0], t.shape[1]).transpose(), 1});
            } else if (n.kind == OpKind::Conv) {
                const Tensor& t = n.conv.weight;
                const Shape& out = net.values.at(static_cast<std::size_t>(n.output)).shape;
                layers.push_back({t.as_matrix(t.shape[0], t.shape[1] * t.shape[2] * t.shape[3]).transpose(),
                                  static_cast<int>(out[1] * out[2])});
            }
        }
        double macs = 0, t_gemm = 0;
        Eigen::MatrixXf x, y;
        for (Eigen::Index at = 0; at < ds.images.rows(); at += batch) {
            const Eigen::Index len = std::min<Eigen::Index>(batch, ds.images.rows() - at);
            for (std::size_t l = 0; l < layers.size(); ++l) {
                const Layer& L = layers[l];
                const Eigen::Index rows = len * L.positions;
                // First layer: the real samples (dense) or an operand of the im2col shape.
                if (l == 0 && L.positions == 1) x = ds.images.middleRows(at, len);
                else if (x.rows() != rows || x.cols() != L.w.rows()) x = Eigen::MatrixXf::Ones(rows, L.w.rows());
                const double t0 = cpu_seconds();
                y.noalias() = x * L.w;
                t_gemm += cpu_seconds() - t0;
                macs += static_cast<double>(rows) * static_cast<double>(L.w.rows()) * static_cast<double>(L.w.cols());
                x.swap(y);
            }
        }
        std::cout << "layers " << layers.size() << " samples " << ds.images.rows() << " MACs " << macs
                  << " gemm_cpu_s " << t_gemm << " checksum " << x.sum() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "sotsim_layer_gemm: " << e.what() << "\n";
        return 2;
    }
    return 0;
}
