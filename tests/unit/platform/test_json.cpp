#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "platform/report/Hash.h"
#include "platform/report/Json.h"

using sotsim::report::Json;

TEST_CASE("json: escaping of quotes, backslashes and control characters", "[report][json]") {
    Json j = Json::object();
    j["s"] = std::string("a\"b\\c\nd\te\x01" "f/\xc3\xa9");
    std::string text = j.dump(-1);
    CHECK(text == "{\"s\":\"a\\\"b\\\\c\\nd\\te\\u0001f/\xc3\xa9\"}");
    // Round trip through the strict parser.
    CHECK(Json::parse(text).at("s").as_string() == j.at("s").as_string());
    CHECK(Json::parse("\"\\u00e9\\ud83d\\ude00\"").as_string() == "\xc3\xa9\xf0\x9f\x98\x80");
}

TEST_CASE("json: numbers are shortest round-trip, integers exact, non-finite -> null", "[report][json]") {
    CHECK(Json(72).dump() == "72");
    CHECK(Json(0.1).dump() == "0.1");
    CHECK(Json(-0.0).dump() == "0");
    CHECK(Json(1.5e-12).dump() == "1.5e-12");
    double awkward = 1.0 / 3.0;
    CHECK(Json::parse(Json(awkward).dump()).as_number() == awkward);
    CHECK(Json(std::numeric_limits<double>::quiet_NaN()).dump() == "null");
    CHECK(Json(std::numeric_limits<double>::infinity()).dump() == "null");
}

TEST_CASE("json: objects keep insertion order and pretty printing parses back", "[report][json]") {
    Json j = Json::object();
    j["zeta"] = 1;
    j["alpha"] = Json::array();
    j["alpha"].push_back(true);
    j["alpha"].push_back(Json());
    j["mid"] = Json::quantity(2.5e-9, "s");
    j["zeta"] = 2;   // keeps its position
    CHECK(j.dump(-1) == "{\"zeta\":2,\"alpha\":[true,null],\"mid\":{\"value\":2.5e-09,\"unit\":\"s\"}}");
    Json back = Json::parse(j.dump(2));
    CHECK(back.dump(-1) == j.dump(-1));
}

TEST_CASE("json: parser rejects malformed documents with an offset", "[report][json]") {
    CHECK_THROWS_WITH(Json::parse("{\"a\":1,}"), Catch::Contains("offset"));
    CHECK_THROWS(Json::parse("[1 2]"));
    CHECK_THROWS(Json::parse("\"unterminated"));
    CHECK_THROWS(Json::parse("01"));
    CHECK_THROWS(Json::parse("{\"a\":1,\"a\":2}"));
    CHECK_THROWS(Json::parse("nan"));
}

TEST_CASE("json: YAML config to JSON keeps numbers numeric and order", "[report][json]") {
    Json j = sotsim::report::json_from_yaml(
        "device:\n  r_p: 3100000\n  tmr: 1.5\n  write: sot\n"
        "array:\n  rows: 256\n  ir_drop: off_mode\n  quoted: \"42\"\n"
        "sim:\n  ideal: false\n  seed: 7\n  list: [1, 2e-9, x]\n  none: ~\n");
    REQUIRE(j.is_object());
    CHECK(j.items()[0].first == "device");
    CHECK(j.at("device").at("r_p").as_number() == 3100000);
    CHECK(j.at("device").at("tmr").as_number() == 1.5);
    CHECK(j.at("device").at("write").as_string() == "sot");
    CHECK(j.at("array").at("quoted").as_string() == "42");
    CHECK(j.at("sim").at("ideal").as_bool() == false);
    CHECK(j.at("sim").at("list").at(1).as_number() == 2e-9);
    CHECK(j.at("sim").at("list").at(2).as_string() == "x");
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
