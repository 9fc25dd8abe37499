// WeightLayout::combine_into gives a vector combined alone (one row: a streamed program's
// call) the same bits as the same vector combined as a row of a batch.
#include <catch2/catch.hpp>

#include "models/physics/WeightLayout.h"

using namespace sotsim;
using namespace sotsim::phys;

TEST_CASE("weight layout: a vector combined alone equals its row of a combined batch", "[physics][layout]") {
    struct Case { WeightEncoding enc; MultiBitMode mode; int bits, levels; };
    for (const Case& c : {Case{WeightEncoding::Differential, MultiBitMode::BitSlice, 4, 2},
                          Case{WeightEncoding::Differential, MultiBitMode::MultiLevel, 1, 2},
                          Case{WeightEncoding::Offset, MultiBitMode::BitSlice, 3, 2},
                          Case{WeightEncoding::Offset, MultiBitMode::MultiLevel, 4, 5}}) {
        const WeightLayout l(c.enc, c.mode, c.bits, c.levels);
        const int logical = 37, batch = 19;
        const Eigen::MatrixXd s = Eigen::MatrixXd::Random(batch, l.physical_cols(logical)) * 50.0;
        const Eigen::VectorXd in_sum = (Eigen::VectorXd::Random(batch).array() + 1.0) * 100.0;
        Eigen::MatrixXd y;
        l.combine_into(s, in_sum, logical, y);
        for (int b = 0; b < batch; ++b) {
            Eigen::MatrixXd one;
            l.combine_into(s.row(b), in_sum.segment(b, 1), logical, one);
            REQUIRE(one.rows() == 1);
            INFO("case " << static_cast<int>(c.enc) << "/" << static_cast<int>(c.mode) << " row " << b);
            REQUIRE(one == y.row(b));
        }
    }
}
