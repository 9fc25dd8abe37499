// models/tile/Program.h round_group: the one walk of a round group's markers.
#include <catch2/catch.hpp>

#include "models/tile/Program.h"

using namespace sotsim;

namespace {
Instr marker(int k, int of, int rows) {
    Instr in;
    in.op = OpCode::Round;
    in.c0 = k;
    in.cols = of;
    in.rows = rows;
    return in;
}
Instr mvm() {
    Instr in;
    in.op = OpCode::Mvm;
    return in;
}
}  // namespace

TEST_CASE("round_group returns each round's marker and end, or nothing for a broken group", "[program][rounds]") {
    // pc 0: an Mvm; pc 1: round 0 of 3 (2 instrs); pc 4: round 1 (0 instrs); pc 5: round 2 (1).
    std::vector<Instr> code = {mvm(), marker(0, 3, 2), mvm(), mvm(), marker(1, 3, 0), marker(2, 3, 1), mvm(), mvm()};
    const auto g = round_group(code, 1);
    REQUIRE(g.size() == 3);
    CHECK(g[0] == std::make_pair(std::size_t{1}, std::size_t{4}));
    CHECK(g[1] == std::make_pair(std::size_t{4}, std::size_t{5}));
    CHECK(g[2] == std::make_pair(std::size_t{5}, std::size_t{7}));
    CHECK(round_group(code, 0).empty());  // not a marker
    CHECK(round_group(code, 4).empty());  // a later round is not a group's start

    auto broken = code;
    broken[4].c0 = 2;  // round 1's marker says round 2
    CHECK(round_group(broken, 1).empty());
    broken = code;
    broken[5].cols = 4;  // a marker of another group size
    CHECK(round_group(broken, 1).empty());
    broken = code;
    broken[5].rows = 3;  // the last round runs past the end
    CHECK(round_group(broken, 1).empty());
    broken = code;
    broken.resize(5);  // the group's last marker is missing
    CHECK(round_group(broken, 1).empty());
}
