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
        if (cells <= kLeafCells) return leaf(frame);
        // A small box is reduced level by level, its leaves and small merges several fronts
        // at a time (reduce_batched).
        if (cells <= kBatchCells) return reduce_batched(frame, depth);
        Box a, b;
        const bool vertical = split(frame, depth, a, b);
        if (threads > 1 && cells >= kParallelCells) {
            const int ta = threads / 2, tb = threads - ta;
            auto second = std::async(std::launch::async, [&, tb] {
                SchurReducer other(g_, gr_, gc_);
                return other.reduce(b, depth + 1, tb);
            });
            Box ra = reduce(a, depth + 1, ta);
            Box rb = second.get();
            return merge(frame, vertical, ra, rb);
        }
        Box ra = reduce(a, depth + 1);
        Box rb = reduce(b, depth + 1);
        return merge(frame, vertical, ra, rb);
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

    // A run of a child's list and where it lands in the parent's front.
    struct Run { int src, dst, len; };

    // kSchurLanes boxes of one shape reduced together (reduce_lanes): element (r, c) of lane
    // l's matrix is s[(c ld + r) kSchurLanes + l] (lower triangle valid), lanes m.. hold no
    // box; layout[l] is lane l's box (its frame and sides, no storage).
    struct LaneBox {
        Buffer buf;
        const double* s = nullptr;
        Eigen::Index ld = 0;
        int m = 0;
        Box layout[kSchurLanes];
    };

    // Boxes whose reductions are the same operations on different values: the same size, the
    // same sides present (so the same order and eliminated count at every node of their
    // trees) and the same split depth. Their side order (by key) may differ.
    static bool same_shape(const Box& x, const Box& y, int rows, int cols) {
        return x.i1 - x.i0 == y.i1 - y.i0 && x.j1 - x.j0 == y.j1 - y.j0 && (x.i0 > 0) == (y.i0 > 0) &&
               (x.j0 == 0) == (y.j0 == 0) && (x.j1 < cols) == (y.j1 < cols) && (x.i1 == rows) == (y.i1 == rows);
    }

    // The boxes `levels` splits below `frame` (or the leaves above them), in the order
    // reduce() reaches them.
    void collect_parts(const Box& frame, int depth, int levels) {
        if (levels == 0 || (frame.i1 - frame.i0) * (frame.j1 - frame.j0) <= kLeafCells) {
            parts_.push_back(frame);
            part_depth_.push_back(depth);
            return;
        }
        Box a, b;
        split(frame, depth, a, b);
        collect_parts(a, depth + 1, levels - 1);
        collect_parts(b, depth + 1, levels - 1);
    }
    // Merges the reduced parts (parts_, from next_part_ on) back into `frame`, as collected.
    Box combine_parts(const Box& frame, int depth, int levels) {
        if (levels == 0 || (frame.i1 - frame.i0) * (frame.j1 - frame.j0) <= kLeafCells)
            return std::move(done_[next_part_++]);
        Box a, b;
        const bool vertical = split(frame, depth, a, b);
        Box ra = combine_parts(a, depth + 1, levels - 1);
        Box rb = combine_parts(b, depth + 1, levels - 1);
        return merge(frame, vertical, ra, rb);
    }

    // A box of at most kBatchCells cells: its 2^kLockLevels parts (kLockLevels splits down)
    // are grouped by shape, and each group of at least kMinLanes reduces through
    // reduce_lanes, kSchurLanes at a time (the others through reduce_plain); the parts are
    // then merged one by one. Which route a box takes depends on the box's geometry only,
    // so M is the same for any thread count.
    Box reduce_batched(const Box& frame, int depth) {
        parts_.clear();
        part_depth_.clear();
        collect_parts(frame, depth, kLockLevels);
        const int count = static_cast<int>(parts_.size());
        done_.clear();
        done_.resize(static_cast<size_t>(count));
        std::vector<char> taken(static_cast<size_t>(count), 0);
        Box group[kSchurLanes];
        int members[kSchurLanes];
        for (int first = 0; first < count; ++first) {
            if (taken[static_cast<size_t>(first)]) continue;
            const Box& f = parts_[static_cast<size_t>(first)];
            const int d = part_depth_[static_cast<size_t>(first)];
            int m = 0, same = 0;
            for (int q = first; q < count; ++q)
                if (!taken[static_cast<size_t>(q)] && part_depth_[static_cast<size_t>(q)] == d &&
                    same_shape(parts_[static_cast<size_t>(q)], f, rows_, cols_)) {
                    if (m < kSchurLanes) members[m++] = q;
                    ++same;
                }
            if (same < kMinLanes) {
                for (int l = 0; l < m; ++l) {
                    taken[static_cast<size_t>(members[l])] = 1;
                    done_[static_cast<size_t>(members[l])] = reduce_plain(parts_[static_cast<size_t>(members[l])], d);
                }
                continue;
            }
            for (int l = 0; l < m; ++l) {
                taken[static_cast<size_t>(members[l])] = 1;
                group[l] = Box(parts_[static_cast<size_t>(members[l])]);
            }
            LaneBox r = reduce_lanes(group, m, d);
            Box* outs[kSchurLanes];
            for (int l = 0; l < m; ++l) outs[l] = &done_[static_cast<size_t>(members[l])];
            unlace(r, outs);
        }
        next_part_ = 0;
        Box out = combine_parts(frame, depth, kLockLevels);
        if (next_part_ != static_cast<size_t>(count)) throw std::logic_error("IR drop: batched parts not all merged");
        return out;
    }

    // A box reduced one front at a time (leaves by schur_leaf: the same values as in lanes).
    Box reduce_plain(const Box& frame, int depth) {
        if ((frame.i1 - frame.i0) * (frame.j1 - frame.j0) <= kLeafCells) return leaf(frame);
        Box a, b;
        const bool vertical = split(frame, depth, a, b);
        Box ra = reduce_plain(a, depth + 1);
        Box rb = reduce_plain(b, depth + 1);
        return merge(frame, vertical, ra, rb);
    }

    // Copies lane l of r into outs[l], which receives the lane's box with its own side order
    // (by its keys, as every box outside reduce_lanes: the lanes share lane 0's), and returns
    // r's storage to the pool.
    void unlace(LaneBox& r, Box* const* outs) {
        const int nk = r.layout[0].n;
        perm_.resize(static_cast<size_t>(nk));
        for (int l = 0; l < r.m; ++l) {
            Box& out = *outs[l];
            out = Box(r.layout[l]);
            out.layout();
            for (int q = 0; q < out.nsides; ++q) {
                const int x = out.list[q];
                for (int t = 0; t < out.len(x); ++t) perm_[static_cast<size_t>(r.layout[l].off[x] + t)] = out.off[x] + t;
            }
            Buffer buf;
            workspace_buffer(static_cast<size_t>(nk) * static_cast<size_t>(nk), buf);
            double* dst = buf.data();
            keep(out, buf, nk, 0);
            for (int c = 0; c < nk; ++c)
                for (int rr = c; rr < nk; ++rr) {
                    const int pr = perm_[static_cast<size_t>(rr)], pc = perm_[static_cast<size_t>(c)];
                    dst[static_cast<size_t>(std::min(pr, pc)) * static_cast<size_t>(nk) + static_cast<size_t>(std::max(pr, pc))] =
                        r.s[(static_cast<size_t>(c) * static_cast<size_t>(r.ld) + static_cast<size_t>(rr)) * kSchurLanes + l];
                }
        }
        release_buffer(r.buf);
        r.s = nullptr;
    }

    // Gives b the side order of `like` (a box of the same shape): the lanes of reduce_lanes
    // share one order, so that their children map onto their fronts by the same runs.
    static void share_layout(Box& b, const Box& like) {
        b.nsides = like.nsides;
        std::copy(like.list, like.list + 4, b.list);
        std::copy(like.off, like.off + 4, b.off);
        b.n = like.n;
    }

    // A lane front of order n from the pool: the lower triangle zeroed, lanes m.. the identity.
    double* lane_front(int n, int m, Buffer& buf) {
        workspace_buffer(static_cast<size_t>(n) * static_cast<size_t>(n) * kSchurLanes, buf);
        double* z = buf.data();
        for (int c = 0; c < n; ++c)
            std::fill(z + (static_cast<size_t>(c) * n + c) * kSchurLanes, z + (static_cast<size_t>(c) * n + n) * kSchurLanes, 0.0);
        for (int l = m; l < kSchurLanes; ++l)
            for (int c = 0; c < n; ++c) z[(static_cast<size_t>(c) * n + c) * kSchurLanes + l] = 1.0;
        return z;
    }

    // Reduces frames[0 .. m) (boxes of one shape, same_shape) together: every leaf and merge of
    // their trees on kSchurLanes fronts at once (schur_lanes), the children's matrices staying
    // in lanes from one merge to the next. Every lane takes lane 0's side order (share_layout;
    // below the top the lanes' boxes are the same halves of their parents, so the side their
    // next merge eliminates comes first in every lane), so the children are added to all
    // lanes at once by the same runs. The order of the kept nodes does not change their values
    // (each kept entry goes through the same operations, products of the same two factors):
    // a leaf's matrix is the one schur_leaf leaves (bitwise), a merge's the one
    // schur_panels(., n, e, n) leaves on its front, up to that order.
    LaneBox reduce_lanes(const Box* frames, int m, int depth) {
        LaneBox out;
        out.m = m;
        const Box& f = frames[0];
        if ((f.i1 - f.i0) * (f.j1 - f.j0) <= kLeafCells) {
            LeafShape ls[kSchurLanes];
            for (int l = 0; l < m; ++l) {
                ls[l] = leaf_shape(frames[l]);
                if (ls[l].n != ls[0].n || ls[l].e != ls[0].e) throw std::logic_error("IR drop: lane leaves differ");
                share_layout(ls[l].out, ls[0].out);
            }
            const int n = ls[0].n, e = ls[0].e;
            double* z = lane_front(n, m, out.buf);
            for (int l = 0; l < m; ++l)
                assemble_leaf(ls[l], [&](int r, int c) -> double& {
                    return z[(static_cast<size_t>(c) * n + r) * kSchurLanes + l];
                });
            if (e > 0 && !schur_lanes(z, n, e)) throw std::runtime_error("IR drop: Schur block not positive definite");
            out.s = z + static_cast<size_t>(e) * static_cast<size_t>(n + 1) * kSchurLanes;
            out.ld = n;
            for (int l = 0; l < m; ++l) out.layout[l] = std::move(ls[l].out);
            return out;
        }
        Box a[kSchurLanes], b[kSchurLanes];
        bool vertical = false;
        for (int l = 0; l < m; ++l) vertical = split(frames[l], depth, a[l], b[l]);
        LaneBox ra = reduce_lanes(a, m, depth + 1);
        LaneBox rb = reduce_lanes(b, m, depth + 1);
        MergePlan p = plan_merge(frames[0], vertical, ra.layout[0], rb.layout[0]);
        const int n = p.n, e = p.e;
        double* z = lane_front(n, m, out.buf);
        lane_add(z, n, ra, p.runs[0], ra.layout[0].nsides);
        lane_add(z, n, rb, p.runs[1], rb.layout[0].nsides);
        release_buffer(ra.buf);
        release_buffer(rb.buf);
        if (!schur_lanes(z, n, e)) throw std::runtime_error("IR drop: Schur block not positive definite");
        out.s = z + static_cast<size_t>(e) * static_cast<size_t>(n + 1) * kSchurLanes;
        out.ld = n;
        for (int l = 0; l < m; ++l) {
            out.layout[l] = Box(frames[l]);
            share_layout(out.layout[l], p.out);
        }
        return out;
    }

    // scatter_add (below) of every lane of c into the same lane of the front z of order n
    // (lanes without a box add their identity blocks: the front stays positive definite).
    static void lane_add(double* z, int n, const LaneBox& c, const Run* runs, int nruns) {
        constexpr size_t W = kSchurLanes;
        const auto add = [](double* __restrict y, const double* __restrict x) {
            for (size_t l = 0; l < W; ++l) y[l] += x[l];
        };
        for (int u = 0; u < nruns; ++u)
            for (int t = 0; t < runs[u].len; ++t) {
                const double* src = c.s + static_cast<size_t>(runs[u].src + t) * static_cast<size_t>(c.ld) * W;
                double* col = z + static_cast<size_t>(runs[u].dst + t) * static_cast<size_t>(n) * W;
                for (int r = t; r < runs[u].len; ++r)
                    add(col + static_cast<size_t>(runs[u].dst + r) * W, src + static_cast<size_t>(runs[u].src + r) * W);
                for (int v = u + 1; v < nruns; ++v)
                    for (int r = 0; r < runs[v].len; ++r)
                        add(col + static_cast<size_t>(runs[v].dst + r) * W, src + static_cast<size_t>(runs[v].src + r) * W);
            }
    }

    // Small leaves keep the dense leaf factorisation cheap ((2 h w)^3 / 3 flops) while
    // amortising per-box bookkeeping.
    static constexpr int kLeafCells = 16;
    // Boxes of at most this many cells are reduced by reduce_batched: their parts kLockLevels
    // splits down (64 cells, 4 leaves: 64 parts, in lanes their leaves and the two lowest
    // merges, of order ~28 and ~40, whose one-front kernels were overhead-bound) in lanes
    // when at least kMinLanes of them share their shape. Measured at 256 x 256 (paired, one
    // thread, against one-front merges): parts of 512 / 256 / 128 / 64 cells 1.04-1.06 /
    // 0.92-1.01 / 0.87-0.93 / 0.88-0.92 of the time; batched boxes of 32 x 32 cells with
    // parts of 64 cells the same as 64 x 64 (0.92-0.93).
    static constexpr int kBatchCells = 64 * 64;
    static constexpr int kLockLevels = 6;
    static constexpr int kMinLanes = 2;
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
    // are reduced in batches, reduce_leaves).
    Box leaf(const Box& frame) {
        LeafShape ls = leaf_shape(frame);
        Buffer buf;
        Mat k = workspace(ls.n, buf, true);   // all of it: schur_leaf also updates upper-triangle rows
        assemble_leaf(ls, [&](int r, int c) -> double& { return k(r, c); });
        eliminate(k, ls.e, true);
        keep(ls.out, buf, ls.n, ls.e);
        return std::move(ls.out);
    }

    // A merge's layout: the merged box, the order n of its front and its e eliminated nodes,
    // and the runs of each child's list in the front.
    struct MergePlan {
        Box out;
        int e = 0, n = 0;
        Run runs[2][4];
    };

    // The layout of the merge of a (top or left) and b (bottom or right) of `frame`: their
    // shared side (a's B and b's T, or a's R and b's L) is eliminated; it comes first in both
    // lists, in the same order, and becomes the front's first e nodes.
    MergePlan plan_merge(const Box& frame, bool vertical, const Box& a, const Box& b) const {
        MergePlan p;
        p.out = Box(frame);
        Box& out = p.out;
        out.layout();
        const int e = vertical ? a.len(kB) : a.len(kR);
        p.e = e;
        p.n = e + out.n;
        for (int ci = 0; ci < 2; ++ci) {
            const Box& c = ci == 0 ? a : b;
            const int sep = vertical ? (ci == 1 ? kT : kB) : (ci == 1 ? kL : kR);
            if (c.list[0] != sep) throw std::logic_error("IR drop: shared side not first");
            for (int q = 0; q < c.nsides; ++q) {
                const int x = c.list[q];
                const bool shared = vertical ? (x == kL || x == kR) : (x == kT || x == kB);
                const int dst = x == sep ? 0 : e + out.off[x] + (ci == 1 && shared ? a.len(x) : 0);
                p.runs[ci][q] = Run{c.off[x], dst, c.len(x)};
                if (q > 0 && p.runs[ci][q - 1].dst + p.runs[ci][q - 1].len > dst)
                    throw std::logic_error("IR drop: child sides out of order");
            }
        }
        return p;
    }

    Box merge(const Box& frame, bool vertical, Box& a, Box& b) {
        MergePlan p = plan_merge(frame, vertical, a, b);
        return merge_planned(p, a, b);
    }

    // The merge `p` of a and b on its own front (Eigen's kernels above kSmallFront).
    Box merge_planned(MergePlan& p, Box& a, Box& b) {
        const int e = p.e, n = p.n;
        Buffer buf;
        // Small fronts: their runs are a few entries long, so copying the first child with its
        // zero gaps costs a library call per run and column; one fill of the whole buffer
        // and adding both children is cheaper (0 + x = x: the same numbers).
        const bool small = n <= kZeroAddFront;
        Mat k = workspace(n, buf, small);
        if (small) scatter_add(k, a, p.runs[0], a.nsides);
        else scatter_first(k, a, p.runs[0], a.nsides);
        release(a);
        scatter_add(k, b, p.runs[1], b.nsides);
        release(b);
        eliminate(k, e, false);
        Box out = std::move(p.out);
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
    std::vector<Box> parts_;         // reduce_batched(): the parts of the box,
    std::vector<int> part_depth_;    //   their split depths,
    std::vector<Box> done_;          //   and their reduced matrices, merged from next_part_ on
    std::vector<int> perm_;          // unlace(): shared side order -> a lane's own
    size_t next_part_ = 0;
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
