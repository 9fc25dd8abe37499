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
        ("seed", po::value(&o.seed)->value_name("N"), "random seed (overrides sim.seed)");
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

Config load_common_config(const CommonOptions& o) {
    if (o.config.empty()) throw UsageError("missing -c/--config FILE");
    std::vector<std::string> ov = o.overrides;
    if (o.seed >= 0) ov.push_back("sim.seed=" + std::to_string(o.seed));
    return config::load_config(find_config(o.config), ov);
}

}  // namespace sotsim::app
