#include "platform/app/Command.h"

#include <iostream>

#include "platform/config/ConfigLoader.h"

namespace sotsim::app {

po::options_description common_options(CommonOptions& o, bool with_out) {
    po::options_description d("Common options");
    d.add_options()
        ("config,c", po::value(&o.config)->value_name("FILE"), "chip configuration (YAML)")
        ("set", po::value(&o.overrides)->composing()->value_name("KEY=VALUE"),
         "override a config value, typed by the schema; units allowed "
         "(--set device.r_p=2.5MOhm); repeatable")
        ("seed", po::value(&o.seed)->value_name("N"), "random seed (overrides sim.seed)")
        ("no-cache", po::bool_switch(&o.no_cache), "do not read or write the IR-drop cache (sim.cache=false)");
    if (with_out) d.add_options()("out,o", po::value(&o.out)->value_name("DIR"), "output directory");
    d.add_options()("quiet,q", po::bool_switch(&o.quiet), "no summary on stdout");
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
    std::cout << "Usage: sotsim " << cmd << " " << usage << "\n\n" << summary << "\n\n" << desc
              << "  -h [ --help ]          show this help\n";
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

Config load_common_config(const CommonOptions& o) {
    if (o.config.empty()) throw UsageError("missing -c/--config FILE");
    std::vector<std::string> ov = o.overrides;
    if (!o.seed.empty()) ov.push_back("sim.seed=" + std::to_string(parse_unsigned_flag("--seed", o.seed)));
    if (o.no_cache) ov.push_back("sim.cache=false");
    return config::load_config(find_config(o.config), ov);
}

}  // namespace sotsim::app
