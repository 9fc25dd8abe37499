#pragma once
// Numeric array files: NumPy .npy (read and write) and numeric .csv (read).
//
// .npy: format versions 1.0, 2.0 and 3.0 headers; float16/32/64, int8/16/32/64,
// uint8/16/32/64 and bool, little- or big-endian; C order only (fortran_order True is an
// error). The data must be exactly shape-product elements (checked without overflow).
// .csv: one row per line, cells separated by commas (spaces around cells are ignored),
// every cell a number, every row the same length; blank lines are skipped; '#' starts a
// comment line. No header row.
//
// Every problem is a WorkloadError naming the file (and LINE:COL for CSV cells).
#include "workloads/import/Network.h"
#include "workloads/import/WorkloadError.h"

#include <Eigen/Dense>
#include <string>
#include <vector>

namespace sotsim::workloads {

struct NpyArray {
    Shape shape;               // () for a 0-d array
    std::vector<double> data;  // C order, as double (exact except 64-bit integers beyond 2^53)
    std::string dtype;         // descr as in the file, e.g. "<f4"
};

// Reads any-rank .npy. Non-finite values are an error unless allow_non_finite.
NpyArray read_npy(const std::string& path, bool allow_non_finite = false);

struct MatrixReadOptions {
    // How a 1-D array / single CSV column is returned: true = N x 1 column, false = 1 x N row.
    bool one_d_as_column = true;
    bool allow_non_finite = false;
};

// Reads a .npy or .csv (chosen by extension, case-insensitive) as a matrix. An .npy of rank
// >= 3 becomes shape[0] rows x product(rest) columns (each row one sample in C order);
// rank 1 follows `one_d_as_column`; rank 0 is a 1x1 matrix. Empty arrays are an error.
Eigen::MatrixXd read_matrix(const std::string& path, const MatrixReadOptions& options = {});
Eigen::MatrixXd read_csv(const std::string& path, const MatrixReadOptions& options = {});

// Writes float32 / float64 / int64 .npy (version 1.0, C order). Written to PATH.tmp and
// renamed, so a failed write leaves no partial file.
void write_npy(const std::string& path, const Shape& shape, const std::vector<float>& data);
void write_npy(const std::string& path, const Shape& shape, const std::vector<double>& data);
void write_npy(const std::string& path, const Shape& shape, const std::vector<int64_t>& data);

}  // namespace sotsim::workloads
