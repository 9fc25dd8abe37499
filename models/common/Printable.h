#pragma once
// Error messages are one line on stderr (file: error: problem). Text that comes from a
// user's file (a node name, a YAML key, a value) may hold a newline or a NUL; shown raw it
// splits the line, and a NUL even truncates std::exception::what(). Such bytes are shown
// escaped: "\n", "\r", "\xHH".
#include <string>

namespace sotsim::io {

inline std::string printable(const std::string& text) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);   // bytes >= 0x80 pass through
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += ' ';
        } else if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace sotsim::io
