// Tied sweep parameters: "a+b" sets both keys to each value.
#include <catch2/catch.hpp>

#include <algorithm>

#include "platform/sweep/Sweep.h"

using namespace sotsim::sweep;

TEST_CASE("tied parameter keys expand into one --set per key", "[sweep]") {
    SweepSpec spec;
    spec.base = "base.yaml";
    spec.workload.model = "m.onnx";
    spec.workload.dataset = "mnist";
    spec.workload.samples = 10;
    SweepParameter p;
    p.key = "device.sigma_p+device.sigma_ap";
    p.values = {ParamValue{"0.05", "0.05", 1, 1}};
    spec.parameters.push_back(p);
    REQUIRE(p.keys() == std::vector<std::string>{"device.sigma_p", "device.sigma_ap"});
    SweepPoint pt;
    pt.values = {"0.05"};
    const auto args = runner_arguments(spec, pt, "out");
    CHECK(std::count(args.begin(), args.end(), "device.sigma_p=0.05") == 1);
    CHECK(std::count(args.begin(), args.end(), "device.sigma_ap=0.05") == 1);
    SweepParameter single;
    single.key = "array.rows";
    CHECK(single.keys() == std::vector<std::string>{"array.rows"});
}
