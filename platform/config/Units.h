// Physical quantities with units: "3.1 MOhm", "200MHz", "20 kOhm*um^2", "150 %", "64 KiB".
//
// A unit expression is reduced to a scale factor and a dimension vector over the SI base
// units (m, kg, s, A) plus the byte, so "V/A" equals "Ohm" and "kOhm*um^2" is checked
// against "Ohm*m^2" with the area prefix squared. Plain numbers are SI.
#pragma once

#include <array>
#include <string>

namespace sotsim::config {

// Exponents of m, kg, s, A, byte.
using Dimension = std::array<int, 5>;

// One unit = factor x 10^exp10 SI units. The decimal exponent is kept apart so that "90 ns"
// converts as 90 / 1e9 (correctly rounded, 9e-08) rather than 90 * 1e-9 (9.000000000000001e-08).
struct Unit {
    double factor = 1.0;
    int exp10 = 0;
    Dimension dim{};           // all zero = dimensionless
    double scale() const;      // SI value of one unit
};

// Parses a unit expression: factor (('*' | '/') factor)*, factor = [prefix] symbol ['^' int].
// Symbols: m s Hz J W V A Ohm ohm Ω S F B % (and "1" for dimensionless). Prefixes
// f p n u µ m k M G T; binary Ki Mi Gi Ti on bytes only. Throws std::invalid_argument.
Unit parse_unit(const std::string& text);

// Canonical SI spelling of a dimension: "Ohm", "Ohm*m^2", "s", "1", ...
std::string dimension_name(const Dimension& d);

// "3.1 MOhm" -> 3.1e6 when `expected` is "Ohm". Throws std::invalid_argument naming the
// expected and the given unit on a dimension mismatch, and on malformed or non-finite numbers.
double parse_quantity_si(const std::string& text, const std::string& expected);

// Parses a plain number (no unit) in full: "1e-3", "-2", "0.5". False if malformed or not finite.
bool parse_plain_number(const std::string& text, double& out);

}  // namespace sotsim::config
