// The macro's input-domain check (AnalogMacro::mvm): one vectorised pass decides whether any
// input lies outside the encoding's domain, and the error names the first such input in
// vector order. Every kind of bad value is placed alone in an otherwise valid batch, at a
// position after other valid values, so a check that missed it (or named another) fails.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "models/physics/AnalogMacro.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

AnalogMacro programmed(InputEncoding enc, int bits, ActionCounter& ac) {
    Config c;
    c.array.rows = 64;
    c.array.cols = 64;
    c.device.stack = 1;
    AnalogMacro m(c, 0);
    BlockSpec s;
    s.rows = 16;
    s.cols = 4;
    s.input = enc;
    s.input_bits = bits;
    m.program(Eigen::MatrixXi::Ones(16, 4), s, ac);
    return m;
}

// The error message of an mvm() of x, or "" if it is accepted.
std::string error_of(AnalogMacro& m, const Eigen::MatrixXf& x, ActionCounter& ac) {
    try {
        m.mvm(x, ac);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("Macro input check accepts the domain exactly and names the first bad input", "[physics][macro][errors]") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    const float denorm = std::numeric_limits<float>::denorm_min();
    struct Kind {
        InputEncoding enc;
        int bits;
        float maxv;
    };
    for (const Kind k : {Kind{InputEncoding::Binary, 1, 1.0f}, Kind{InputEncoding::BitSerial, 4, 15.0f}, Kind{InputEncoding::Pwm, 3, 7.0f}}) {
        ActionCounter ac;
        AnalogMacro m = programmed(k.enc, k.bits, ac);
        INFO("max input " << k.maxv);
        // Valid batches: every level of the domain, and -0.
        Eigen::MatrixXf x(37, 16);
        for (Eigen::Index b = 0; b < x.rows(); ++b)
            for (Eigen::Index i = 0; i < x.cols(); ++i) x(b, i) = std::fmod(static_cast<float>(b * 3 + i), k.maxv + 1.0f);
        x(5, 7) = -0.0f;
        CHECK(error_of(m, x, ac).empty());
        const float bad[] = {-1.0f, k.maxv + 1.0f, 0.5f, k.maxv - 0.5f, std::nextafter(1.0f, 2.0f), denorm, -denorm, nan, inf, -inf};
        for (const float v : bad) {
            Eigen::MatrixXf y = x;
            y(20, 3) = v;
            y(30, 1) = v;   // a second bad value: the first in vector order is named
            const std::string e = error_of(m, y, ac);
            INFO("value " << v << ": " << e);
            CHECK(e.find("at (20,3)") != std::string::npos);
        }
    }
    // Signed inputs: exactly +-1.
    ActionCounter ac;
    AnalogMacro m = programmed(InputEncoding::Signed, 1, ac);
    Eigen::MatrixXf x = Eigen::MatrixXf::Constant(9, 16, 1.0f);
    x.row(4).setConstant(-1.0f);
    CHECK(error_of(m, x, ac).empty());
    for (const float v : {0.0f, -0.0f, 0.5f, 2.0f, std::nextafter(1.0f, 0.0f), nan, inf}) {
        Eigen::MatrixXf y = x;
        y(6, 2) = v;
        INFO("signed value " << v);
        CHECK(error_of(m, y, ac).find("at (6,2)") != std::string::npos);
    }
}
