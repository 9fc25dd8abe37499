#include "models/physics/PlaneProduct.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>
#define SOTSIM_PLANE_AVX512 1
#endif

namespace sotsim::phys {

namespace {

using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kPs = Eigen::internal::packet_traits<float>::size;
constexpr int kNp = PlaneProduct::kPanel / kPs;   // packets per panel row
// Vectors summed together: enough independent accumulator chains to hide the add latency
// (8; 16 with AVX-512's 32 registers), few enough to stay in registers.
constexpr int kChains = kPs >= 16 ? 16 : 8;
constexpr int kJoint = kNp >= kChains ? 1 : kChains / kNp;
static_assert(PlaneProduct::kPanel % kPs == 0, "panel must be whole packets");
constexpr Eigen::Index kListPad = 16;   // a list may be written 16 entries past its count

// Scratch of multiply(), kept between calls: active-row offsets of every vector of a chunk,
// their counts, and the joint groups' interleaved lists and lengths. One per host thread
// (a read never yields inside multiply(), so SystemC threads, which share one host thread,
// never see each other's); every entry is written before it is read in each call.
struct Scratch {
    std::vector<std::int32_t> active, count, group, gcount;
    std::vector<std::uint16_t> bits;   // a chunk's bits (multiply from a float plane)
};
Scratch& scratch() {
    thread_local Scratch s;
    return s;
}

// acc[j] = sum over rows of panel rows, one vector per j: row k of vector j at offset
// rows[k * J + j] (the group's lists interleaved), in list order.
template <int J>
inline void sum_rows(const float* panel, const std::int32_t* rows, std::int32_t m, Packet (*acc)[kNp]) {
    static_assert(J % 2 == 0, "offsets are read in pairs");
    for (std::int32_t k = 0; k < m; ++k, rows += J) {
#pragma GCC unroll 16
        for (int j = 0; j < J; j += 2) {
            // Two offsets per 64-bit load (the loads, not the adds, bound this loop).
            std::uint64_t two;
            std::memcpy(&two, rows + j, sizeof two);
            const float* r0 = panel + static_cast<std::uint32_t>(two);
            const float* r1 = panel + static_cast<std::uint32_t>(two >> 32);
            // The row addresses in registers of their own (an lea each): left to itself GCC
            // folds them into base + index * 4 operands of the adds, and an indexed memory
            // operand of a three-operand AVX instruction is not kept micro-fused on Intel
            // cores (two uops from rename on, a plain one stays one). Measured on the
            // Emerald Rapids host, in-process A/B of the macro read: ~5 % less CPU per call
            // at batch 64 and 1024. (The one-vector loop of sum_panels is not changed: there
            // the same lea per panel row made batch 1 ~13 % slower.)
            __asm__("" : "+r"(r0), "+r"(r1));
#pragma GCC unroll 8
            for (int q = 0; q < kNp; ++q) acc[j][q] = Eigen::internal::padd(acc[j][q], Eigen::internal::pload<Packet>(r0 + q * kPs));
#pragma GCC unroll 8
            for (int q = 0; q < kNp; ++q) acc[j + 1][q] = Eigen::internal::padd(acc[j + 1][q], Eigen::internal::pload<Packet>(r1 + q * kPs));
        }
    }
}

// acc[p] = sum over rows list[0..m) of panel p (P panels panel_stride apart), one vector:
// P x kNp chains; each panel's sum is the rows in order, as one vector of sum_rows panel by panel.
template <int P>
inline void sum_panels(const float* panel0, std::ptrdiff_t panel_stride, const std::int32_t* list, std::int32_t m,
                       Packet (*acc)[kNp]) {
    for (std::int32_t k = 0; k < m; ++k) {
        const float* r = panel0 + list[k];
#pragma GCC unroll 16
        for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
            for (int q = 0; q < kNp; ++q)
                acc[p][q] = Eigen::internal::padd(acc[p][q], Eigen::internal::pload<Packet>(r + p * panel_stride + q * kPs));
    }
}

// The integer read of the right part: a panel row is the same bytes as a float panel row
// (2 kPanel 16-bit columns), so the vectors' float-offset lists address it as bytes
// (offset * sizeof(float)). 64-byte vectors of GCC's vector extension, lowered to the build's
// ISA (one AVX-512 register, two AVX2 or four SSE registers).
using U16x32 = std::uint16_t __attribute__((vector_size(64), aligned(16), may_alias));
constexpr int kPanelF = 2 * PlaneProduct::kPanel;              // integer columns per panel
constexpr int kNpF = PlaneProduct::kPanel * 4 / 64;            // 64-byte vectors per panel row
static_assert(kNpF >= 1 && kPanelF == kNpF * 32, "an integer panel row is whole 64-byte vectors");

inline const U16x32* fixed_row(const char* panel, std::int32_t float_offset) {
    return reinterpret_cast<const U16x32*>(panel + static_cast<std::ptrdiff_t>(static_cast<std::uint32_t>(float_offset)) * 4);
}

// As sum_rows, in integers (exact: the grid bounds every sum below 2^16).
template <int J>
inline void sum_rows_fixed(const char* panel, const std::int32_t* rows, std::int32_t m, U16x32 (*acc)[kNpF]) {
    for (std::int32_t k = 0; k < m; ++k, rows += J) {
#pragma GCC unroll 16
        for (int j = 0; j < J; ++j) {
            const U16x32* r = fixed_row(panel, rows[j]);
            __asm__("" : "+r"(r));   // a plain memory operand (see sum_rows)
#pragma GCC unroll 8
            for (int q = 0; q < kNpF; ++q) acc[j][q] += r[q];
        }
    }
}

#ifdef SOTSIM_PLANE_AVX512
// g[k * 8 + j] = lists[j][k] for k < m (each list readable to m rounded up to 16; g writable
// as far): blocks of 16 entries of the 8 lists transposed in registers (three rounds of
// two-source permutes: 32-bit pairs, 64-bit quads, 128-bit halves), 24 permutes per 128
// entries instead of a scalar load and store each.
void interleave8(const std::int32_t* const* lists, std::int32_t m, std::int32_t* g) {
    const __m512i p32lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i p32hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const __m512i p64lo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i p64hi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    const __m512i p128lo = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
    const __m512i p128hi = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
    for (std::int32_t k0 = 0; k0 < m; k0 += 16) {
        __m512i a[8], c[8], d[8];
        for (int j = 0; j < 8; ++j) a[j] = _mm512_loadu_si512(lists[j] + k0);
        // c[2i] (k 0-7), c[2i+1] (k 8-15): lists 2i and 2i+1 interleaved.
        for (int i = 0; i < 4; ++i) {
            c[2 * i] = _mm512_permutex2var_epi32(a[2 * i], p32lo, a[2 * i + 1]);
            c[2 * i + 1] = _mm512_permutex2var_epi32(a[2 * i], p32hi, a[2 * i + 1]);
        }
        // d[4h + b]: lists 4h..4h+3 at k 4b..4b+3.
        for (int h = 0; h < 2; ++h)
            for (int half = 0; half < 2; ++half) {
                const __m512i x = c[4 * h + half], y = c[4 * h + 2 + half];
                d[4 * h + 2 * half] = _mm512_permutex2var_epi64(x, p64lo, y);
                d[4 * h + 2 * half + 1] = _mm512_permutex2var_epi64(x, p64hi, y);
            }
        for (int b = 0; b < 4; ++b) {
            _mm512_storeu_si512(g + (k0 + 4 * b) * 8, _mm512_permutex2var_epi64(d[b], p128lo, d[4 + b]));
            _mm512_storeu_si512(g + (k0 + 4 * b + 2) * 8, _mm512_permutex2var_epi64(d[b], p128hi, d[4 + b]));
        }
    }
}
#endif

}  // namespace

float PlaneProduct::fixed_grid(Eigen::Ref<Eigen::MatrixXf> w) {
    if (w.size() == 0 || w.rows() > 65535) return 0.0f;
    const long top = 65535 / static_cast<long>(w.rows());   // largest q: no sum of rows exceeds 2^16 - 1
    float mx = 0.0f;
    for (Eigen::Index j = 0; j < w.cols(); ++j)
        for (Eigen::Index i = 0; i < w.rows(); ++i) {
            const float v = w(i, j);
            if (!(v >= 0.0f) || !std::isfinite(v)) return 0.0f;
            mx = std::max(mx, v);
        }
    if (mx == 0.0f) return 0.0f;
    const float step = mx / static_cast<float>(top);
    if (!(step > 0.0f) || !std::isfinite(step)) return 0.0f;
    auto on_grid = [step](float v) { return static_cast<float>(std::lround(static_cast<double>(v) / step)) * step; };
    for (Eigen::Index j = 0; j < w.cols(); ++j)
        for (Eigen::Index i = 0; i < w.rows(); ++i) {
            const float v = w(i, j);
            if (v != 0.0f && std::fabs(static_cast<double>(on_grid(v)) - v) > 0x1.0p-7 * v) return 0.0f;
        }
    for (Eigen::Index j = 0; j < w.cols(); ++j)
        for (Eigen::Index i = 0; i < w.rows(); ++i) w(i, j) = on_grid(w(i, j));
    return step;
}

void PlaneProduct::pack(const Eigen::MatrixXf& left, const Eigen::MatrixXf& right, float right_step) {
    if (left.rows() != right.rows() && left.size() && right.size())
        throw std::logic_error("plane product: both parts of the operand need the same rows");
    rows_ = left.size() ? left.rows() : right.rows();
    lcols_ = left.cols();
    rcols_ = right.cols();
    rstep_ = right_step > 0.0f && rcols_ > 0 ? right_step : 0.0f;
    lpanels_ = (lcols_ + kPanel - 1) / kPanel;
    rpanels_ = rstep_ > 0.0f ? (rcols_ + kPanelF - 1) / kPanelF : (rcols_ + kPanel - 1) / kPanel;
    lstride_ = rows_ + kListPad;
    const Eigen::Index prow = rows_ + 1;   // the panel's rows and its padding row (-0.0f; 0 in integers)
    const Eigen::Index fpanels = lpanels_ + (rstep_ > 0.0f ? 0 : rpanels_);
    packed_.assign(static_cast<size_t>(fpanels * prow * kPanel), 0.0f);
    for (Eigen::Index p = 0; p < fpanels; ++p)
        std::fill_n(packed_.begin() + static_cast<std::ptrdiff_t>((p * prow + rows_) * kPanel), kPanel, -0.0f);
    auto put = [&](const Eigen::MatrixXf& u, Eigen::Index first_panel) {
        for (Eigen::Index c = 0; c < u.cols(); ++c) {
            const Eigen::Index p = first_panel + c / kPanel, k = c % kPanel;
            for (Eigen::Index i = 0; i < rows_; ++i) packed_[static_cast<size_t>((p * prow + i) * kPanel + k)] = u(i, c);
        }
    };
    put(left, 0);
    fixed_.clear();
    if (rstep_ > 0.0f) {
        const long top = rows_ > 0 ? 65535 / static_cast<long>(rows_) : 0;
        fixed_.assign(static_cast<size_t>(rpanels_ * prow * kPanelF), 0);
        for (Eigen::Index c = 0; c < rcols_; ++c) {
            const Eigen::Index p = c / kPanelF, k = c % kPanelF;
            for (Eigen::Index i = 0; i < rows_; ++i) {
                const float v = right(i, c);
                const long q = std::lround(static_cast<double>(v) / rstep_);
                if (q < 0 || q > top || static_cast<float>(q) * rstep_ != v)
                    throw std::logic_error("plane product: an integer-read entry is not on its grid (PlaneProduct::fixed_grid)");
                fixed_[static_cast<size_t>((p * prow + i) * kPanelF + k)] = static_cast<std::uint16_t>(q);
            }
        }
    } else {
        put(right, lpanels_);
    }
}

bool PlaneBits::fill(const float* b, Eigen::Index ld, Eigen::Index rows, Eigen::Index v0, Eigen::Index nv, std::uint16_t* bits,
                     std::int32_t* per_row) {
    const Eigen::Index words = (rows + 15) / 16;
    bool plane = true;   // every entry read is 0 or 1 (NaN is neither)
#ifdef SOTSIM_PLANE_AVX512
    if (ld == 1) {
        // One vector (a plane of batch 1): its rows are contiguous, 16 of them one load.
        for (Eigen::Index w = 0; w < words; ++w) {
            const Eigen::Index nr = std::min<Eigen::Index>(16, rows - w * 16);
            const __m512 x = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << nr) - 1u), b + w * 16);
            const __mmask16 on = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NEQ_UQ);
            plane &= static_cast<__mmask16>(on & ~_mm512_cmp_ps_mask(x, _mm512_set1_ps(1.0f), _CMP_EQ_OQ)) == 0;
            bits[w] = static_cast<std::uint16_t>(on);
            if (per_row)
                for (Eigen::Index r = 0; r < nr; ++r) per_row[w * 16 + r] += (on >> r) & 1u;
        }
        return plane;
    }
#endif
    // Rows in blocks of 16 outside, vectors in blocks of 16 inside: the block's 16 rows are
    // each read as a sequential stream.
    for (Eigen::Index w = 0; w < words; ++w) {
        const Eigen::Index i0 = w * 16, nr = std::min<Eigen::Index>(16, rows - i0);
        for (Eigen::Index j0 = 0; j0 < nv; j0 += 16) {
            const Eigen::Index nb = std::min<Eigen::Index>(16, nv - j0);
            std::uint16_t* out = bits + j0 * words + w;
#ifdef SOTSIM_PLANE_AVX512
            // One mask per row over the block's vectors, the 16 x 16 bit block read back per
            // vector (bit j of every row's mask).
            const __mmask16 vmask = static_cast<__mmask16>((1u << nb) - 1u);
            alignas(32) std::uint16_t m[16] = {};
            for (Eigen::Index r = 0; r < nr; ++r) {
                const __m512 x = _mm512_maskz_loadu_ps(vmask, b + (i0 + r) * ld + v0 + j0);
                m[r] = static_cast<std::uint16_t>(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NEQ_UQ));
                const __mmask16 one = _mm512_cmp_ps_mask(x, _mm512_set1_ps(1.0f), _CMP_EQ_OQ);
                plane &= static_cast<__mmask16>(m[r] & ~one) == 0;
                if (per_row) per_row[i0 + r] += __builtin_popcount(m[r]);
            }
            const __m256i rowmasks = _mm256_load_si256(reinterpret_cast<const __m256i*>(m));
            for (Eigen::Index j = 0; j < nb; ++j)
                out[j * words] = static_cast<std::uint16_t>(_mm256_test_epi16_mask(rowmasks, _mm256_set1_epi16(static_cast<short>(1u << j))));
#else
            for (Eigen::Index j = 0; j < nb; ++j) out[j * words] = 0;
            for (Eigen::Index r = 0; r < nr; ++r) {
                const float* x = b + (i0 + r) * ld + v0 + j0;
                std::int32_t n = 0;
                for (Eigen::Index j = 0; j < nb; ++j) {
                    const unsigned on = x[j] != 0.0f ? 1u : 0u;
                    plane &= x[j] == 0.0f || x[j] == 1.0f;
                    out[j * words] = static_cast<std::uint16_t>(out[j * words] | (on << r));
                    n += static_cast<std::int32_t>(on);
                }
                if (per_row) per_row[i0 + r] += n;
            }
#endif
        }
    }
    return plane;
}

bool PlaneBits::assign(const Eigen::MatrixXf& b) {
    vectors_ = b.rows();
    rows_ = b.cols();
    words_ = (rows_ + 15) / 16;
    bits_.resize(static_cast<size_t>(vectors_ * words_));
    per_row_.assign(static_cast<size_t>(rows_), 0);
    const bool plane = fill(b.data(), vectors_, rows_, 0, vectors_, bits_.data(), per_row_.data());
    per_vector_.resize(static_cast<size_t>(vectors_));
    for (Eigen::Index v = 0; v < vectors_; ++v) {
        std::int32_t n = 0;
        for (Eigen::Index w = 0; w < words_; ++w) n += __builtin_popcount(bits_[static_cast<size_t>(v * words_ + w)]);
        per_vector_[static_cast<size_t>(v)] = n;
    }
    return plane;
}

std::int32_t PlaneProduct::build_list(const std::uint16_t* bits, std::int32_t* list) const {
    // Active rows as float offsets into a panel, in row order.
    std::int32_t n = 0;
    const Eigen::Index words = (rows_ + 15) / 16;
#ifdef SOTSIM_PLANE_AVX512
    // 16 rows a word: the active rows' offsets compressed into the list (a compress to a
    // register, then a plain 16-wide store: the list has room past its count).
    const __m512i lane = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(kPanel));
    for (Eigen::Index w = 0; w < words; ++w) {
        const __mmask16 k = bits[w];
        const __m512i off = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int>(w * 16 * kPanel)));
        _mm512_storeu_si512(list + n, _mm512_maskz_compress_epi32(k, off));
        n += static_cast<std::int32_t>(__builtin_popcount(static_cast<unsigned>(k)));
    }
#else
    // Every row is written, only active ones advance the count (no branch).
    for (Eigen::Index i = 0; i < rows_; ++i) {
        list[n] = static_cast<std::int32_t>(i * kPanel);
        n += static_cast<std::int32_t>((bits[i / 16] >> (i % 16)) & 1u);
    }
#endif
    return n;
}

void PlaneProduct::multiply(const Eigen::MatrixXf& b, Eigen::Index first, Eigen::Index count, bool left, bool right,
                            RowMatrixXf& out) const {
    if (b.cols() != rows_) throw std::logic_error("plane product: the plane's width does not match the packed operand");
    if (first < 0 || count < 0 || first + count > b.rows()) throw std::logic_error("plane product: vector range outside the plane");
    // Each chunk's bits from the plane, as the chunk is read.
    std::vector<std::uint16_t>& bits = scratch().bits;
    const Eigen::Index words = (rows_ + 15) / 16;
    multiply_bits(count, left, right, out, [&](Eigen::Index c0, Eigen::Index nc) {
        if (bits.size() < static_cast<size_t>(nc * words)) bits.resize(static_cast<size_t>(nc * words));
        PlaneBits::fill(b.data(), b.rows(), rows_, first + c0, nc, bits.data(), nullptr);
        return static_cast<const std::uint16_t*>(bits.data());
    });
}

void PlaneProduct::multiply(const PlaneBits& b, Eigen::Index first, Eigen::Index count, bool left, bool right, RowMatrixXf& out) const {
    if (b.rows() != rows_) throw std::logic_error("plane product: the plane's width does not match the packed operand");
    if (first < 0 || count < 0 || first + count > b.vectors()) throw std::logic_error("plane product: vector range outside the plane");
    multiply_bits(count, left, right, out, [&](Eigen::Index c0, Eigen::Index) { return b.vector(first + c0); });
}

template <class Bits>
void PlaneProduct::multiply_bits(Eigen::Index count, bool left, bool right, RowMatrixXf& out, Bits&& bits_of) const {
    const Eigen::Index batch = count;
    out.resize(batch, (left ? lcols_ : 0) + (right ? rcols_ : 0));
    if (batch == 0 || out.cols() == 0) return;
    // Chunks of kChunk vectors (whole groups): the lists of one chunk stay in L1/L2 while every
    // panel is read; a vector's sums do not depend on the chunk it falls in.
    constexpr Eigen::Index kChunk = 64;
    static_assert(kChunk % 16 == 0 && kChunk % kJoint == 0, "a chunk is whole list blocks and groups");
    Scratch& s = scratch();
    // Grown, never shrunk: operands of different sizes share the scratch, and a resize up
    // after a smaller operand's call would zero the new part each time (every entry a
    // result depends on is written before it is read, so a larger buffer serves any operand;
    // the lists' interleaving also moves up to 15 stale entries past a group's longest list,
    // into places the sums never read).
    auto at_least = [](std::vector<std::int32_t>& v, Eigen::Index n) {
        if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
    };
    at_least(s.active, kChunk * lstride_);
    at_least(s.count, kChunk);
    at_least(s.group, kChunk * rows_ + 16 * kJoint);   // a group's lists may be written 16 entries long
    at_least(s.gcount, kChunk / kJoint);
    std::vector<std::int32_t> &active = s.active, &counts = s.count, &group = s.group, &gcount = s.gcount;
    // Panels to read; where a panel's columns go in the output row, and how many it holds.
    const Eigen::Index p_begin = left ? 0 : lpanels_, p_end = right ? lpanels_ + rpanels_ : lpanels_;
    const Eigen::Index ld = out.cols(), stride = (rows_ + 1) * kPanel;
    auto place = [&](Eigen::Index p, Eigen::Index& first, Eigen::Index& n) {
        const bool in_left = p < lpanels_;
        const Eigen::Index width = in_left || rstep_ == 0.0f ? kPanel : kPanelF;
        const Eigen::Index part_col = (in_left ? p : p - lpanels_) * width;
        first = part_col + (in_left || !left ? 0 : lcols_);
        n = std::min<Eigen::Index>(width, (in_left ? lcols_ : rcols_) - part_col);
    };
    // Panels [p_begin, f_end) are float, [f_end, p_end) integer (the right part, when fixed).
    const Eigen::Index f_end = rstep_ > 0.0f ? std::min(p_end, lpanels_) : p_end;
    const Eigen::Index fstride = (rows_ + 1) * kPanelF;
    auto fixed_panel = [&](Eigen::Index p) { return reinterpret_cast<const char*>(fixed_.data() + (p - lpanels_) * fstride); };
    alignas(64) std::uint16_t itile[kPanelF];
    auto store_fixed = [&](const U16x32* acc, float* o, Eigen::Index n) {
        std::memcpy(itile, acc, sizeof itile);
        const float step = rstep_;
        for (Eigen::Index c = 0; c < n; ++c) o[c] = static_cast<float>(itile[c]) * step;
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
    const auto pad_row = static_cast<std::int32_t>(rows_ * kPanel);
    for (Eigen::Index c0 = 0; c0 < batch; c0 += kChunk) {
        const Eigen::Index nc = std::min(kChunk, batch - c0);
        const std::uint16_t* bits = bits_of(c0, nc);
        const Eigen::Index words = (rows_ + 15) / 16;
        for (Eigen::Index v = 0; v < nc; ++v) counts[static_cast<size_t>(v)] = build_list(bits + v * words, active.data() + v * lstride_);
        // Vectors summed together: their lists interleaved (entry k of vector j at
        // k * kJoint + j, one pointer for the whole group), each padded with the -0.0f row to
        // the group's longest. The groups take the chunk's vectors in order of their active
        // rows, so a group's lists are about equally long: at 50 % density the longest of 8
        // in input order is ~9 % above their mean, and every padding entry is a panel-row
        // load and add for nothing. Which vectors share a group changes no result.
        std::int32_t order[kChunk];
        for (Eigen::Index v = 0; v < nc; ++v) order[v] = static_cast<std::int32_t>(v);
        std::sort(order, order + nc, [&](std::int32_t a, std::int32_t c) {
            const std::int32_t na = counts[static_cast<size_t>(a)], nb = counts[static_cast<size_t>(c)];
            return na < nb || (na == nb && a < c);
        });
        const Eigen::Index whole = nc - nc % kJoint;   // vectors in whole groups of kJoint
        for (Eigen::Index v0 = 0; v0 < whole; v0 += kJoint) {
            std::int32_t m = 0;
            for (int j = 0; j < kJoint; ++j) m = std::max(m, counts[static_cast<size_t>(order[v0 + j])]);
            std::int32_t* g = group.data() + v0 * rows_;
#ifdef SOTSIM_PLANE_AVX512
            if constexpr (kJoint == 8) {
                // Each list padded to the group's longest in place (it has room for 16 past
                // any count), then the 8 lists interleaved 16 entries at a time.
                const std::int32_t* lists[8];
                const __m512i pad = _mm512_set1_epi32(pad_row);
                for (int j = 0; j < 8; ++j) {
                    std::int32_t* list = active.data() + order[v0 + j] * lstride_;
                    for (std::int32_t k = counts[static_cast<size_t>(order[v0 + j])]; k < m; k += 16) _mm512_storeu_si512(list + k, pad);
                    lists[j] = list;
                }
                interleave8(lists, m, g);
                gcount[static_cast<size_t>(v0 / kJoint)] = m;
                continue;
            }
#endif
            for (int j = 0; j < kJoint; ++j) {
                const std::int32_t* list = active.data() + order[v0 + j] * lstride_;
                const std::int32_t c = counts[static_cast<size_t>(order[v0 + j])];
                for (std::int32_t k = 0; k < c; ++k) g[k * kJoint + j] = list[k];
                for (std::int32_t k = c; k < m; ++k) g[k * kJoint + j] = pad_row;
            }
            gcount[static_cast<size_t>(v0 / kJoint)] = m;
        }
        for (Eigen::Index p = f_end; p < p_end; ++p) {
            const char* panel = fixed_panel(p);
            Eigen::Index ofirst = 0, cn = 0;
            place(p, ofirst, cn);
            for (Eigen::Index v0 = 0; v0 < whole; v0 += kJoint) {
                U16x32 acc[kJoint][kNpF] = {};
                sum_rows_fixed<kJoint>(panel, group.data() + v0 * rows_, gcount[static_cast<size_t>(v0 / kJoint)], acc);
                for (int j = 0; j < kJoint; ++j) store_fixed(acc[j], out.data() + (c0 + order[v0 + j]) * ld + ofirst, cn);
            }
        }
        for (Eigen::Index p = p_begin; p < f_end; ++p) {
            const float* panel = packed_.data() + p * stride;
            Eigen::Index ofirst = 0, cn = 0;
            place(p, ofirst, cn);
            for (Eigen::Index v0 = 0; v0 < whole; v0 += kJoint) {
                Packet acc[kJoint][kNp];
                for (int j = 0; j < kJoint; ++j)
                    for (int q = 0; q < kNp; ++q) acc[j][q] = Eigen::internal::pset1<Packet>(0.0f);
                sum_rows<kJoint>(panel, group.data() + v0 * rows_, gcount[static_cast<size_t>(v0 / kJoint)], acc);
                for (int j = 0; j < kJoint; ++j) store(acc[j], out.data() + (c0 + order[v0 + j]) * ld + ofirst, cn);
            }
        }
        // The vectors after the whole groups (all of them at batch 1): one vector over kJoint
        // panels at once, for as many independent chains; each panel's sum is still that
        // vector's rows in order, so the result does not depend on the group a vector falls in.
        for (Eigen::Index i = whole; i < nc; ++i) {
            const Eigen::Index v = order[i];
            const std::int32_t* list = active.data() + v * lstride_;
            const std::int32_t m = counts[static_cast<size_t>(v)];
            for (Eigen::Index p = f_end; p < p_end; ++p) {
                // Integer panels one at a time: their adds have a one-cycle latency.
                U16x32 acc[1][kNpF] = {};
                sum_rows_fixed<1>(fixed_panel(p), list, m, acc);
                Eigen::Index ofirst = 0, cn = 0;
                place(p, ofirst, cn);
                store_fixed(acc[0], out.data() + (c0 + v) * ld + ofirst, cn);
            }
            for (Eigen::Index p0 = p_begin; p0 < f_end; p0 += kJoint) {
                const int np = static_cast<int>(std::min<Eigen::Index>(kJoint, f_end - p0));
                Packet acc[kJoint][kNp];
                for (int j = 0; j < kJoint; ++j)
                    for (int q = 0; q < kNp; ++q) acc[j][q] = Eigen::internal::pset1<Packet>(0.0f);
                const float* panel0 = packed_.data() + p0 * stride;
                // The panels in runs of kJoint, then halves, quarters ... (any run sums each
                // panel in row order).
                int done = 0;
                auto run = [&](auto width) {
                    constexpr int w = decltype(width)::value;
                    while (np - done >= w) {
                        sum_panels<w>(panel0 + done * stride, stride, list, m, acc + done);
                        done += w;
                    }
                };
                run(std::integral_constant<int, kJoint>{});
                if constexpr (kJoint >= 8) run(std::integral_constant<int, 4>{});
                if constexpr (kJoint >= 4) run(std::integral_constant<int, 2>{});
                run(std::integral_constant<int, 1>{});
                for (int j = 0; j < np; ++j) {
                    Eigen::Index ofirst = 0, cn = 0;
                    place(p0 + j, ofirst, cn);
                    store(acc[j], out.data() + (c0 + v) * ld + ofirst, cn);
                }
            }
        }
    }
}

}  // namespace sotsim::phys
