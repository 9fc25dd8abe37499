// Unit parsing: a table of good strings with their SI values, and bad strings that must fail.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "platform/config/ConfigLoader.h"

using sotsim::config::parse_quantity;

TEST_CASE("quantities with units parse to SI", "[units]") {
    struct Row { const char* text; const char* unit; double si; };
    const Row rows[] = {
        {"3.1 MOhm", "Ohm", 3.1e6},      {"3.1MOhm", "Ohm", 3.1e6},
        {"13 kOhm", "Ohm", 13e3},        {"13 kohm", "Ohm", 13e3},
        {"2 mOhm", "Ohm", 2e-3},         {"5 \xCE\xA9", "Ohm", 5.0},          // Ω
        {"4 k\xE2\x84\xA6", "Ohm", 4e3},                                       // Ω (Ohm sign)
        {"1 ns", "s", 1e-9},             {"210 ps", "s", 210e-12},
        {"1 us", "s", 1e-6},             {"1 \xC2\xB5s", "s", 1e-6},           // µs
        {"2 \xCE\xBCs", "s", 2e-6},                                            // μs (Greek mu)
        {"3 ms", "s", 3e-3},             {"42 fJ", "J", 42e-15},
        {"0.5 pJ", "J", 0.5e-12},        {"0.1 V", "V", 0.1},
        {"200 uA", "A", 200e-6},         {"200 MHz", "Hz", 200e6},
        {"11.1MHz", "Hz", 11.1e6},       {"2.1 fF", "F", 2.1e-15},
        {"64 KiB", "B", 65536.0},        {"1 MiB", "B", 1048576.0},
        {"2 GiB", "B", 2147483648.0},    {"64 kB", "B", 64000.0},
        {"1 MB", "B", 1e6},              {"90 nm", "m", 90e-9},
        {"0.5 um^2", "m^2", 0.5e-12},    {"20 kOhm*um^2", "Ohm*m^2", 20e3 * 1e-12},
        {"5 Ohm*um^2", "Ohm*m^2", 5e-12}, {"150 %", "1", 1.5},
        {"5.6%", "1", 0.056},            {"1.5", "1", 1.5},
        {"3100000", "Ohm", 3.1e6},       {"-2e-3", "1", -2e-3},
        {"1e+06", "Hz", 1e6},            {"10 V/A", "Ohm", 10.0},
        {"5 pW", "W", 5e-12},            {"3 uS", "S", 3e-6},
        {"  7 ns  ", "s", 7e-9},
    };
    for (const auto& r : rows) {
        INFO(r.text << " as " << r.unit);
        CHECK(parse_quantity(r.text, r.unit) == Approx(r.si).epsilon(1e-12));
    }
}

TEST_CASE("wrong dimension names expected and given units", "[units]") {
    try {
        parse_quantity("3 ns", "Ohm");
        FAIL("no exception");
    } catch (const std::invalid_argument& e) {
        std::string m = e.what();
        CHECK(m.find("expected Ohm") != std::string::npos);
        CHECK(m.find("resistance") != std::string::npos);
        CHECK(m.find("got ns") != std::string::npos);
        CHECK(m.find("time") != std::string::npos);
    }
    // Area prefix must be squared: um (length) is not an area.
    CHECK_THROWS_AS(parse_quantity("20 kOhm*um", "Ohm*m^2"), std::invalid_argument);
    CHECK_THROWS_AS(parse_quantity("150 %", "Ohm"), std::invalid_argument);
    CHECK_THROWS_AS(parse_quantity("1 MHz", "s"), std::invalid_argument);
}

TEST_CASE("malformed quantities are rejected", "[units]") {
    const char* bad[] = {"", "abc", "MOhm", "3..1 Ohm", "3 Ohmz", "3 xOhm", "nan", "inf",
                         "0x10", "3 KB", "3 KiOhm", "1e400", "3 Ohm^", "3 m^x", "1e Ohm"};
    for (const char* b : bad) {
        INFO("'" << b << "'");
        CHECK_THROWS_AS(parse_quantity(b, "Ohm"), std::invalid_argument);
    }
}

TEST_CASE("decimal prefixes convert with one rounding (exact round trip of SI text)", "[units]") {
    // The SI value must be the double nearest the decimal, so to_yaml prints "0.123", not
    // "0.12300000000000001".
    CHECK(parse_quantity("12.3 %", "1") == 0.123);
    CHECK(parse_quantity("90 ns", "s") == 9e-8);
    CHECK(parse_quantity("2.1 fF", "F") == 2.1e-15);
    CHECK(parse_quantity("1.5e3 kOhm", "Ohm") == 1.5e6);
    CHECK(parse_quantity("-2 mV", "V") == -2e-3);
    CHECK(parse_quantity("0.66 fJ", "J") == 0.66e-15);
}
