// .npy / .csv readers against files written by numpy (tests/data/arrays/make_arrays.py),
// the .npy writer round trip, and every error path.
#include "workloads/data/ArrayFile.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <unistd.h>

using namespace sotsim::workloads;
using Catch::Matchers::Contains;

namespace {

std::string arr(const std::string& name) { return std::string(SOTSIM_SOURCE_DIR) + "/tests/data/arrays/" + name; }

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const WorkloadError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("npy: every supported dtype and header version reads exactly", "[arrays]") {
    NpyArray a = read_npy(arr("f4_2x3.npy"));
    CHECK(a.dtype == "<f4");
    CHECK(a.shape == Shape{2, 3});
    CHECK(a.data == std::vector<double>{-0.5, -0.25, 0, 0.25, 0.5, 0.75});
    CHECK(read_npy(arr("v2_f4.npy")).data == a.data);
    CHECK(read_npy(arr("f8_1d.npy")).data == std::vector<double>{1.5, -2.0, 1e-300});
    CHECK(read_npy(arr("i4_2x2.npy")).data == std::vector<double>{1, -2, 2147483647.0, -2147483648.0});
    CHECK(read_npy(arr("i8_1d.npy")).data == std::vector<double>{0, 9, -1099511627776.0});
    const NpyArray u = read_npy(arr("u1_2x2x3.npy"));
    CHECK(u.shape == Shape{2, 2, 3});
    CHECK(u.data[11] == 220);
    // numpy's own big-endian float32 and bool files (make_arrays.py).
    CHECK(read_npy(arr("bigendian.npy")).data == std::vector<double>{0, 1, 2});
    CHECK(read_npy(arr("bool.npy")).data == std::vector<double>{1, 0});
}

TEST_CASE("read_matrix: rank 1 as a column or row, rank 3 flattened per row", "[arrays]") {
    Eigen::MatrixXd m = read_matrix(arr("f8_1d.npy"));
    CHECK(m.rows() == 3);
    CHECK(m.cols() == 1);
    MatrixReadOptions row;
    row.one_d_as_column = false;
    CHECK(read_matrix(arr("f8_1d.npy"), row).rows() == 1);
    m = read_matrix(arr("u1_2x2x3.npy"));
    CHECK(m.rows() == 2);
    CHECK(m.cols() == 6);
    CHECK(m(1, 0) == 120);
    m = read_matrix(arr("good.csv"));
    REQUIRE(m.rows() == 2);
    REQUIRE(m.cols() == 3);
    CHECK(m(0, 1) == 2.5);
    CHECK(m(1, 0) == 400);
    CHECK(read_matrix(arr("column.csv")).cols() == 1);
    CHECK(read_matrix(arr("column.csv"), row).cols() == 3);
}

TEST_CASE("npy writer round-trips through the reader and leaves no temp file", "[arrays]") {
    const std::string dir = std::filesystem::temp_directory_path() / ("sotsim_npy_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string f = dir + "/a.npy", d = dir + "/b.npy", i = dir + "/c.npy";
    write_npy(f, {2, 2}, std::vector<float>{1.f, -2.f, 0.125f, 3e7f});
    write_npy(d, {3}, std::vector<double>{0.1, 0.2, 0.3});
    write_npy(i, {1, 2}, std::vector<int64_t>{-5, 7});
    CHECK(read_npy(f).data == std::vector<double>{1, -2, 0.125, 3e7});
    CHECK(read_npy(d).data == std::vector<double>{0.1, 0.2, 0.3});
    CHECK(read_npy(d).shape == Shape{3});
    CHECK(read_npy(i).data == std::vector<double>{-5, 7});
    CHECK_FALSE(std::filesystem::exists(f + ".tmp"));
    CHECK_THAT(error_of([&] { write_npy(f, {3}, std::vector<float>{1.f}); }), Contains("1 values for shape [3]"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("npy and csv errors name the file and the problem", "[arrays][errors]") {
    CHECK(error_of([] { read_npy(arr("nope.npy")); }) == arr("nope.npy") + ": error: no such file");
    CHECK(error_of([] { read_npy(arr("badmagic.npy")); }) == arr("badmagic.npy") + ": error: not a .npy file (bad magic)");
    CHECK_THAT(error_of([] { read_npy(arr("truncated.npy")); }), Contains("truncated data: shape [2,3] needs 24 bytes, the file has 19"));
    CHECK_THAT(error_of([] { read_npy(arr("fortran.npy")); }), Contains("fortran_order arrays are not supported"));
    CHECK_THAT(error_of([] { read_npy(arr("nan.npy")); }), Contains("element 1 is NaN or Inf"));
    CHECK(read_npy(arr("nan.npy"), true).data.size() == 2);
    CHECK_THAT(error_of([] { read_matrix(arr("empty.npy")); }), Contains("empty array [0,3]"));
    CHECK_THAT(error_of([] { read_matrix(arr("good.txt")); }), Contains("unknown array file type"));

    CHECK(error_of([] { read_csv(arr("nonnumeric.csv")); }) == arr("nonnumeric.csv") + ":2:3: error: non-numeric cell 'abc'");
    CHECK(error_of([] { read_csv(arr("ragged.csv")); }) ==
          arr("ragged.csv") + ":2: error: ragged rows: 2 cells, line 1 has 3");
    CHECK(error_of([] { read_csv(arr("nan.csv")); }) == arr("nan.csv") + ":1:3: error: cell 'nan' is NaN or Inf");
    CHECK(error_of([] { read_csv(arr("empty.csv")); }) == arr("empty.csv") + ": error: empty file (no numeric rows)");
    CHECK(error_of([] { read_csv(arr("emptycell.csv")); }) == arr("emptycell.csv") + ":1:3: error: empty cell");
}
