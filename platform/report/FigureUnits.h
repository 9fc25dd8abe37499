// Units of the scalar figures of report.json, in one table. report.json carries it as its
// "units" object, results.csv headers and `sotsim info --keys` read it, so a notebook or a
// plot never guesses a unit from a name.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sotsim::report {

struct FigureUnit {
    std::string path;   // dotted path in report.json ("energy_J.breakdown.adc")
    std::string unit;   // "" for a count, a fraction or another dimensionless figure
    std::string doc;    // one line, for `sotsim info --keys`
};

// Every scalar figure Report::json() writes outside config, components and layers, in
// report order. A test checks the table against a report, both ways.
const std::vector<FigureUnit>& figure_units();

// Unit of a report path: a figure of the table, else "" (unknown or dimensionless).
// `known` tells which.
std::string figure_unit(const std::string& path, bool* known = nullptr);

}  // namespace sotsim::report
