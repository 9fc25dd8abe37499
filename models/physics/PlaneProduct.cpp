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

// acc[p] = sum over rows list[0..m) of panel p (P panels panel_stride apart), one vector:
// P x kNp chains; each panel's sum is the rows in order, as sum_rows<1> panel by panel.
template <int P>
inline void sum_panels(const float* panel0, std::ptrdiff_t panel_stride, const std::int32_t* list, std::int32_t m,
                            Packet (*acc)[kNp]) {
    for (std::int32_t k = 0; k < m; ++k) {
        const float* r = panel0 + list[k];
#pragma GCC unroll 8
        for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
            for (int q = 0; q < kNp; ++q)
                acc[p][q] = Eigen::internal::padd(acc[p][q], Eigen::internal::pload<Packet>(r + p * panel_stride + q * kPs));
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
    // Panels to read; where a panel's columns go in the output row, and how many it holds.
    const Eigen::Index p_begin = left ? 0 : lpanels_, p_end = right ? lpanels_ + rpanels_ : lpanels_;
    const Eigen::Index ld = out.cols(), stride = rows_ * kPanel;
    auto place = [&](Eigen::Index p, Eigen::Index& first, Eigen::Index& n) {
        const bool in_left = p < lpanels_;
        const Eigen::Index part_col = (in_left ? p : p - lpanels_) * kPanel;
        first = part_col + (in_left || !left ? 0 : lcols_);
        n = std::min<Eigen::Index>(kPanel, (in_left ? lcols_ : rcols_) - part_col);
    };
    alignas(64) float tile[kPanel];
    auto store = [&](const Packet* acc, float* o, Eigen::Index n) {
        if (n == kPanel) {
            for (int q = 0; q < kNp; ++q) Eigen::internal::pstoreu(o + q * kPs, acc[q]);
        } else {
            for (int q = 0; q < kNp; ++q) Eigen::internal::pstore(tile + q * kPs, acc[q]);
            std::copy(tile, tile + n, o);
        }
    };
    const Eigen::Index whole = batch - batch % kJoint;   // vectors in whole groups of kJoint
    for (Eigen::Index p = p_begin; p < p_end; ++p) {
        const float* panel = packed_.data() + p * stride;
        Eigen::Index ofirst = 0, cn = 0;
        place(p, ofirst, cn);
        for (Eigen::Index v0 = 0; v0 < whole; v0 += kJoint) {
            Packet acc[kJoint][kNp];
            const std::int32_t* lists[kJoint];
            std::int32_t m = static_cast<std::int32_t>(rows_);
            for (int j = 0; j < kJoint; ++j) {
                for (int q = 0; q < kNp; ++q) acc[j][q] = Eigen::internal::pset1<Packet>(0.0f);
                lists[j] = active_.data() + (v0 + j) * rows_;
                m = std::min(m, count_[static_cast<size_t>(v0 + j)]);
            }
            // The first m active rows of every vector of the group together, then each
            // vector's rest (the same order per vector either way).
            sum_rows<kJoint>(panel, lists, m, acc);
            for (int j = 0; j < kJoint; ++j) {
                const std::int32_t* rest = lists[j] + m;
                sum_rows<1>(panel, &rest, count_[static_cast<size_t>(v0 + j)] - m, &acc[j]);
                store(acc[j], out.data() + (v0 + j) * ld + ofirst, cn);
            }
        }
    }
    // The vectors after the whole groups (all of them at batch 1): one vector over kJoint
    // panels at once, for as many independent chains; each panel's sum is still that
    // vector's rows in order, so the result does not depend on the group a vector falls in.
    for (Eigen::Index v = whole; v < batch; ++v) {
        const std::int32_t* list = active_.data() + v * rows_;
        const std::int32_t m = count_[static_cast<size_t>(v)];
        for (Eigen::Index p0 = p_begin; p0 < p_end; p0 += kJoint) {
            const int np = static_cast<int>(std::min<Eigen::Index>(kJoint, p_end - p0));
            Packet acc[kJoint][kNp];
            for (int j = 0; j < kJoint; ++j)
                for (int q = 0; q < kNp; ++q) acc[j][q] = Eigen::internal::pset1<Packet>(0.0f);
            const float* panel0 = packed_.data() + p0 * stride;
            if (np == kJoint)
                sum_panels<kJoint>(panel0, stride, list, m, acc);
            else
                for (int j = 0; j < np; ++j) sum_rows<1>(panel0 + j * stride, &list, m, &acc[j]);
            for (int j = 0; j < np; ++j) {
                Eigen::Index ofirst = 0, cn = 0;
                place(p0 + j, ofirst, cn);
                store(acc[j], out.data() + v * ld + ofirst, cn);
            }
        }
    }
}

}  // namespace sotsim::phys
