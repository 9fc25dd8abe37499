#include "models/physics/PlaneProduct.h"

#include <algorithm>
#include <stdexcept>

namespace sotsim::phys {

namespace {

using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kPs = Eigen::internal::packet_traits<float>::size;
constexpr int kNp = PlaneProduct::kPanel / kPs;   // packets per panel row
// Vectors summed together: enough independent accumulator chains (about 8) to hide the
// add latency, few enough to stay in registers.
constexpr int kJoint = kNp >= 8 ? 1 : 8 / kNp;
static_assert(PlaneProduct::kPanel % kPs == 0, "panel must be whole packets");

// acc[j] = sum over rows lists[j][0..m) of panel rows (one vector per j), row order.
template <int J>
inline void sum_rows(const float* panel, const std::int32_t* const* lists, std::int32_t m, Packet (*acc)[kNp]) {
    for (std::int32_t k = 0; k < m; ++k) {
#pragma GCC unroll 8
        for (int j = 0; j < J; ++j) {
            const float* r = panel + lists[j][k];
#pragma GCC unroll 8
            for (int q = 0; q < kNp; ++q) acc[j][q] = Eigen::internal::padd(acc[j][q], Eigen::internal::pload<Packet>(r + q * kPs));
        }
    }
}

}  // namespace

void PlaneProduct::pack(const Eigen::MatrixXf& left, const Eigen::MatrixXf& right) {
    if (left.rows() != right.rows() && left.size() && right.size())
        throw std::logic_error("plane product: both parts of the operand need the same rows");
    rows_ = left.size() ? left.rows() : right.rows();
    lcols_ = left.cols();
    rcols_ = right.cols();
    lpanels_ = (lcols_ + kPanel - 1) / kPanel;
    rpanels_ = (rcols_ + kPanel - 1) / kPanel;
    packed_.assign(static_cast<size_t>((lpanels_ + rpanels_) * rows_ * kPanel), 0.0f);
    auto put = [&](const Eigen::MatrixXf& u, Eigen::Index first_panel) {
        for (Eigen::Index c = 0; c < u.cols(); ++c) {
            const Eigen::Index p = first_panel + c / kPanel, k = c % kPanel;
            for (Eigen::Index i = 0; i < rows_; ++i) packed_[static_cast<size_t>((p * rows_ + i) * kPanel + k)] = u(i, c);
        }
    };
    put(left, 0);
    put(right, lpanels_);
}

void PlaneProduct::multiply(const Eigen::MatrixXf& b, bool left, bool right, RowMatrixXf& out) const {
    if (b.cols() != rows_) throw std::logic_error("plane product: the plane's width does not match the packed operand");
    const Eigen::Index batch = b.rows();
    out.resize(batch, (left ? lcols_ : 0) + (right ? rcols_ : 0));
    if (batch == 0 || out.cols() == 0) return;
    // Active rows of every vector as float offsets into a panel, in row order: every row is
    // written, only active ones advance the count (no branch). Blocks of 16 vectors read one
    // cache line per row of the column-major plane (a vector alone would stride by batch).
    active_.resize(static_cast<size_t>(batch * rows_));
    count_.resize(static_cast<size_t>(batch));
    constexpr Eigen::Index kBlock = 16;
    for (Eigen::Index v0 = 0; v0 < batch; v0 += kBlock) {
        const Eigen::Index nb = std::min(kBlock, batch - v0);
        std::int32_t n[kBlock] = {};
        std::int32_t* list = active_.data() + v0 * rows_;
        for (Eigen::Index i = 0; i < rows_; ++i) {
            const float* x = b.data() + i * batch + v0;
            const auto off = static_cast<std::int32_t>(i * kPanel);
            for (Eigen::Index j = 0; j < nb; ++j) {
                list[j * rows_ + n[j]] = off;
                n[j] += static_cast<std::int32_t>(x[j]);
            }
        }
        for (Eigen::Index j = 0; j < nb; ++j) count_[static_cast<size_t>(v0 + j)] = n[j];
    }
    // Panels to read and the output column of each panel's first column.
    const Eigen::Index p_begin = left ? 0 : lpanels_, p_end = right ? lpanels_ + rpanels_ : lpanels_;
    const Eigen::Index ld = out.cols();
    alignas(64) float tile[kPanel];
    for (Eigen::Index p = p_begin; p < p_end; ++p) {
        const float* panel = packed_.data() + p * rows_ * kPanel;
        const bool in_left = p < lpanels_;
        const Eigen::Index part_col = (in_left ? p : p - lpanels_) * kPanel;
        const Eigen::Index ofirst = part_col + (in_left || !left ? 0 : lcols_);
        const Eigen::Index cn = std::min<Eigen::Index>(kPanel, (in_left ? lcols_ : rcols_) - part_col);
        for (Eigen::Index v0 = 0; v0 < batch; v0 += kJoint) {
            const int nj = static_cast<int>(std::min<Eigen::Index>(kJoint, batch - v0));
            Packet acc[kJoint][kNp];
            const std::int32_t* lists[kJoint];
            std::int32_t m = static_cast<std::int32_t>(rows_);
            for (int j = 0; j < kJoint; ++j) {
                for (int q = 0; q < kNp; ++q) acc[j][q] = Eigen::internal::pset1<Packet>(0.0f);
                const Eigen::Index v = v0 + std::min(j, nj - 1);
                lists[j] = active_.data() + v * rows_;
                m = std::min(m, count_[static_cast<size_t>(v)]);
            }
            // The first m active rows of every vector of the group together, then each
            // vector's rest (same order per vector either way).
            if (nj == kJoint)
                sum_rows<kJoint>(panel, lists, m, acc);
            else
                m = 0;
            for (int j = 0; j < nj; ++j) {
                const std::int32_t* rest = lists[j] + m;
                sum_rows<1>(panel, &rest, count_[static_cast<size_t>(v0 + j)] - m, &acc[j]);
                float* o = out.data() + (v0 + j) * ld + ofirst;
                if (cn == kPanel) {
                    for (int q = 0; q < kNp; ++q) Eigen::internal::pstoreu(o + q * kPs, acc[j][q]);
                } else {
                    for (int q = 0; q < kNp; ++q) Eigen::internal::pstore(tile + q * kPs, acc[j][q]);
                    std::copy(tile, tile + cn, o);
                }
            }
        }
    }
}

}  // namespace sotsim::phys
