// to_yaml: the fully resolved configuration, every key, SI plain numbers, in schema order.
#include <sstream>

#include "platform/config/ConfigLoader.h"
#include "platform/config/Schema.h"

namespace sotsim::config {
namespace {

std::vector<std::string> parts_of(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= path.size(); ++i)
        if (i == path.size() || path[i] == '.') { parts.push_back(path.substr(start, i - start)); start = i + 1; }
    return parts;
}

// Double-quoted YAML scalar (strings such as tech.node could otherwise read as numbers or bools).
std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

std::string to_yaml(const Config& cfg) {
    std::ostringstream y;
    y << "# sotsim resolved configuration: every key, SI units (plain numbers)\n";
    if (!cfg.source.empty()) y << "# source: " << cfg.source << "\n";
    std::vector<std::string> open;   // currently open section path
    for (const KeyInfo& k : schema()) {
        std::vector<std::string> parts = parts_of(k.path);
        std::vector<std::string> section(parts.begin(), parts.end() - 1);
        std::size_t common = 0;
        while (common < open.size() && common < section.size() && open[common] == section[common]) ++common;
        open.resize(common);
        for (std::size_t i = common; i < section.size(); ++i) {
            y << std::string(2 * i, ' ') << section[i] << ":\n";
            open.push_back(section[i]);
        }
        std::string indent(2 * section.size(), ' ');
        const std::string& leaf = parts.back();
        bool has_unit = k.kind == KeyKind::Real || k.kind == KeyKind::RealList || k.kind == KeyKind::QuantityMap;
        std::string comment = has_unit && k.unit != "1" ? "  # " + k.unit : "";
        switch (k.kind) {
            case KeyKind::QuantityMap: {
                const auto& m = k.map(const_cast<Config&>(cfg));
                if (m.empty()) { y << indent << leaf << ": {}" << comment << "\n"; break; }
                y << indent << leaf << ":" << comment << "\n";
                for (const auto& [name, v] : m)
                    y << indent << "  " << name << ": " << format_real(v) << "\n";
                break;
            }
            case KeyKind::String:
            case KeyKind::Choice:
                y << indent << leaf << ": " << quoted(format_value(k, cfg)) << "\n";
                break;
            default:
                y << indent << leaf << ": " << format_value(k, cfg) << comment << "\n";
        }
    }
    return y.str();
}

}  // namespace sotsim::config
