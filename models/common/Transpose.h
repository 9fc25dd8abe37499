// Blocked transposition of float matrices: the one layout change between the row-major
// bursts of the macro window (one vector per row) and the column-major tensors of the tile
// and the physics core. Pure data movement (bit-exact), 8 x 8 register tiles where the
// build has AVX, 4 x 4 with SSE, plain loops otherwise.
#pragma once

#include <cstddef>

namespace sotsim {

// dst[c * dst_ld + r] = src[r * src_ld + c] for r < rows, c < cols (src read as a row-major
// rows x cols matrix, dst written as its row-major cols x rows transpose). The two ranges
// must not overlap.
void transpose(const float* src, std::ptrdiff_t src_ld, float* dst, std::ptrdiff_t dst_ld, std::ptrdiff_t rows,
               std::ptrdiff_t cols);

// dst[c * dst_ld + r] = src[c * src_ld + r] for r < rows, c < cols: a column-major block
// copied between two outer strides, layout unchanged (one memcpy per column; a one-row
// block, a sample's slice of a sample-major tensor, is one strided gather).
void copy_columns(const float* src, std::ptrdiff_t src_ld, float* dst, std::ptrdiff_t dst_ld, std::ptrdiff_t rows,
                  std::ptrdiff_t cols);

// A column-major float block with direct access (an Eigen matrix, map or block of one:
// data(), outerStride(), unit inner stride) to / from its row-major image with `ld`
// floats per row.
template <class Block>
void to_row_major(const Block& m, float* dst, std::ptrdiff_t ld) {
    transpose(m.data(), m.outerStride(), dst, ld, m.cols(), m.rows());
}
template <class Block>
void from_row_major(const float* src, std::ptrdiff_t ld, Block&& m) {
    transpose(src, ld, m.data(), m.outerStride(), m.rows(), m.cols());
}

}  // namespace sotsim
