// plan_shared_memory (models/tile/TensorLiveness.h): which tile tensors share host memory.
#include <catch2/catch.hpp>

#include <algorithm>

#include "models/tile/TensorLiveness.h"

using namespace sotsim;

namespace {

int tensor(Program& p, Location where, int tile, int width) {
    TensorDecl d;
    d.name = "t" + std::to_string(p.tensors.size());
    d.where = where;
    d.tile = tile;
    d.width = width;
    p.tensors.push_back(d);
    return static_cast<int>(p.tensors.size()) - 1;
}

void op(Program& p, OpCode o, int src, int dst, int src2 = -1) {
    Instr in;
    in.op = o;
    in.src = src;
    in.dst = dst;
    in.src2 = src2;
    p.tile_code[0].push_back(in);
}

Program one_tile() {
    Program p;
    p.tile_code.resize(1);
    p.setup_code.resize(1);
    return p;
}

}  // namespace

TEST_CASE("tensor liveness: disjoint live ranges share a slot, overlapping ones do not", "[tile][memory]") {
    Program p = one_tile();
    const int g = tensor(p, Location::Global, -1, 8);
    const int a = tensor(p, Location::Local, 0, 8);   // pcs 0-1
    const int b = tensor(p, Location::Pe, 0, 4);      // pcs 1-2
    const int c = tensor(p, Location::Local, 0, 6);   // pcs 3-4: after a and b
    const int d = tensor(p, Location::Local, 0, 16);  // pcs 4-5: after b, meets c
    op(p, OpCode::Load, g, a);         // 0
    op(p, OpCode::Activation, a, b);   // 1
    op(p, OpCode::Store, b, g);        // 2
    op(p, OpCode::Load, g, c);         // 3
    op(p, OpCode::Add, c, d, c);       // 4
    op(p, OpCode::Store, d, g);        // 5
    const int batch = 3;
    const SharedMemoryPlan plan = plan_shared_memory(p, 0, batch, {});
    CHECK(plan.slot[static_cast<std::size_t>(g)] == -1);  // global: not the tile's
    const int sa = plan.slot[a], sb = plan.slot[b], sc = plan.slot[c], sd = plan.slot[d];
    REQUIRE(sa >= 0);
    REQUIRE(sb >= 0);
    CHECK(sa != sb);
    CHECK(sc == sa);  // both slots are free at pc 3: the smallest that holds 6 columns (a's 8, not b's 4)
    CHECK(sd == sb);  // at pc 4 only b's slot is free; it grows to d's 16 columns
    CHECK(sd != sc);
    REQUIRE(plan.slot_floats.size() == 2);
    CHECK(plan.slot_floats[static_cast<std::size_t>(sa)] == static_cast<std::size_t>(batch) * 8);
    CHECK(plan.slot_floats[static_cast<std::size_t>(sb)] == static_cast<std::size_t>(batch) * 16);
}

TEST_CASE("tensor liveness: setup, gathered, port, unused and other tiles' tensors keep their own memory",
          "[tile][memory]") {
    Program p = one_tile();
    const int g = tensor(p, Location::Global, -1, 8);
    const int setup = tensor(p, Location::Local, 0, 8);
    const int port = tensor(p, Location::Port, 0, 8);
    const int gathered = tensor(p, Location::Local, 0, 8);
    const int other = tensor(p, Location::Local, 1, 8);
    const int unused = tensor(p, Location::Local, 0, 8);
    const int x = tensor(p, Location::Local, 0, 8);
    Instr s;
    s.op = OpCode::Copy;
    s.src = setup;
    s.dst = setup;
    p.setup_code[0].push_back(s);
    op(p, OpCode::Load, g, port);
    op(p, OpCode::Activation, port, x);
    op(p, OpCode::Im2col, x, gathered);
    op(p, OpCode::Copy, setup, x);
    op(p, OpCode::Copy, other, x);
    std::vector<char> gath(p.tensors.size(), 0);
    gath[static_cast<std::size_t>(gathered)] = 1;
    const SharedMemoryPlan plan = plan_shared_memory(p, 0, 2, gath);
    for (int id : {g, setup, port, gathered, other, unused}) {
        INFO("tensor " << id);
        CHECK(plan.slot[static_cast<std::size_t>(id)] == -1);
    }
    CHECK(plan.slot[static_cast<std::size_t>(x)] == 0);
    p.streamed = true;  // a streamed program shares nothing
    const SharedMemoryPlan streamed = plan_shared_memory(p, 0, 2, gath);
    CHECK(std::count(streamed.slot.begin(), streamed.slot.end(), -1) == static_cast<long>(p.tensors.size()));
}

TEST_CASE("tensor liveness: an im2col view keeps its source live while its destination is read", "[tile][memory]") {
    Program p = one_tile();
    const int g = tensor(p, Location::Global, -1, 8);
    const int src = tensor(p, Location::Local, 0, 8);
    const int cols = tensor(p, Location::Local, 0, 72);  // gathered: read through the view
    const int tmp = tensor(p, Location::Local, 0, 8);    // pc 2 only, between the Im2col and the Mvm
    const int y = tensor(p, Location::Pe, 0, 8);
    op(p, OpCode::Load, g, src);      // 0
    op(p, OpCode::Im2col, src, cols); // 1
    op(p, OpCode::Load, g, tmp);      // 2
    op(p, OpCode::Mvm, cols, y);      // 3: reads src through the view
    op(p, OpCode::Store, tmp, g);     // 4
    std::vector<char> gath(p.tensors.size(), 0);
    gath[static_cast<std::size_t>(cols)] = 1;
    const SharedMemoryPlan plan = plan_shared_memory(p, 0, 1, gath);
    REQUIRE(plan.slot[static_cast<std::size_t>(src)] >= 0);
    CHECK(plan.slot[static_cast<std::size_t>(tmp)] != plan.slot[static_cast<std::size_t>(src)]);
    CHECK(plan.slot[static_cast<std::size_t>(y)] != plan.slot[static_cast<std::size_t>(src)]);
    CHECK(plan.slot[static_cast<std::size_t>(cols)] == -1);
}

TEST_CASE("tensor liveness: a live range that meets a round group covers the whole group", "[tile][memory]") {
    // Rounds 0 and 1 of a group (one Mvm each); odd executions run round 1 first.
    Program p = one_tile();
    const int g = tensor(p, Location::Global, -1, 8);
    const int a = tensor(p, Location::Local, 0, 8);  // pcs 0-2: ends in round 0
    const int b = tensor(p, Location::Pe, 0, 8);     // pcs 4-6: starts in round 1
    const int c = tensor(p, Location::Local, 0, 8);  // pc 6 onwards, after the group
    op(p, OpCode::Load, g, a);  // 0
    Instr r;
    r.op = OpCode::Round;
    r.cols = 2;
    r.rows = 1;
    r.c0 = 0;
    p.tile_code[0].push_back(r);   // 1
    op(p, OpCode::Mvm, a, -1);     // 2
    r.c0 = 1;
    p.tile_code[0].push_back(r);   // 3
    op(p, OpCode::Mvm, g, b);      // 4 (its source is not the tile's)
    op(p, OpCode::Store, b, g);    // 5
    op(p, OpCode::Copy, b, c);     // 6
    const SharedMemoryPlan plan = plan_shared_memory(p, 0, 1, {});
    // Without the group a and b could share (pcs 0-2 and 4-6); reversed, b is written first.
    CHECK(plan.slot[static_cast<std::size_t>(a)] != plan.slot[static_cast<std::size_t>(b)]);
    CHECK(plan.slot[static_cast<std::size_t>(c)] != plan.slot[static_cast<std::size_t>(b)]);
    CHECK(plan.slot[static_cast<std::size_t>(c)] == plan.slot[static_cast<std::size_t>(a)]);  // a ended with the group
}
