#include "platform/app/Command.h"

#include <cstdlib>
#include <iostream>

#include "platform/config/ConfigLoader.h"

namespace sotsim::app {

po::options_description common_options(CommonOptions& o, bool with_out, bool with_quiet) {
    po::options_description d("Common options");
    d.add_options()
        ("config,c", po::value(&o.config)->value_name("FILE"), "chip configuration (YAML)")
        ("set", po::value(&o.overrides)->composing()->value_name("KEY=VALUE"),
         "override a config value, typed by the schema; units allowed "
         "(--set device.r_p=2.5MOhm); repeatable")
        ("seed", nonempty_value(&o.seed, "--seed")->value_name("N"), "random seed (overrides sim.seed)")
        ("no-cache", po::bool_switch(&o.no_cache), "do not read or write the IR-drop cache (sim.cache=false)")
        ("threads", nonempty_value(&o.threads, "--threads")->value_name("N"),
         "host threads for the IR-drop solves (sim.threads; 0: one per hardware thread)");
    if (with_out) d.add_options()("out,o", po::value(&o.out)->value_name("DIR"), "output directory (created)");
    if (with_quiet) d.add_options()("quiet,q", po::bool_switch(&o.quiet), "no summary on stdout");
    return d;
}

po::variables_map parse_command(const std::string& cmd, const std::vector<std::string>& args,
                                const po::options_description& desc,
                                const po::positional_options_description* pos, bool& help) {
    po::options_description all;
    all.add(desc);
    all.add_options()("help,h", "show this help");
    po::variables_map vm;
    try {
        auto parser = po::command_line_parser(args).options(all);
        po::positional_options_description none;
        parser.positional(pos ? *pos : none);
        po::store(parser.run(), vm);
        help = vm.count("help") > 0;
        if (!help) po::notify(vm);
    } catch (const po::error& e) {
        throw UsageError(cmd + ": " + e.what() + " (see 'sotsim " + cmd + " --help')");
    }
    return vm;
}

void print_command_help(const std::string& cmd, const std::string& usage,
                        const std::string& summary, const po::options_description& desc) {
    // The summary wrapped like Boost wraps option descriptions; --help printed by Boost in
    // the same table, so its column lines up with the others.
    std::string wrapped, line;
    std::size_t start = 0;
    while (start <= summary.size()) {
        std::size_t end = summary.find_first_of(" \n", start);
        if (end == std::string::npos) end = summary.size();
        const std::string word = summary.substr(start, end - start);
        if (!line.empty() && line.size() + 1 + word.size() > 80) {
            wrapped += line + "\n";
            line.clear();
        }
        if (!word.empty()) line += (line.empty() ? "" : " ") + word;
        if (end < summary.size() && summary[end] == '\n') {
            wrapped += line + "\n";
            line.clear();
        }
        start = end + 1;
    }
    wrapped += line;
    po::options_description all;
    all.add(desc);
    po::options_description general("General");
    general.add_options()("help,h", "show this help");
    all.add(general);
    std::cout << "Usage: sotsim " << cmd << " " << usage << "\n\n" << wrapped << "\n" << all;  // groups open with a newline
}

po::typed_value<std::string>* nonempty_value(std::string* target, const std::string& flag) {
    return po::value(target)->notifier([flag](const std::string& v) {
        if (v.empty()) throw UsageError(flag + ": '' is empty (leave the option out for the default)");
    });
}

std::uint64_t parse_unsigned_flag(const std::string& flag, const std::string& text, std::uint64_t max) {
    auto bad = [&](const std::string& why) {
        return UsageError(flag + ": '" + text + "' " + why);
    };
    if (text.empty()) throw bad("is empty");
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') throw bad("is not a non-negative decimal integer");
        const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (v > (max - digit) / 10) throw bad("is out of range (at most " + std::to_string(max) + ")");
        v = v * 10 + digit;
    }
    return v;
}

long long cap_samples(long long requested, const std::string& what) {
    const char* env = std::getenv("SOTSIM_MAX_SAMPLES");
    if (env == nullptr || *env == '\0') return requested;
    const auto cap = static_cast<long long>(parse_unsigned_flag("SOTSIM_MAX_SAMPLES", env, INT64_MAX));
    if (cap == 0 || (requested > 0 && requested <= cap)) return requested;
    std::cerr << "sotsim: note: SOTSIM_MAX_SAMPLES=" << cap << ": " << what << " uses the first " << cap
              << " samples instead of " << (requested > 0 ? std::to_string(requested) : std::string("the whole split"))
              << "\n";
    return cap;
}

Config load_common_config(const CommonOptions& o) {
    if (o.config.empty()) throw UsageError("missing -c/--config FILE");
    std::vector<std::string> ov = o.overrides;
    if (!o.seed.empty()) ov.push_back("sim.seed=" + std::to_string(parse_unsigned_flag("--seed", o.seed)));
    if (o.no_cache) ov.push_back("sim.cache=false");
    if (!o.threads.empty()) ov.push_back("sim.threads=" + std::to_string(parse_unsigned_flag("--threads", o.threads, 1024)));
    return config::load_config(find_config(o.config), ov);
}

}  // namespace sotsim::app
