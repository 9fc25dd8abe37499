#include "models/tile/TensorLiveness.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

namespace sotsim {

SharedMemoryPlan plan_shared_memory(const Program& p, int tile, int batch, const std::vector<char>& gathered) {
    const std::size_t n = p.tensors.size();
    SharedMemoryPlan plan;
    plan.slot.assign(n, -1);
    const auto t = static_cast<std::size_t>(tile);
    if (p.streamed || t >= p.tile_code.size()) return plan;
    const std::vector<Instr>& code = p.tile_code[t];
    auto valid = [n](int id) { return id >= 0 && static_cast<std::size_t>(id) < n; };

    std::vector<char> candidate(n, 0);
    for (std::size_t id = 0; id < n; ++id) {
        const TensorDecl& d = p.tensors[id];
        candidate[id] = (d.where == Location::Local || d.where == Location::Pe) && d.tile == tile &&
                        !(id < gathered.size() && gathered[id]);
    }
    if (t < p.setup_code.size())
        for (const Instr& in : p.setup_code[t])
            for (int id : {in.src, in.src2, in.dst})
                if (valid(id)) candidate[static_cast<std::size_t>(id)] = 0;

    // The sources an instruction reading a gathered tensor reads through its view.
    std::map<int, std::set<int>> view_sources;
    for (const Instr& in : code)
        if (in.op == OpCode::Im2col && valid(in.dst) && valid(in.src)) view_sources[in.dst].insert(in.src);

    constexpr std::ptrdiff_t kNone = -1;
    std::vector<std::ptrdiff_t> first(n, kNone), last(n, kNone);
    auto touch = [&](int id, std::ptrdiff_t pc) {
        if (!valid(id)) return;
        const auto i = static_cast<std::size_t>(id);
        if (first[i] == kNone) first[i] = pc;
        last[i] = pc;
    };
    for (std::size_t pc = 0; pc < code.size(); ++pc) {
        const Instr& in = code[pc];
        for (int id : {in.src, in.src2, in.dst}) {
            touch(id, static_cast<std::ptrdiff_t>(pc));
            if (auto it = view_sources.find(id); it != view_sources.end())
                for (int s : it->second) touch(s, static_cast<std::ptrdiff_t>(pc));
        }
    }

    // Round groups [start, end]: a group's rounds may run in reverse order.
    std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>> groups;
    for (std::size_t pc = 0; pc < code.size(); ++pc) {
        const Instr& in = code[pc];
        if (in.op != OpCode::Round || in.c0 != 0 || in.cols <= 1) continue;
        const auto rounds = round_group(code, pc);
        // A malformed group (the tile reports it when it runs) keeps everything after it apart.
        const std::size_t end = rounds.empty() ? code.size() - 1 : rounds.back().second - 1;
        groups.emplace_back(static_cast<std::ptrdiff_t>(pc), static_cast<std::ptrdiff_t>(end));
    }
    for (bool changed = !groups.empty(); changed;) {
        changed = false;
        for (std::size_t id = 0; id < n; ++id) {
            if (first[id] == kNone) continue;
            for (const auto& [gs, ge] : groups)
                if (first[id] <= ge && last[id] >= gs && (first[id] > gs || last[id] < ge)) {
                    first[id] = std::min(first[id], gs);
                    last[id] = std::max(last[id], ge);
                    changed = true;
                }
        }
    }

    std::vector<std::size_t> order;
    for (std::size_t id = 0; id < n; ++id)
        if (candidate[id] && first[id] != kNone) order.push_back(id);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return first[a] < first[b]; });
    std::vector<std::ptrdiff_t> slot_end;
    for (std::size_t id : order) {
        const TensorDecl& d = p.tensors[id];
        const std::size_t floats = static_cast<std::size_t>(batch) * static_cast<std::size_t>(d.rows_per_sample) *
                                   static_cast<std::size_t>(d.width);
        int best = -1;
        for (std::size_t s = 0; s < slot_end.size(); ++s) {
            if (slot_end[s] >= first[id]) continue;
            const std::size_t have = plan.slot_floats[s];
            if (best < 0) {
                best = static_cast<int>(s);
                continue;
            }
            const std::size_t b = plan.slot_floats[static_cast<std::size_t>(best)];
            // The smallest slot that holds it; while none does, the largest.
            const bool fits = have >= floats, best_fits = b >= floats;
            if ((fits && (!best_fits || have < b)) || (!fits && !best_fits && have > b)) best = static_cast<int>(s);
        }
        if (best < 0) {
            best = static_cast<int>(slot_end.size());
            slot_end.push_back(kNone);
            plan.slot_floats.push_back(0);
        }
        const auto s = static_cast<std::size_t>(best);
        slot_end[s] = last[id];
        plan.slot_floats[s] = std::max(plan.slot_floats[s], floats);
        plan.slot[id] = best;
    }
    return plan;
}

}  // namespace sotsim
