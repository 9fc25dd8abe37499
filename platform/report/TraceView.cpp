#include "platform/report/TraceView.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "platform/report/AtomicFile.h"

namespace sotsim::report {

namespace {

// GTKWave trace flags (the "@<hex>" lines of a save file; gtkwave's analyzer.h).
constexpr unsigned kHex = 1u << 1, kDec = 1u << 2, kBin = 1u << 3, kRjustify = 1u << 5, kBlank = 1u << 9,
                   kFileTranslated = 1u << 13, kAnalogStep = 1u << 15, kAnalogStretch = 1u << 17,
                   kReal = 1u << 18, kGroupBegin = 1u << 23, kGroupEnd = 1u << 24;

// Window geometry of the view; the wave area is what remains of the width.
constexpr int kWidth = 1600, kHeight = 1000, kSstWidth = 220, kSignalsWidth = 330;

class SaveFile {
public:
    void line(const std::string& s) { os_ << s << '\n'; }
    void flags(unsigned f) {
        if (f == flags_) return;
        char b[16];
        std::snprintf(b, sizeof b, "@%x", f);
        line(b);
        flags_ = f;
    }
    void begin_group(const std::string& name) { flags(kGroupBegin | kBlank); line("-" + name); }
    void end_group(const std::string& name) { flags(kGroupEnd | kBlank); line("-" + name); }
    // A signal with the display format its kind needs; reals as an analog step plot made
    // `height` rows tall.
    void trace(const VcdWriter::Written& s, int translate_filter = 0, int height = 3) {
        if (s.width == 0) {
            flags(kReal | kAnalogStep | kRjustify);
            line(alias(s.path) + s.path);
            flags(kBlank | kAnalogStretch);
            for (int i = 1; i < height; ++i) line("-");
            return;
        }
        if (translate_filter > 0) {
            flags(kDec | kRjustify | kFileTranslated);
            line("^" + std::to_string(translate_filter) + " " + translate_path_);
        } else {
            flags((s.width == 1 ? kBin : kDec) | kRjustify);
        }
        line(alias(s.path) + s.path);
    }
    void set_translate_path(std::string p) { translate_path_ = std::move(p); }
    std::string str() const { return os_.str(); }
    // Shown name: the path without the top module, since every leaf of a macro is called
    // the same; '/' separates the levels because GTKWave cuts a shown name at its last '.'
    // (an alias "tile0.macro3.busy" is displayed as "busy").
    static std::string alias(const std::string& path) {
        auto p = path.find('.');
        if (p == std::string::npos) return std::string();
        std::string shown = path.substr(p + 1);
        for (char& c : shown)
            if (c == '.') c = '/';
        return "+{" + shown + "} ";
    }

private:
    std::ostringstream os_;
    unsigned flags_ = ~0u;
    std::string translate_path_;
};

bool in_scope(const std::string& path, const std::string& scope) {
    return path.size() > scope.size() + 1 && path.compare(0, scope.size(), scope) == 0 && path[scope.size()] == '.';
}
// A signal directly in `scope` (not in a child module).
bool directly_in(const std::string& path, const std::string& scope) {
    return in_scope(path, scope) && path.find('.', scope.size() + 1) == std::string::npos;
}

}  // namespace

std::string layer_translate_text(const TraceView& view) {
    std::string s;
    for (const auto& l : view.layers) s += std::to_string(l.index) + " " + (l.name.empty() ? "layer" : l.name) + "\n";
    return s;
}

std::string gtkw_text(const VcdWriter& vcd, const TraceView& view, const std::string& vcd_name,
                      const std::string& translate_name, std::uint64_t end_ps) {
    const std::vector<VcdWriter::Written> sigs = vcd.written_signals();
    SaveFile f;
    f.set_translate_path(translate_name);
    for (const auto& h : view.header) f.line("[*] " + h);
    f.line("[dumpfile] \"" + vcd_name + "\"");
    f.line("[timestart] 0");
    f.line("[size] " + std::to_string(kWidth) + " " + std::to_string(kHeight));
    f.line("[pos] -1 -1");
    // Zoom: GTKWave 3.3 draws about 2^-zoom / 230 time units per pixel (measured on the
    // Debian 12 build under Xvfb); fit the whole run in the wave area.
    const double wave_px = kWidth - kSstWidth - kSignalsWidth - 80;
    const double zoom = end_ps > 0 ? -std::log2(230.0 * static_cast<double>(end_ps) / wave_px) : 0.0;
    char z[64];
    std::snprintf(z, sizeof z, "*%.6f 0", zoom);
    std::string markers = z;
    for (int i = 0; i < 26; ++i) markers += " -1";
    f.line(markers);
    f.line("[treeopen] chip.");
    f.line("[sst_width] " + std::to_string(kSstWidth));
    f.line("[signals_width] " + std::to_string(kSignalsWidth));
    f.line("[sst_expanded] 1");
    f.line("[sst_vpaned_height] 300");

    const std::string power = vcd.power_scope();
    auto find = [&](const std::string& path) -> const VcdWriter::Written* {
        for (const auto& s : sigs)
            if (s.path == path) return &s;
        return nullptr;
    };
    if (const auto* total = find(power + "." + VcdWriter::kTotalPowerLeaf)) {
        f.begin_group("chip power");
        f.trace(*total, 0, 4);
        f.end_group("chip power");
    }
    for (const auto& l : view.layers) {
        std::string title = "layer " + std::to_string(l.index) + " " + l.name;
        if (!l.macro_scopes.empty()) title += " (" + std::to_string(l.macro_scopes.size()) + " macros)";
        f.begin_group(title);
        for (const auto& t : l.tile_scopes)
            for (const auto& s : sigs)
                if (directly_in(s.path, t)) f.trace(s, s.path == t + ".layer" ? 1 : 0);
        for (const auto& m : l.macro_scopes)
            for (const auto& s : sigs)
                if (in_scope(s.path, m)) f.trace(s);
        for (int t : l.tiles)
            if (const auto* p = find(power + "." + VcdWriter::power_leaf(t))) f.trace(*p);
        f.end_group(title);
    }
    f.begin_group("shared");
    for (const auto& sc : view.shared_scopes)
        for (const auto& s : sigs)
            if (in_scope(s.path, sc)) f.trace(s);
    if (const auto* p = find(power + "." + VcdWriter::power_leaf(-1))) f.trace(*p);
    f.end_group("shared");
    return f.str();
}

std::vector<std::pair<std::string, std::string>> trace_outputs(const VcdWriter& vcd, const TraceView& view,
                                                               const std::string& vcd_path, std::uint64_t end_ps) {
    namespace fs = std::filesystem;
    const fs::path p(vcd_path);
    const fs::path dir = p.parent_path();
    const std::string stem = p.stem().string();
    const fs::path gtkw = dir / (stem + ".gtkw"), translate = dir / (stem + ".layers.txt");
    std::ostringstream v;
    vcd.write(v, end_ps);
    // Names relative to the save file: `cd DIR && gtkwave trace.gtkw` and `gtkwave DIR/trace.gtkw`
    // both find them (GTKWave retries a missing dump file next to the save file).
    return {{vcd_path, v.str()},
            {gtkw.string(), gtkw_text(vcd, view, p.filename().string(), translate.filename().string(), end_ps)},
            {translate.string(), layer_translate_text(view)}};
}

std::string write_trace(const VcdWriter& vcd, const TraceView& view, const std::string& vcd_path,
                        std::uint64_t end_ps) {
    OutputBatch b;
    b.add(trace_outputs(vcd, view, vcd_path, end_ps));
    b.commit();
    return b.files()[1].first;
}

}  // namespace sotsim::report
