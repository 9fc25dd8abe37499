// The network input's domain is read from the data, never assumed (issue 10).
#include <catch2/catch.hpp>

#include <cmath>

#include "workloads/compiler/InputDomain.h"
#include "workloads/import/WorkloadError.h"

using namespace sotsim::workloads;

namespace {
Batch from(std::initializer_list<float> v) {
    Batch b(1, static_cast<Eigen::Index>(v.size()));
    Eigen::Index i = 0;
    for (float x : v) b(0, i++) = x;
    return b;
}
}  // namespace

TEST_CASE("the input scan recognises {0,1}, {-1,+1}, evenly spaced grids and real ranges", "[input-domain]") {
    const InputDomain bin = scan_input_domain(from({0, 1, 1, 0}), "bin.npy");
    CHECK(bin.kind == InputDomain::Kind::Grid);
    CHECK(bin.levels == 1);
    CHECK(bin.describe() == "{0,1}");
    const InputDomain pm = scan_input_domain(from({-1, 1, 1}), "pm.npy");
    CHECK(pm.pm1());
    CHECK(pm.step == 2.0);

    // Pixels k/255, normalised as torchvision does: 256 levels with a fractional origin.
    Batch px(4, 64);
    for (int i = 0; i < px.size(); ++i) px.data()[i] = static_cast<float>(i % 256) / 255.0f;
    const InputDomain g = scan_input_domain(px, "px.npy");
    CHECK(g.kind == InputDomain::Kind::Grid);
    CHECK(g.levels == 255);
    CHECK(g.step == Approx(1.0 / 255));
    Batch norm = ((px.array() - 0.1307f) / 0.3081f).matrix();
    const InputDomain n = scan_input_domain(norm, "norm.npy");
    CHECK(n.kind == InputDomain::Kind::Grid);
    CHECK(n.levels == 255);
    CHECK(n.lo == Approx(-0.1307 / 0.3081).epsilon(1e-6));

    // A grid the data only partly uses (every other level missing above 2) is still found.
    const InputDomain sparse = scan_input_domain(from({0, 1, 2, 4, 6, 8}), "sparse.npy");
    CHECK(sparse.kind == InputDomain::Kind::Grid);
    CHECK(sparse.levels == 8);

    // (Decimal data such as {0.1, 0.1003} is on a 1e-4 grid and mapped as one; these are not.)
    const InputDomain real = scan_input_domain(from({0.0f, 0.1f, std::sqrt(2.0f) / 5, 0.77f}), "real.npy");
    CHECK(real.kind == InputDomain::Kind::Range);
    CHECK(real.lo == 0.0);
    CHECK(real.hi == Approx(0.77));
    CHECK(real.values.size() == 4);  // few distinct values are kept (Sign thresholds)

    CHECK_THROWS_AS(scan_input_domain(from({0, NAN}), "nan.npy"), WorkloadError);
}

TEST_CASE("the input scan finds every distinct value however often values repeat or collide", "[input-domain]") {
    // 4,000 distinct levels of a 1/4096 grid (more than the scan's table of recent values,
    // so slots are reused), visited in a scrambled order with repeats; the extremes appear
    // once, at the end.
    Batch g(1, 12002);
    for (int i = 0; i < 12000; ++i) g.data()[i] = static_cast<float>(1 + static_cast<unsigned long long>(i) * 2654435761ull % 3999) / 4096.0f;
    g.data()[12000] = 4000.0f / 4096.0f;
    g.data()[12001] = 0.0f;
    const InputDomain d = scan_input_domain(g, "grid.npy");
    CHECK(d.kind == InputDomain::Kind::Grid);
    CHECK(d.lo == 0.0);
    CHECK(d.hi == Approx(4000.0 / 4096));
    CHECK(d.levels == 4000);
    // -0 and +0 are one value.
    const InputDomain z = scan_input_domain(from({-0.0f, 0.0f, 1.0f, 0.0f}), "zero.npy");
    CHECK(z.describe() == "{0,1}");
}

TEST_CASE("data outside the compiled domain is refused naming sample, element and value", "[input-domain]") {
    const InputDomain d = parse_input_range("-1:2.5");
    CHECK(d.kind == InputDomain::Kind::Range);
    CHECK(d.lo == -1.0);
    CHECK(d.hi == 2.5);
    CHECK_NOTHROW(check_input_domain(d, from({-1, 0, 2.5}), "x.npy"));
    Batch b = Batch::Zero(3, 4);
    b(2, 1) = 3.0f;
    try {
        check_input_domain(d, b, "x.npy");
        FAIL("expected a WorkloadError");
    } catch (const WorkloadError& e) {
        CHECK(std::string(e.what()) == "x.npy: error: sample 2 element 1 value 3 is outside the compiled input domain "
                                       "[-1, 2.5] (from --input-range -1:2.5)");
    }
    // A grid domain also refuses values between its levels.
    const InputDomain g = scan_input_domain(from({0, 1}), "bin.npy");
    CHECK_THROWS_AS(check_input_domain(g, from({0.5f}), "other.npy"), WorkloadError);
    for (const char* bad : {"1", "2:1", "a:b", "0:inf", "1:1", "0:1x"})
        CHECK_THROWS_AS(parse_input_range(bad), std::invalid_argument);
}

TEST_CASE("the scanned domain holds all of its own data, so the run does not check it again", "[input-domain]") {
    // ModelLoading skips check_input_domain for a domain scanned from the same data: this
    // is the invariant that makes the skip exact, for each kind the scan returns.
    Batch px(8, 100);
    for (int i = 0; i < px.size(); ++i) px.data()[i] = i % 7 == 0 ? static_cast<float>(i % 256) / 255.0f : 0.0f;
    const Batch norm = ((px.array() - 0.1307f) / 0.3081f).matrix();
    Batch real(3, 50);
    for (int i = 0; i < real.size(); ++i) real.data()[i] = std::sin(0.37f * static_cast<float>(i));
    const Batch constant = Batch::Constant(2, 33, 0.25f);
    Batch zeros(1, 40);
    for (int i = 0; i < zeros.size(); ++i) zeros.data()[i] = i % 3 == 0 ? -0.0f : (i % 5 == 0 ? 1.0f : 0.0f);
    for (const Batch* b : std::initializer_list<const Batch*>{&px, &norm, &real, &constant, &zeros}) {
        const InputDomain d = scan_input_domain(*b, "data.npy");
        CHECK(d.known());
        CHECK_NOTHROW(check_input_domain(d, *b, "data.npy"));
    }
}

TEST_CASE("the domain check refuses an off-grid value after many on-grid ones and names its position", "[input-domain]") {
    // 200 samples of a 1/255 grid, long zero runs (blocks the scan skips), then one value
    // half a step off in the last sample: the check's table of passed values must not
    // let it through.
    Batch b = Batch::Zero(200, 64);
    for (Eigen::Index r = 0; r < b.rows(); ++r) b(r, r % 64) = static_cast<float>(r % 256) / 255.0f;
    b(199, 5) = 1.0f / 255.0f;
    b(199, 33) = 1.0f;
    const InputDomain d = scan_input_domain(b, "px.npy");
    REQUIRE(d.kind == InputDomain::Kind::Grid);
    Batch bad = b;
    bad(199, 40) = 1.5f / 255.0f;
    try {
        check_input_domain(d, bad, "px.npy");
        FAIL("expected a WorkloadError");
    } catch (const WorkloadError& e) {
        CHECK(std::string(e.what()).find("sample 199 element 40 value") != std::string::npos);
    }
    // Non-finite values are refused by the check (grid and range) and by the scan, wherever
    // they sit in a run of repeats.
    Batch inf = b;
    inf(120, 17) = INFINITY;
    CHECK_THROWS_AS(check_input_domain(d, inf, "px.npy"), WorkloadError);
    CHECK_THROWS_AS(check_input_domain(parse_input_range("0:1"), inf, "px.npy"), WorkloadError);
    Batch nan = Batch::Zero(4, 64);
    nan(3, 47) = NAN;
    try {
        scan_input_domain(nan, "nan.npy");
        FAIL("expected a WorkloadError");
    } catch (const WorkloadError& e) {
        CHECK(std::string(e.what()).find("sample 3 holds") != std::string::npos);
    }
}

TEST_CASE("NaN inputs are refused by the scan and the grid check wherever they sit", "[input-domain]") {
    // The scan's block skip and the check's table both mark "nothing yet" with a quiet
    // NaN's bits: a NaN in the data must still be seen (a first block of 16 NaNs, a NaN in
    // a slot nothing has filled yet).
    Batch lead = Batch::Zero(2, 16);
    lead.row(0).setConstant(NAN);
    lead(1, 3) = 1.0f;
    CHECK_THROWS_AS(scan_input_domain(lead, "nan.npy"), WorkloadError);
    const InputDomain bin = scan_input_domain(from({0, 1}), "bin.npy");
    for (int at = 0; at < 3; ++at) {
        Batch b = from({0, 1, 1});
        b(0, at) = NAN;
        CHECK_THROWS_AS(check_input_domain(bin, b, "nan.npy"), WorkloadError);
    }
}
