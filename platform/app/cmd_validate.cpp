#include <iostream>

#include "platform/app/Command.h"
#include "platform/config/ConfigLoader.h"

namespace sotsim::app {

int cmd_validate(const std::vector<std::string>& args) {
    CommonOptions o;
    po::options_description desc = common_options(o, /*with_out=*/false, /*with_quiet=*/false);
    po::positional_options_description pos;
    pos.add("config", 1);
    bool help = false;
    parse_command("validate", args, desc, &pos, help);
    if (help) {
        print_command_help("validate", "-c FILE [--set KEY=VALUE ...]",
                           "Loads FILE (resolving includes and --set overrides), validates every "
                           "key and prints the fully resolved configuration as YAML in SI units.",
                           desc);
        return 0;
    }
    const Config cfg = load_common_config(o);
    std::cout << config::to_yaml(cfg);
    return 0;
}

}  // namespace sotsim::app
