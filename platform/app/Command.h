// Sub-command plumbing for the `sotsim` executable: every command parses its own options
// with Boost.Program_options and returns an exit status. Usage and input errors are thrown
// as UsageError / InputError and turned into one "sotsim: error: ..." line, exit status 2.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/config/Config.h"
#include "platform/app/Resources.h"

namespace sotsim::app {

namespace po = boost::program_options;

struct UsageError : std::runtime_error { using std::runtime_error::runtime_error; };

// Options every simulation command shares: -c/--config, --set, --seed, and for the commands
// that write files and a summary (run) -o/--out DIR and -q/--quiet. Commands whose output
// is what they print (compile, validate, mvm) have no -q.
struct CommonOptions {
    std::string config;
    std::vector<std::string> overrides;
    std::string seed;             // empty: keep sim.seed from the config; else 0..2^64-1
    std::string out;
    bool quiet = false;
    bool no_cache = false;        // sim.cache=false
    std::string threads;          // empty: keep sim.threads; else 0..1024
};

po::options_description common_options(CommonOptions& o, bool with_out = true, bool with_quiet = true);

// Parses `args` (after the command name) against `desc` (+ positionals). Unknown options,
// missing values and extra positionals are UsageError. Returns the variables map; sets
// `help` when -h/--help was given.
po::variables_map parse_command(const std::string& cmd, const std::vector<std::string>& args,
                                const po::options_description& desc,
                                const po::positional_options_description* pos, bool& help);

void print_command_help(const std::string& cmd, const std::string& usage,
                        const std::string& summary, const po::options_description& desc);

// A string option for which "" means "not given" (--seed, --samples): an explicit empty
// value (`--samples ""`, a shell variable that was never set) is a UsageError naming the
// flag instead of silently meaning the default (the whole split, the config's seed).
po::typed_value<std::string>* nonempty_value(std::string* target, const std::string& flag);

// A count or seed given on the command line: decimal digits only (no sign, no spaces),
// at most `max`. Throws UsageError naming the flag; "-5" is an error, not a default.
std::uint64_t parse_unsigned_flag(const std::string& flag, const std::string& text,
                                  std::uint64_t max = UINT64_MAX);

// SOTSIM_MAX_SAMPLES=N (environment) caps the samples of every run and sweep point: a quick
// look at a long study, and how the documentation's commands are tested in CI (tests/docs).
// `requested` is a count or -1 (the whole split); the capped count is returned and the cap
// is announced on stderr, so a capped figure is never mistaken for the documented one.
// Unset, empty or 0: no cap. Not a decimal integer: UsageError.
long long cap_samples(long long requested, const std::string& what);

// Loads the chip config named by the common options (applying --set and --seed).
sotsim::Config load_common_config(const CommonOptions& o);


int cmd_validate(const std::vector<std::string>& args);
int cmd_info(const std::vector<std::string>& args);
int cmd_mvm(const std::vector<std::string>& args);
int cmd_compile(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_sweep(const std::vector<std::string>& args);

}  // namespace sotsim::app
