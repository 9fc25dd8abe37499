// Resource limits on user YAML (issue 15 item 5): alias expansion, include depth, files
// included many times, non-regular files. Each case is a reproducer that used to take
// gigabytes, hang or overflow the stack; now it is one error line, quickly.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>

#include "ConfigTestUtil.h"
#include "platform/config/YamlLimits.h"

using sotsim::config::ConfigError;
using sotsim::config::load_config;
using Catch::Matchers::Contains;

namespace {

std::string regress(const std::string& name) {
    return std::string(SOTSIM_SOURCE_DIR) + "/tests/data/regress/yaml/" + name;
}

std::string error_of(const std::string& path) {
    try {
        load_config(path);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("nested aliases (billion laughs) are refused before they are expanded", "[limits]") {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string e = error_of(regress("billion_laughs.yaml"));
    CHECK_THAT(e, Contains("billion_laughs.yaml: error: the document expands to more than"));
    // Refusing costs at most kMaxYamlNodes steps (the full expansion was 5.6 GB and 30 s).
    CHECK(seconds_since(t0) < 5.0);
    // A legitimate alias (one anchor reused a few times) still works.
    cfgtest::TempDir d("alias_ok");
    const std::string ok = d.write("ok.yaml", "device: &dev\n  r_p: 2 MOhm\narray:\n  rows: 64\n");
    CHECK_NOTHROW(load_config(ok));
}

TEST_CASE("deeply nested YAML is a syntax error, not a stack overflow", "[limits]") {
    CHECK_THAT(error_of(regress("deep_nesting.yaml")), Contains("deep_nesting.yaml:1:"));
    CHECK_THAT(error_of(regress("deep_nesting.yaml")), Contains("YAML syntax error"));
}

TEST_CASE("a file included twice by each of 25 files is loaded once", "[limits]") {
    cfgtest::TempDir d("twice");
    d.write("f25.yaml", "array:\n  rows: 128\n");
    for (int i = 24; i >= 1; --i) {
        const std::string next = "f" + std::to_string(i + 1) + ".yaml";
        d.write("f" + std::to_string(i) + ".yaml", "include: [" + next + ", " + next + "]\n");
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto c = load_config(d.path("f1.yaml"));
    CHECK(c.array.rows == 128);
    CHECK(seconds_since(t0) < 5.0);  // 2^24 re-loads before
}

TEST_CASE("include chains deeper than the limit are refused with the including position", "[limits]") {
    cfgtest::TempDir d("deep");
    const int n = 200;  // the reported 20,000-deep chain overflowed the stack
    d.write("c" + std::to_string(n) + ".yaml", "array:\n  rows: 64\n");
    for (int i = n - 1; i >= 0; --i)
        d.write("c" + std::to_string(i) + ".yaml", "include: c" + std::to_string(i + 1) + ".yaml\n");
    const std::string e = error_of(d.path("c0.yaml"));
    CHECK_THAT(e, Contains(".yaml:1:10: error: includes nest deeper than 32 files"));
    // 30 levels are fine.
    CHECK(load_config(d.path("c" + std::to_string(n - 30) + ".yaml")).array.rows == 64);
}

TEST_CASE("a FIFO, a device or a directory as config is refused without reading it", "[limits]") {
    cfgtest::TempDir d("fifo");
    const std::string fifo = d.path("pipe.yaml");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THAT(error_of(fifo), Contains("pipe.yaml: error: is a FIFO, not a regular file"));
    CHECK_THAT(error_of("/dev/zero"), Contains("/dev/zero: error: is a device or socket, not a regular file"));
    const std::string inc = d.write("inc.yaml", "include: pipe.yaml\n");
    CHECK_THAT(error_of(inc), Contains("inc.yaml:1:10: error: included file"));
    CHECK_THAT(error_of(inc), Contains("is a FIFO"));
    CHECK_THAT(error_of(d.path("")), Contains("is a directory"));
}

TEST_CASE("the expansion limit counts aliased nodes, not distinct ones", "[limits]") {
    // 10 x 10 x 10 x 10 x 10 x 10 = 10^6 expanded nodes from 6 short lines.
    std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 6; ++i) {
        const std::string p = "*a" + std::to_string(i - 1);
        text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p;
        for (int k = 1; k < 10; ++k) text += ", " + p;
        text += "]\n";
    }
    CHECK_THROWS_AS(sotsim::config::load_yaml_limited(text, "t.yaml"), ConfigError);
    CHECK_NOTHROW(sotsim::config::load_yaml_limited("a: &x [1, 2]\nb: *x\nc: *x\n", "t.yaml"));
}

TEST_CASE("a recursive alias is refused with its position, not walked forever", "[limits]") {
    // fuzz_config found this as a stack overflow in the expansion count (CI, stop 23).
    CHECK_THAT(error_of(regress("recursive_alias.yaml")),
               Contains("recursive_alias.yaml:3:9: error: the document nests deeper than 256 levels"));
    // The same through a map value, and in a sweep-style document loaded directly.
    CHECK_THROWS_WITH(sotsim::config::load_yaml_limited("a: &x {k: *x}\n", "t.yaml"),
                      Contains("t.yaml:1:4: error: the document nests deeper than"));
}

TEST_CASE("the depth limit counts aliased levels: a chain of anchors can pass it", "[limits]") {
    // Each anchor nests 100 deep, so the text passes yaml-cpp's own guard; expanded it is 300.
    CHECK_THAT(error_of(regress("deep_alias_chain.yaml")), Contains("nests deeper than 256 levels"));
    // Exactly 256 levels load; 257 do not. Levels: the root map (1), b's own sequences
    // (2..k+1), the aliased 125 sequences (k+2..k+126), the scalar 1 (k+127).
    const std::string open(125, '['), close(125, ']');
    auto doc = [&](int k) {
        return "a: &a " + open + "1" + close + "\nb: " + std::string(k, '[') + "*a" + std::string(k, ']') + "\n";
    };
    CHECK_NOTHROW(sotsim::config::load_yaml_limited(doc(129), "t.yaml"));
    const std::string over = doc(130);
    CHECK_THROWS_AS(sotsim::config::load_yaml_limited(over, "t.yaml"), ConfigError);
}
