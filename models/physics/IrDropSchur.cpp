#include "models/physics/IrDropSchur.h"

#include "models/physics/BlockedDense.h"
#include "models/physics/SchurKernels.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <future>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace sotsim::phys {
namespace {

// Uninitialised storage of a front: pages are touched only where the front is written (a
// pooled buffer of a size class is up to 2x its first user's need). Buffers of 2 MiB and more
// are aligned to and advised as transparent huge pages: one page fault per 2 MiB instead of
// 512 (the first touch of fresh fronts cost ~25 % of a 256 x 256 reduction in page-fault
// handling on a 4 KiB-page host). Move-only.
class Buffer {
    // Above this size, advising huge pages was slower (1024 x 1024: 1.36 -> 2.26 s CPU, the
    // kernel clearing / compacting 2 MiB pages under memory pressure), while the 4 KiB faults
    // of a front this large are a small part of its O(n^3) elimination.
    static constexpr std::size_t kHugeMax = std::size_t{16} << 20;

public:
    Buffer() = default;
    explicit Buffer(std::size_t n) : n_(n) {
        const std::size_t bytes = n * sizeof(double);
        constexpr std::size_t huge = std::size_t{2} << 20;
        if (bytes >= huge) {
            const std::size_t rounded = (bytes + huge - 1) / huge * huge;
            p_ = static_cast<double*>(std::aligned_alloc(huge, rounded));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
            if (p_ && bytes <= kHugeMax) ::madvise(p_, rounded, MADV_HUGEPAGE);   // advice only: no effect where THP is off
#endif
        } else {
            p_ = static_cast<double*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
        }
        if (!p_) throw std::bad_alloc();
    }
    ~Buffer() { std::free(p_); }
    Buffer(Buffer&& o) noexcept : p_(o.p_), n_(o.n_) {
        o.p_ = nullptr;
        o.n_ = 0;
    }
    Buffer& operator=(Buffer&& o) noexcept {
        if (this != &o) {
            std::free(p_);
            p_ = o.p_;
            n_ = o.n_;
            o.p_ = nullptr;
            o.n_ = 0;
        }
        return *this;
    }
    double* data() const { return p_; }
    std::size_t size() const { return n_; }
    bool empty() const { return n_ == 0; }

private:
    double* p_ = nullptr;
    std::size_t n_ = 0;
};

// Sides of a rectangle [i0, i1) x [j0, j1) of cells, as node lists: L the row nodes
// (i, j0 - 1), or the driven row ends (i, 0) when j0 = 0; T the column nodes (i0 - 1, j)
// (only if i0 > 0: the column tops are open); R the row nodes (i, j1 - 1) (only if j1 < cols:
// the row right ends are open); B the column nodes (i1 - 1, j) (the sensed column ends when
// i1 = rows). Each list runs in array order (i for L and R, j for T and B).
enum Side { kL = 0, kT = 1, kR = 2, kB = 3 };
// A side's key is the depth of the split that made it (>= 0; the deeper the split, the
// sooner its merge eliminates the side), or one of these.
constexpr int kAbsent = -1000, kDriven = -1, kSense = -2;

// A rectangle reduced to its boundary nodes: `s` is the Schur complement of the rectangle's
// nodal matrix (its own cells and inner wire segments, plus the driver and sense segments it
// contains) onto its sides, listed side after side in decreasing key order (the side the next
// merge eliminates first, the driven then the sensed ends last). With that order every merge
// maps each child's list onto runs of the parent's list in increasing order, so the
// children's matrices are added with contiguous column segments and no index tables, and the
// parent's list is the same kind of list again.
struct Box {
    int i0 = 0, i1 = 0, j0 = 0, j1 = 0;
    int key[4] = {kAbsent, kAbsent, kAbsent, kAbsent};
    int list[4] = {0, 0, 0, 0};   // sides in list order
    int nsides = 0;
    int off[4] = {0, 0, 0, 0};    // where each side starts in the list
    int n = 0;                    // boundary nodes
    Buffer buf;                   // storage of s (never copied: a copy is a frame)
    const double* s = nullptr;    // n x n, leading dimension ld; lower triangle valid
    Eigen::Index ld = 0;

    Box() = default;
    Box(const Box& o)
        : i0(o.i0), i1(o.i1), j0(o.j0), j1(o.j1), nsides(o.nsides), n(o.n), s(nullptr), ld(0) {
        std::copy(o.key, o.key + 4, key);
        std::copy(o.list, o.list + 4, list);
        std::copy(o.off, o.off + 4, off);
    }
    Box(Box&&) = default;
    Box& operator=(Box&&) = default;

    int len(int side) const { return side == kL || side == kR ? i1 - i0 : j1 - j0; }
    // Orders the present sides by key and sets off / n.
    void layout() {
        nsides = 0;
        for (int x = 0; x < 4; ++x)
            if (key[x] != kAbsent) list[nsides++] = x;
        std::sort(list, list + nsides, [&](int a, int b) { return key[a] > key[b]; });
        n = 0;
        for (int q = 0; q < nsides; ++q) {
            off[list[q]] = n;
            n += len(list[q]);
        }
    }
};

// Workspace buffers kept by a thread between reductions, by size class. A reduction's
// fronts are fresh memory otherwise: the kernel zeroes every page on first touch (clearing
// and faulting were ~10 % of a 256 x 256 reduction on a 4 KiB-page host), and a run solves
// one transfer matrix per programmed macro, each on the same sizes. Buffers are uninitialised
// storage (every front is written before it is read), so reuse changes no number. At most
// kRetainBytes per thread stay allocated after a reduction (the largest classes go first).
class RetainedBuffers {
public:
    static constexpr std::size_t kRetainBytes = std::size_t{64} << 20;
    static RetainedBuffers& local() {
        static thread_local RetainedBuffers r;
        return r;
    }
    void take(std::vector<Buffer> (&pool)[64]) {
        for (int c = 0; c < 64; ++c) {
            for (auto& b : held_[c]) pool[c].push_back(std::move(b));
            held_[c].clear();
        }
        bytes_ = 0;
    }
    void keep(std::vector<Buffer> (&pool)[64]) {
        for (int c = 0; c < 64; ++c) {
            for (auto& b : pool[c]) {
                const std::size_t bytes = b.size() * sizeof(double);
                if (bytes_ + bytes > kRetainBytes) continue;   // freed with the pool
                bytes_ += bytes;
                held_[c].push_back(std::move(b));
            }
        }
    }

private:
    std::vector<Buffer> held_[64];
    std::size_t bytes_ = 0;
};

class SchurReducer {
public:
    SchurReducer(const Eigen::MatrixXd& g, double g_row, double g_col)
        : g_(g), gr_(g_row), gc_(g_col), rows_(static_cast<int>(g.rows())), cols_(static_cast<int>(g.cols())) {
        RetainedBuffers::local().take(pool_);
    }
    ~SchurReducer() { RetainedBuffers::local().keep(pool_); }
    SchurReducer(const SchurReducer&) = delete;
    SchurReducer& operator=(const SchurReducer&) = delete;

    // The whole array: its sides are the driven row ends and the sensed column ends.
    Box reduce_array(int threads) {
        Box top;
        top.i1 = rows_;
        top.j1 = cols_;
        top.key[kL] = kDriven;
        top.key[kB] = kSense;
        return reduce(top, 0, threads);
    }

    // Return a box's storage to the pool (the final front, after its last read).
    void recycle(Box& b) { release(b); }
    // Uninitialised storage of at least n doubles from the pool, and its return.
    Buffer scratch(size_t n) {
        Buffer buf;
        workspace_buffer(n, buf);
        return buf;
    }
    void give_back(Buffer& buf) { release_buffer(buf); }

    int row_node(int i, int j) const { return 2 * (i * cols_ + j); }
    int col_node(int i, int j) const { return 2 * (i * cols_ + j) + 1; }

private:
    // `frame`: the rectangle and its side keys; `depth` the key its split gives the new sides.
    // `threads` > 1: the two halves of a split are independent and reduce concurrently (the
    // second in a reducer of its own, for its own scratch). Every box is computed by the same
    // operations in the same order whatever the thread count, so M is bitwise identical for
    // any `threads`.
    Box reduce(const Box& frame, int depth, int threads = 1) {
        const int cells = (frame.i1 - frame.i0) * (frame.j1 - frame.j0);
        if (cells <= kLeafCells) return ready_.empty() ? leaf(frame) : take_leaf(frame);
        // The leaves of a small box are reduced together first (prepare_leaves), then taken
        // in the order the recursion below reaches them.
        const bool batch = ready_.empty() && cells <= kBatchCells;
        if (batch) prepare_leaves(frame, depth);
        Box a, b;
        const bool vertical = split(frame, depth, a, b);
        Box out;
        if (threads > 1 && cells >= kParallelCells) {
            const int ta = threads / 2, tb = threads - ta;
            auto second = std::async(std::launch::async, [&, tb] {
                SchurReducer other(g_, gr_, gc_);
                return other.reduce(b, depth + 1, tb);
            });
            Box ra = reduce(a, depth + 1, ta);
            Box rb = second.get();
            out = merge(frame, vertical, ra, rb);
        } else {
            Box ra = reduce(a, depth + 1);
            Box rb = reduce(b, depth + 1);
            out = merge(frame, vertical, ra, rb);
        }
        if (batch) {
            if (next_ready_ != ready_.size()) throw std::logic_error("IR drop: prepared leaves not all used");
            ready_.clear();
            next_ready_ = 0;
        }
        return out;
    }

    // The halves a (top or left) and b of a box that is not a leaf; returns whether the rows
    // were split (a on top of b). `depth` is the key the split gives the new sides.
    bool split(const Box& frame, int depth, Box& a, Box& b) const {
        const int h = frame.i1 - frame.i0, w = frame.j1 - frame.j0;
        a = Box(frame);   // frames: a copy has no storage
        b = Box(frame);
        const bool vertical = h >= w;
        if (vertical) {
            a.i1 = b.i0 = frame.i0 + h / 2;
            a.key[kB] = b.key[kT] = depth;
        } else {
            a.j1 = b.j0 = frame.j0 + w / 2;
            a.key[kR] = b.key[kL] = depth;
        }
        // Splits halve sides of >= 5 cells, so no half is one column wide unless the array
        // is, and the driven ends (i, 0) are never also a right side.
        if (a.j0 == 0 && a.j1 == 1 && cols_ > 1) throw std::logic_error("IR drop: one-column box inside the array");
        return vertical;
    }

    // The leaf frames of a box in the order reduce() reaches them.
    void collect_leaves(const Box& frame, int depth, std::vector<Box>& out) const {
        if ((frame.i1 - frame.i0) * (frame.j1 - frame.j0) <= kLeafCells) {
            out.push_back(frame);
            return;
        }
        Box a, b;
        split(frame, depth, a, b);
        collect_leaves(a, depth + 1, out);
        collect_leaves(b, depth + 1, out);
    }

    // Small leaves keep the dense leaf factorisation cheap ((2 h w)^3 / 3 flops) while
    // amortising per-box bookkeeping.
    static constexpr int kLeafCells = 16;
    // Boxes of at most this many cells reduce their leaves together (8 leaves of 16 cells:
    // one batch of schur_lanes for the leaves inside the array).
    static constexpr int kBatchCells = 8 * kLeafCells;
    // Below this many cells a thread costs more than the box.
    static constexpr int kParallelCells = 64 * 64;

    // Node t of side x of box b.
    int side_node(const Box& b, int x, int t) const {
        switch (x) {
            case kL: return row_node(b.i0 + t, b.j0 == 0 ? 0 : b.j0 - 1);
            case kT: return col_node(b.i0 - 1, b.j0 + t);
            case kR: return row_node(b.i0 + t, b.j1 - 1);
            default: return col_node(b.i1 - 1, b.j0 + t);
        }
    }

    using Mat = Eigen::Map<Eigen::MatrixXd>;

    // An n x n matrix in a buffer from the reducer's pool (reused by later boxes: no
    // allocation, page faults or fresh-page zeroing per merge); `buf` receives the storage.
    // `zero`: zeroed (every reader of a front reads only the lower triangle, but one fill of
    // the whole matrix is cheaper than a fill per column for the small fronts that ask),
    // else uninitialised.
    Mat workspace(int n, Buffer& buf, bool zero) {
        const size_t need = static_cast<size_t>(n) * static_cast<size_t>(n);
        workspace_buffer(need, buf);
        if (zero) std::fill_n(buf.data(), need, 0.0);   // one fill (the upper triangle is never read)
        return Mat(buf.data(), n, n);
    }
    // Buffers are pooled by power-of-two size class: O(1) reuse, at most 2x the need.
    void workspace_buffer(size_t need, Buffer& buf) {
        int cls = 0;
        while ((static_cast<size_t>(1) << cls) < need) ++cls;
        auto& free = pool_[static_cast<size_t>(cls)];
        if (!free.empty()) {
            buf = std::move(free.back());
            free.pop_back();
        } else {
            buf = Buffer(static_cast<size_t>(1) << cls);
        }
    }
    void release_buffer(Buffer& buf) {
        if (!buf.empty()) {
            int cls = 0;
            while ((static_cast<size_t>(1) << cls) < buf.size()) ++cls;
            pool_[static_cast<size_t>(cls)].push_back(std::move(buf));
        }
        buf = {};
    }
    void release(Box& b) {
        release_buffer(b.buf);
        b.s = nullptr;
    }

    // The kept block of the reduced workspace becomes the box's matrix (no copy).
    static void keep(Box& out, Buffer& buf, int n, int e) {
        out.buf = std::move(buf);
        out.ld = n;
        out.s = out.buf.data() + static_cast<size_t>(e) * static_cast<size_t>(n + 1);
    }

    // A leaf's boxes and its order: `out` the box with its sides laid out, e its own nodes
    // that are eliminated, n = e + out.n the order of its front.
    struct LeafShape {
        Box out;
        int e = 0, n = 0;
    };
    LeafShape leaf_shape(const Box& frame) const {
        LeafShape ls;
        ls.out = Box(frame);
        Box& out = ls.out;
        out.layout();
        const int h = out.i1 - out.i0, w = out.j1 - out.j0;
        const bool driven = out.j0 == 0, right = out.key[kR] != kAbsent;
        if (out.key[kL] == kAbsent || out.key[kB] == kAbsent || (out.i0 > 0) != (out.key[kT] != kAbsent) ||
            (out.j1 < cols_) != right)
            throw std::logic_error("IR drop: leaf sides");
        const int own_on_sides = (driven ? h : 0) + (right ? h : 0) + w;
        ls.e = 2 * h * w - own_on_sides;
        ls.n = ls.e + out.n;
        return ls;
    }

    // Stamps a leaf's nodal matrix (lower triangle) through at(r, c) -> double&, whose
    // entries are zero on entry. A leaf's local indices follow from its sides (no global node
    // table): row node (i, j) is the L side if j = 0 (driven end), the R side if j = j1 - 1
    // and R is present; column node (i, j) is the B side if i = i1 - 1. Eliminated nodes are
    // numbered cell by cell (row node before column node), side nodes after them in list order.
    template <class At>
    void assemble_leaf(const LeafShape& ls, At&& at) {
        const Box& out = ls.out;
        const int e = ls.e, i0 = out.i0, j0 = out.j0, h = out.i1 - i0, w = out.j1 - j0;
        const bool driven = j0 == 0, right = out.key[kR] != kAbsent;
        int* row = leaf_idx_;          // row node (i, j): row[(i - i0) * w + (j - j0)]
        int* col = leaf_idx_ + h * w;  // column node (i, j): col[(i - i0) * w + (j - j0)]
        int next = 0;
        for (int i = 0; i < h; ++i)
            for (int j = 0; j < w; ++j) {
                int& r = row[i * w + j];
                if (right && j == w - 1) r = e + out.off[kR] + i;   // R after L: a one-column array has no R
                else if (driven && j == 0) r = e + out.off[kL] + i;
                else r = next++;
                col[i * w + j] = i == h - 1 ? e + out.off[kB] + j : next++;
            }
        if (next != e) throw std::logic_error("IR drop: leaf node count");
        // A conductance between local nodes a and b (b < 0: to a fixed-voltage node).
        const auto stamp = [&](int a, int b, double gg) {
            at(a, a) += gg;
            if (b >= 0) {
                at(b, b) += gg;
                at(std::max(a, b), std::min(a, b)) -= gg;
            }
        };
        for (int i = 0; i < h; ++i)
            for (int j = 0; j < w; ++j) {
                const int gi = i0 + i, gj = j0 + j;
                const int r = row[i * w + j], c = col[i * w + j];
                if (g_(gi, gj) > 0.0) stamp(r, c, g_(gi, gj));
                // left segment / driver: the left neighbour is this leaf's, the L side's (j0 > 0) or ground
                const int left = gj == 0 ? -1 : j > 0 ? row[i * w + j - 1] : e + out.off[kL] + i;
                stamp(r, left, gr_);
                if (gi > 0) stamp(c, i > 0 ? col[(i - 1) * w + j] : e + out.off[kT] + j, gc_);   // top segment
                if (gi == rows_ - 1) stamp(c, -1, gc_);                                          // sense segment
            }
    }

    // A leaf on its own (an array of at most kLeafCells cells; inside a larger array leaves
    // are reduced in batches, prepare_leaves).
    Box leaf(const Box& frame) {
        LeafShape ls = leaf_shape(frame);
        Buffer buf;
        Mat k = workspace(ls.n, buf, true);   // all of it: schur_leaf also updates upper-triangle rows
        assemble_leaf(ls, [&](int r, int c) -> double& { return k(r, c); });
        eliminate(k, ls.e, true);
        keep(ls.out, buf, ls.n, ls.e);
        return std::move(ls.out);
    }

    // Reduces the leaves of `frame` (a box of at most kBatchCells cells, split from `depth`)
    // into ready_, in the order reduce() takes them: leaves of the same order n and e go
    // kSchurLanes at a time through schur_lanes, each assembled straight into its lane; lanes
    // without a leaf hold an identity. Every leaf's matrix is the one schur_leaf leaves
    // (bitwise, SchurKernels.h), kept in a buffer of its own kept block only.
    void prepare_leaves(const Box& frame, int depth) {
        frames_.clear();
        collect_leaves(frame, depth, frames_);
        const int count = static_cast<int>(frames_.size());
        shapes_.clear();
        for (const Box& f : frames_) shapes_.push_back(leaf_shape(f));
        ready_.clear();
        ready_.resize(static_cast<size_t>(count));
        next_ready_ = 0;
        std::vector<char> done(static_cast<size_t>(count), 0);
        int members[kSchurLanes];
        for (int first = 0; first < count; ++first) {
            if (done[static_cast<size_t>(first)]) continue;
            const int n = shapes_[static_cast<size_t>(first)].n, e = shapes_[static_cast<size_t>(first)].e;
            // The next up to kSchurLanes leaves of this order, in leaf order.
            int m = 0;
            for (int q = first; q < count && m < kSchurLanes; ++q)
                if (!done[static_cast<size_t>(q)] && shapes_[static_cast<size_t>(q)].n == n &&
                    shapes_[static_cast<size_t>(q)].e == e) {
                    members[m++] = q;
                    done[static_cast<size_t>(q)] = 1;
                }
            const size_t lane_doubles = static_cast<size_t>(n) * static_cast<size_t>(n) * kSchurLanes;
            if (lanes_.size() < lane_doubles) lanes_ = Buffer(lane_doubles);
            double* z = lanes_.data();
            const auto at = [&](int r, int c) { return z + (static_cast<size_t>(c) * n + r) * kSchurLanes; };
            for (int c = 0; c < n; ++c) std::fill(at(c, c), at(n, c), 0.0);   // lower triangle
            for (int l = 0; l < kSchurLanes; ++l) {
                if (l < m) assemble_leaf(shapes_[static_cast<size_t>(members[l])], [&](int r, int c) -> double& { return at(r, c)[l]; });
                else
                    for (int c = 0; c < n; ++c) at(c, c)[l] = 1.0;
            }
            if (e > 0 && !schur_lanes(z, n, e)) throw std::runtime_error("IR drop: Schur block not positive definite");
            const int nk = n - e;
            for (int l = 0; l < m; ++l) {
                Box& out = shapes_[static_cast<size_t>(members[l])].out;
                Buffer buf;
                Mat kk = workspace(nk, buf, false);
                for (int c = 0; c < nk; ++c)
                    for (int r = c; r < nk; ++r) kk(r, c) = at(e + r, e + c)[l];
                keep(out, buf, nk, 0);
                ready_[static_cast<size_t>(members[l])] = std::move(out);
            }
        }
    }

    // The next prepared leaf, which must be `frame`.
    Box take_leaf(const Box& frame) {
        if (next_ready_ >= ready_.size()) throw std::logic_error("IR drop: more leaves than prepared");
        Box& b = ready_[next_ready_++];
        if (b.i0 != frame.i0 || b.i1 != frame.i1 || b.j0 != frame.j0 || b.j1 != frame.j1)
            throw std::logic_error("IR drop: prepared leaves out of order");
        return std::move(b);
    }

    // A run of a child's list and where it lands in the parent's front.
    struct Run { int src, dst, len; };

    // Merge a (top or left) and b (bottom or right) of `frame`: their shared side (a's B and
    // b's T, or a's R and b's L) is eliminated; it comes first in both lists, in the same
    // order, and becomes the front's first e nodes.
    Box merge(const Box& frame, bool vertical, Box& a, Box& b) {
        Box out = frame;
        out.layout();
        const int e = vertical ? a.len(kB) : a.len(kR), n = e + out.n;
        Run runs[2][4];
        for (int ci = 0; ci < 2; ++ci) {
            const Box& c = ci == 0 ? a : b;
            const int sep = vertical ? (ci == 1 ? kT : kB) : (ci == 1 ? kL : kR);
            if (c.list[0] != sep) throw std::logic_error("IR drop: shared side not first");
            for (int q = 0; q < c.nsides; ++q) {
                const int x = c.list[q];
                const bool shared = vertical ? (x == kL || x == kR) : (x == kT || x == kB);
                const int dst = x == sep ? 0 : e + out.off[x] + (ci == 1 && shared ? a.len(x) : 0);
                runs[ci][q] = Run{c.off[x], dst, c.len(x)};
                if (q > 0 && runs[ci][q - 1].dst + runs[ci][q - 1].len > dst)
                    throw std::logic_error("IR drop: child sides out of order");
            }
        }
        Buffer buf;
        // Small fronts: their runs are a few entries long, so copying the first child with its
        // zero gaps costs a library call per run and column; one fill of the whole buffer
        // and adding both children is cheaper (0 + x = x: the same numbers).
        const bool small = n <= kZeroAddFront;
        Mat k = workspace(n, buf, small);
        if (small) scatter_add(k, a, runs[0], a.nsides);
        else scatter_first(k, a, runs[0], a.nsides);
        release(a);
        scatter_add(k, b, runs[1], b.nsides);
        release(b);
        eliminate(k, e, false);
        keep(out, buf, n, e);
        return out;
    }

    // The lower triangle of k := child c's entries at their runs (as scatter_add below), zero
    // elsewhere: the first child's pass also initialises the front.
    static void scatter_first(Mat& k, const Box& c, const Run* runs, int nruns) {
        double* dst = k.data();
        const int n = static_cast<int>(k.rows());
        int u = 0;
        for (int j = 0; j < n; ++j) {
            double* col = dst + static_cast<Eigen::Index>(j) * n;
            while (u < nruns && runs[u].dst + runs[u].len <= j) ++u;
            if (u == nruns || j < runs[u].dst) {
                fill_zero(col + j, n - j);
                continue;
            }
            const int t = j - runs[u].dst;
            const double* src = c.s + static_cast<Eigen::Index>(runs[u].src + t) * c.ld;
            copy(col + j, src + runs[u].src + t, runs[u].len - t);
            int p = runs[u].dst + runs[u].len;
            for (int v = u + 1; v < nruns; ++v) {
                fill_zero(col + p, runs[v].dst - p);
                copy(col + runs[v].dst, src + runs[v].src, runs[v].len);
                p = runs[v].dst + runs[v].len;
            }
            fill_zero(col + p, n - p);
        }
    }
    static void copy(double* __restrict y, const double* __restrict x, int len) {
        for (int r = 0; r < len; ++r) y[r] = x[r];
    }
    static void fill_zero(double* y, int len) {
        for (int r = 0; r < len; ++r) y[r] = 0.0;
    }

    // k(dst(u), dst(v)) += c.s(u, v) over the lower triangle of child c: the runs map its
    // list in increasing order, so each source column is added in contiguous segments onto
    // the lower triangle of k.
    static void scatter_add(Mat& k, const Box& c, const Run* runs, int nruns) {
        double* dst = k.data();
        const Eigen::Index ld = k.rows();
        for (int u = 0; u < nruns; ++u)
            for (int t = 0; t < runs[u].len; ++t) {
                const double* src = c.s + static_cast<Eigen::Index>(runs[u].src + t) * c.ld;
                double* col = dst + static_cast<Eigen::Index>(runs[u].dst + t) * ld;
                add(col + runs[u].dst + t, src + runs[u].src + t, runs[u].len - t);
                for (int v = u + 1; v < nruns; ++v) add(col + runs[v].dst, src + runs[v].src, runs[v].len);
            }
    }
    static void add(double* __restrict y, const double* __restrict x, int len) {
        for (int r = 0; r < len; ++r) y[r] += x[r];
    }

    // Schur complement of k (elimination order, lower triangle valid) onto its last
    // n - e nodes, in place (the trailing block's lower triangle).
    // `leaf`: the front is still a sparse stencil (most panels skip most columns).
    static void eliminate(Mat& k, int e, bool leaf) {
        const int n = static_cast<int>(k.rows()), nk = n - e;
        if (e > 0 && n <= kSmallFront) {
            const bool ok = leaf ? schur_leaf(k.data(), n, e) : schur_dense(k.data(), n, e);
            if (!ok) throw std::runtime_error("IR drop: Schur block not positive definite");
        } else if (e > 0) {
            // Every eliminated node reaches the boundary through wires (row chains run to the
            // left edge, column chains to the bottom edge), so k(elim, elim) is SPD.
            // In place: k(elim, elim) = L L^T (Eigen's LLT, BlockedDense.h).
            if (!llt_lower(k.data(), n, e)) throw std::runtime_error("IR drop: Schur block not positive definite");
            // X = L^-1 K_ek, then K_kk -= X^T X (TRSM + SYRK on contiguous blocks).
            double* x = k.data() + e;   // K_ke = K_ek^T (nk x e), lower triangle of k
            trsm_right_lower_t(k.data(), n, e, x, n, nk);   // X^T = K_ke L^-T
            rank_update_lower<Eigen::ColMajor>(k.data() + static_cast<Eigen::Index>(e) * (n + 1), n, x, n, nk, e, -1.0);
        }
    }

    // Merges of fronts up to this order are assembled into a zeroed buffer (merge()).
    // Measured at 256 x 256 (paired, one thread, with the leaf's local indices): 0.95 of the
    // time with it, 0.97 with 200.
    static constexpr int kZeroAddFront = 64;

    // Fronts up to this order are reduced by the panel kernels of SchurKernels.h (Eigen's
    // blocked LLT / TRSM pay their dispatch and packing on every one of the many small
    // boxes). Measured at 256 x 256 (paired, one thread) with the earlier all-panel kernel:
    // 96 -> 0.92, 200 -> 0.89-0.92, 400 -> 0.97-0.98 of the all-Eigen time; with the side-
    // ordered fronts 400 and "every front" were within the noise of 200 (docs/performance.md).
    static constexpr int kSmallFront = 200;

    const Eigen::MatrixXd& g_;
    double gr_, gc_;
    int rows_, cols_;
    int leaf_idx_[2 * kLeafCells];   // local indices of a leaf's own nodes (assemble_leaf())
    std::vector<Box> frames_;        // prepare_leaves(): the leaf frames of the box,
    std::vector<LeafShape> shapes_;  //   their layouts,
    std::vector<Box> ready_;         //   and the reduced leaves, taken from next_ready_ on
    size_t next_ready_ = 0;
    Buffer lanes_;                   // schur_lanes batch (64-byte aligned, reused)
    std::vector<Buffer> pool_[64];   // workspace buffers of consumed boxes, by size class
};

}  // namespace

Eigen::MatrixXd ir_drop_transfer_schur(const Eigen::MatrixXd& g, double g_row, double g_col, int threads) {
    const int rows = static_cast<int>(g.rows()), cols = static_cast<int>(g.cols());
    if (rows == 0 || cols == 0) throw std::invalid_argument("IR drop: empty array");
    if (!(g_row > 0.0) || !(g_col > 0.0)) throw std::invalid_argument("IR drop: wire conductances must be > 0");
    if ((g.array() < 0.0).any()) throw std::invalid_argument("IR drop: negative cell conductance");
    SchurReducer red(g, g_row, g_col);
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    Box top = red.reduce_array(threads);
    // The array's list: the driven row ends d (i = 0 .. rows-1), then the sensed column ends s.
    // top.s x = b on them, b_d = g_row V, b_s = 0. Eliminating s first:
    // T = S_dd - S_ds S_ss^-1 S_sd, x_d = g_row T^-1 V and x_s = -S_ss^-1 S_sd x_d, so
    // M = -g_col g_row S_ss^-1 S_sd T^-1 (~6 N^3 flops instead of ~11 N^3 for solving the full
    // (R+C) system with R right-hand sides). Every block read is in the lower triangle.
    if (top.nsides != 2 || top.list[0] != kL || top.list[1] != kB || top.n != rows + cols)
        throw std::logic_error("IR drop: unexpected nodes left after reduction");
    // The blocks are factored and updated in place in the top front's storage (this
    // reducer's buffer, read for the last time here): the same operations as on copies,
    // without four N x N allocations and copies. Each step is the Eigen expression named in
    // its comment (BlockedDense.h: the same values).
    double* s = const_cast<double*>(top.s);
    const Eigen::Index ld = top.ld;
    double* s_ss = s + static_cast<Eigen::Index>(rows) * (ld + 1);   // cols x cols
    double* w = s + rows;                                            // S_sd: cols x rows
    if (!llt_lower(s_ss, ld, cols))   // LLT<Ref> ls(s_ss)
        throw std::runtime_error("IR drop: reduced system not positive definite");
    trsm_left_lower(s_ss, ld, cols, w, ld, rows);   // ls.matrixL().solveInPlace(w): W = L_s^-1 S_sd
    rank_update_lower<Eigen::RowMajor>(s, ld, w, ld, rows, cols, -1.0);   // T -= W^T W (T = S_dd, in place)
    if (!llt_lower(s, ld, rows))   // LLT<Ref> lt(t); reads the lower triangle only
        throw std::runtime_error("IR drop: reduced system not positive definite");
    // M^T = -g g T^-1 W^T L_s^-1 (T symmetric): solve T Y = W^T (lt.solve(W^T)), then
    // M = -g g L_s^-T Y^T (ls.matrixU().solveInPlace(Y^T)).
    Eigen::MatrixXd m(cols, rows);
    {
        Buffer ybuf = red.scratch(static_cast<size_t>(rows) * static_cast<size_t>(cols));
        Eigen::Map<Eigen::MatrixXd> y(ybuf.data(), rows, cols);
        y = Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>>(w, cols, rows, Eigen::OuterStride<>(ld)).transpose();
        trsm_left_lower(s, ld, rows, y.data(), rows, cols);
        trsm_left_lower_t(s, ld, rows, y.data(), rows, cols);
        m = y.transpose();
        red.give_back(ybuf);
    }
    trsm_left_lower_t(s_ss, ld, cols, m.data(), cols, rows);
    m *= -g_row * g_col;
    red.recycle(top);   // the largest front, for the next reduction on this thread
    return m;
}

}  // namespace sotsim::phys
