// sotsim: command-line entry point. Thin: dispatches to one function per sub-command.
#include <cstdlib>
#include <cstring>
#include <systemc>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "platform/app/Command.h"
#include "platform/config/ConfigLoader.h"
#include "platform/host/HeapReuse.h"
#include "models/common/Printable.h"

namespace {

struct CommandEntry {
    int (*fn)(const std::vector<std::string>&);
    const char* summary;
};

const std::map<std::string, CommandEntry>& commands() {
    using namespace sotsim::app;
    static const std::map<std::string, CommandEntry> c = {
        {"run", {cmd_run, "run an ONNX model on the simulated chip: accuracy, latency, energy, VCD"}},
        {"compile", {cmd_compile, "map a model onto the chip and print the mapping"}},
        {"mvm", {cmd_mvm, "one analog matrix-vector multiplication through the physics core"}},
        {"sweep", {cmd_sweep, "run a parameter sweep from a YAML file, in parallel processes"}},
        {"validate", {cmd_validate, "check a chip config and print it fully resolved (SI units)"}},
        {"info", {cmd_info, "version, registered model variants and supported operators"}},
    };
    return c;
}

void print_help() {
    std::cout << "sotsim " SOTSIM_VERSION
                 " - SystemC/TLM-2.0 simulator of SOT-MRAM analog in-memory-computing chips\n\n"
                 "Usage: sotsim COMMAND [OPTIONS]\n\nCommands:\n";
    for (const auto& [name, e] : commands())
        std::cout << "  " << name << std::string(10 - name.size(), ' ') << e.summary << "\n";
    std::cout << "\nRun 'sotsim COMMAND --help' for the options of a command.\n"
                 "Options: -h/--help, --version\n";
}

// "sotsim: error: ..." exactly once, whatever prefix the thrower used.
std::string with_prefix(const std::string& msg) {
    if (msg.rfind("sotsim", 0) == 0 || msg.find(": error: ") != std::string::npos) return msg;
    if (msg.rfind("error: ", 0) == 0) return "sotsim: " + msg;
    return "sotsim: error: " + msg;
}

// One line, even for exceptions that did not escape user text themselves.
void report_error(const std::string& msg) { std::cerr << sotsim::io::printable(with_prefix(msg)) << "\n"; }

}  // namespace

// libsystemc provides main() and calls sc_main(); the kernel is only elaborated by
// commands that simulate (run), so the others stay free of SystemC start-up cost.
int sc_main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        print_help();
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version" || args[0] == "-V") {
        std::cout << "sotsim " SOTSIM_VERSION "\n";
        return 0;
    }
    auto it = commands().find(args[0]);
    if (it == commands().end()) {
        report_error("unknown command '" + args[0] + "' (commands: run, compile, mvm, sweep, validate, info)");
        return 2;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        return it->second.fn(rest);
    } catch (const sotsim::app::UsageError& e) {
        report_error(e.what());
        return 2;
    } catch (const std::bad_alloc&) {
        report_error("out of memory (input too large for this machine)");
        return 2;
    } catch (const std::exception& e) {
        // Config, import, data and physics errors arrive as exceptions whose message
        // already names the file and the problem.
        report_error(e.what());
        return 2;
    }
}

// Our own main() takes precedence over libsystemc's: it silences the SystemC banner (printed
// on stderr before sc_main, which would break the one-line error contract) and then enters
// the kernel's normal start-up, which calls sc_main above.
int main(int argc, char** argv) {
    ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    // Freed heap memory is reused, not unmapped and faulted in again (platform/host/HeapReuse.h).
    sotsim::host::keep_heap_for_reuse();
    return sc_core::sc_elab_and_sim(argc, argv);
}
