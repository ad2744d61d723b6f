// Options several subcommands share, declared once so they read and behave the same everywhere.
//
// Numeric command-line values, checked once for every subcommand: a count, a size or a seed is
// a whole number written in decimal or 0x-hex digits and nothing else, inside the range the
// option documents. A sign, blanks, an exponent, a leading zero (octal to C, decimal to the
// rest of the world), a value past 2^64 - 1 or outside the range is refused, never wrapped,
// clamped or read as something else (CLI11's own conversion takes "-1" as 2^64 - 1 and
// "99999999999999999999" as 2^64 - 1).
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace cbit::cli {

inline constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

// The value of s, or nullopt when s is not a whole number in the accepted spelling or does not
// fit in 64 bits.
std::optional<uint64_t> parse_unsigned(std::string_view s);

// "'<s>' is not a whole number from <lo> to <hi>" or "" when s parses into [lo, hi].
std::string unsigned_range_error(std::string_view s, uint64_t lo, uint64_t hi);

// s as a number in [lo, hi]; throws InputError "<flag> '<s>': not a whole number from lo to hi"
// (for values a command reads itself, such as --policy).
uint64_t parse_unsigned_in(std::string_view s, std::string_view flag, uint64_t lo, uint64_t hi);

// A CLI11 transform: refuses what parse_unsigned refuses or what lies outside [lo, hi] (a
// CLI::ValidationError, exit 105, CLI11's two-line message) and hands CLI11 the value in plain
// decimal, so its own conversion cannot read it differently.
CLI::Validator unsigned_range(uint64_t lo, uint64_t hi);

// add_option with unsigned_range(lo, hi); T is an unsigned integer or std::optional of one
// whose type holds hi.
template <class T>
CLI::Option* add_unsigned(CLI::App* app, const std::string& name, T& var,
                          const std::string& description, uint64_t lo, uint64_t hi) {
  return app->add_option(name, var, description)->transform(unsigned_range(lo, hi));
}

// --trace FILE (docs/trace.md) on `run`, `demo`, `launch` and `attack`: the Chrome trace-event
// JSON of what the simulated hardware did. With `body`, it is also the command's callback, run
// inside trace::with_trace_file(path) (common/trace.h): the file is written when the command
// ends, and also when it throws after the simulation recorded something; a bad path is refused
// before anything runs. `path` must outlive the command (a field of its shared arguments).
CLI::Option* add_trace_option(CLI::App* cmd, std::string& path, std::function<void()> body = {});
CLI::Option* add_trace_option(CLI::App* cmd, std::optional<std::string>& path);

// --workdir DIR on `run` and `demo`: where the `command` makes its working directory for NVDIMM
// files and dumps (cli/workdir.h).
CLI::Option* add_workdir_option(CLI::App* cmd, std::string& dir, std::string_view command);

}  // namespace cbit::cli
