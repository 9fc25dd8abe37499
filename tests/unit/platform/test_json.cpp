#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>
#include <limits>

#include "platform/report/Hash.h"
#include "platform/report/Json.h"
#include "platform/report/Sha256Blocks.h"

using sotsim::report::Json;

TEST_CASE("json: escaping of quotes, backslashes and control characters", "[report][json]") {
    Json j = Json::object();
    j["s"] = std::string("a\"b\\c\nd\te\x01" "f/\xc3\xa9");
    std::string text = sotsim::report::dump_json(j, -1);
    CHECK(text == "{\"s\":\"a\\\"b\\\\c\\nd\\te\\u0001f/\xc3\xa9\"}");
    // Round trip through the strict parser.
    CHECK(sotsim::report::parse_json(text).at("s").get<std::string>() == j.at("s").get<std::string>());
    CHECK(sotsim::report::parse_json("\"\\u00e9\\ud83d\\ude00\"").get<std::string>() == "\xc3\xa9\xf0\x9f\x98\x80");
}

TEST_CASE("json: a path that is not UTF-8 is written as valid UTF-8 (issue 15 item 9)", "[report][json]") {
    Json j = Json::object();
    j["path"] = std::string("out/\xff\xfe-run/model.onnx");
    const std::string text = sotsim::report::dump_json(j, 2);
    CHECK(text.find('\xff') == std::string::npos);
    CHECK(text.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD replaces each invalid byte
    CHECK(sotsim::report::parse_json(text).at("path").get<std::string>() == "out/\xef\xbf\xbd\xef\xbf\xbd-run/model.onnx");
}

TEST_CASE("json: 64-bit integers are exact, doubles shortest round-trip, non-finite -> null", "[report][json]") {
    using sotsim::report::dump_json;
    CHECK(dump_json(Json(72), -1) == "72");
    CHECK(dump_json(Json(0.1), -1) == "0.1");
    CHECK(dump_json(Json(1.5e-12), -1) == "1.5e-12");
    // 2^53 + 1 is not a double; through a double it was reported as ...992.
    CHECK(dump_json(Json(std::uint64_t{9007199254740993ULL}), -1) == "9007199254740993");
    CHECK(dump_json(Json(std::uint64_t{18446744073709551615ULL}), -1) == "18446744073709551615");
    CHECK(dump_json(Json(std::int64_t{-9223372036854775807LL - 1}), -1) == "-9223372036854775808");
    CHECK(sotsim::report::parse_json("9007199254740993").get<std::uint64_t>() == 9007199254740993ULL);
    double awkward = 1.0 / 3.0;
    CHECK(sotsim::report::parse_json(dump_json(Json(awkward), -1)).get<double>() == awkward);
    CHECK(dump_json(Json(std::numeric_limits<double>::quiet_NaN()), -1) == "null");
    CHECK(dump_json(Json(std::numeric_limits<double>::infinity()), -1) == "null");
}

TEST_CASE("json: objects keep insertion order and pretty printing parses back", "[report][json]") {
    Json j = Json::object();
    j["zeta"] = 1;
    j["alpha"] = Json::array();
    j["alpha"].push_back(true);
    j["alpha"].push_back(Json());
    j["mid"] = sotsim::report::quantity(2.5e-9, "s");
    j["zeta"] = 2;   // keeps its position
    CHECK(sotsim::report::dump_json(j, -1) == "{\"zeta\":2,\"alpha\":[true,null],\"mid\":{\"value\":2.5e-09,\"unit\":\"s\"}}");
    Json back = sotsim::report::parse_json(sotsim::report::dump_json(j, 2));
    CHECK(back == j);
}

TEST_CASE("json: parser rejects malformed documents with an offset", "[report][json]") {
    using sotsim::report::parse_json;
    CHECK_THROWS_WITH(parse_json("{\"a\":1,}"), Catch::Contains("offset"));
    CHECK_THROWS(parse_json("[1 2]"));
    CHECK_THROWS(parse_json("\"unterminated"));
    CHECK_THROWS(parse_json("01"));
    CHECK_THROWS(parse_json("{\"a\":1,\"a\":2}"));
    CHECK_THROWS(parse_json("nan"));
    CHECK_THROWS(parse_json("\"\xff\""));  // invalid UTF-8
}

TEST_CASE("json: YAML config to JSON keeps numbers numeric, integers exact and order", "[report][json]") {
    Json j = sotsim::report::json_from_yaml(
        "device:\n  r_p: 3100000\n  tmr: 1.5\n  write: sot\n"
        "array:\n  rows: 256\n  ir_drop: off_mode\n  quoted: \"42\"\n"
        "sim:\n  ideal: false\n  seed: 9007199254740993\n  list: [1, 2e-9, x]\n  none: ~\n");
    REQUIRE(j.is_object());
    CHECK(j.begin().key() == "device");
    CHECK(j.at("device").at("r_p").get<double>() == 3100000);
    CHECK(j.at("device").at("tmr").get<double>() == 1.5);
    CHECK(j.at("device").at("write").get<std::string>() == "sot");
    CHECK(j.at("array").at("quoted").get<std::string>() == "42");
    CHECK(j.at("sim").at("ideal").get<bool>() == false);
    CHECK(j.at("sim").at("seed").get<std::uint64_t>() == 9007199254740993ULL);
    CHECK(j.at("sim").at("list").at(1).get<double>() == 2e-9);
    CHECK(j.at("sim").at("list").at(2).get<std::string>() == "x");
    CHECK(j.at("sim").at("none").is_null());
    CHECK_THROWS_AS(sotsim::report::json_from_yaml("a: [1, 2"), std::invalid_argument);
}

TEST_CASE("hash: SHA-256 matches FIPS 180-4 test vectors", "[report][hash]") {
    using sotsim::report::sha256_hex;
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha256_hex(std::string(1000000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK_THROWS_WITH(sotsim::report::sha256_file("/nonexistent/model.onnx"), Catch::Contains("model.onnx"));
}

TEST_CASE("hash: the SHA-extension compression equals the portable one", "[report][hash]") {
    using namespace sotsim::report;
    std::mt19937 gen(13);
    std::vector<unsigned char> data(64 * 97);
    for (auto& c : data) c = static_cast<unsigned char>(gen());
    for (std::size_t blocks : {std::size_t{1}, std::size_t{2}, std::size_t{97}}) {
        std::uint32_t a[8], b[8];
        for (int i = 0; i < 8; ++i) a[i] = b[i] = static_cast<std::uint32_t>(gen());
        sha256_blocks_portable(a, data.data(), blocks);
        if (!sha256_blocks_ni(b, data.data(), blocks)) {
            WARN("host has no SHA extensions: only the portable path is checked");
            return;
        }
        for (int i = 0; i < 8; ++i) CHECK(a[i] == b[i]);
    }
}
