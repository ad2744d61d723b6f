#include "cli/options.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/number.h"
#include "common/trace.h"

namespace cbit::cli {

std::optional<uint64_t> parse_unsigned(std::string_view s) {
  // "010": octal to strtoull, ten to a person; neither is guessed.
  if (s.size() > 1 && s[0] == '0' && s[1] != 'x' && s[1] != 'X') return std::nullopt;
  return parse_u64(s);
}

std::string unsigned_range_error(std::string_view s, uint64_t lo, uint64_t hi) {
  const auto v = parse_unsigned(s);
  if (v && *v >= lo && *v <= hi) return "";
  // Keep the message on one line whatever the user typed.
  std::string shown;
  for (char ch : s.substr(0, 64)) shown += (ch == '\n' || ch == '\r' || ch == '\t') ? ' ' : ch;
  if (s.size() > 64) shown += "...";
  return fmt::format("'{}' is not a whole number from {} to {}{}", shown, lo, hi,
                     v ? "" : " (decimal or 0x-hex digits)");
}

uint64_t parse_unsigned_in(std::string_view s, std::string_view flag, uint64_t lo, uint64_t hi) {
  const std::string err = unsigned_range_error(s, lo, hi);
  if (!err.empty()) throw InputError(fmt::format("{}: {}", flag, err));
  return *parse_unsigned(s);
}

CLI::Validator unsigned_range(uint64_t lo, uint64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& value) {
        std::string err = unsigned_range_error(value, lo, hi);
        if (err.empty()) value = std::to_string(*parse_unsigned(value));
        return err;
      },
      fmt::format("UINT in [{} - {}]", lo, hi));
}

namespace {
constexpr const char* kTraceHelp =
    "Write a Chrome trace-event JSON of what the simulated hardware did (Perfetto, "
    "chrome://tracing; docs/trace.md)";
}  // namespace

CLI::Option* add_trace_option(CLI::App* cmd, std::string& path, std::function<void()> body) {
  if (body) cmd->callback([&path, body = std::move(body)] { trace::with_trace_file(path, body); });
  return cmd->add_option("--trace", path, kTraceHelp);
}

CLI::Option* add_trace_option(CLI::App* cmd, std::optional<std::string>& path) {
  return cmd->add_option("--trace", path, kTraceHelp);
}

CLI::Option* add_workdir_option(CLI::App* cmd, std::string& dir, std::string_view command) {
  return cmd->add_option("--workdir", dir,
                         fmt::format("Directory in which the {} makes its working directory for "
                                     "NVDIMM files and dumps, removed at the end (default: the "
                                     "temporary directory)",
                                     command));
}

}  // namespace cbit::cli
