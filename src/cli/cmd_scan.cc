// Placeholder until the scan command lands.
#include "cli/commands.h"
#include "common/error.h"

namespace cbit::cli {

void add_scan_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("scan", "(not built yet)");
  cmd->callback([] { throw InputError("scan: not built yet"); });
}

}  // namespace cbit::cli
