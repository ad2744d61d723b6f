// Placeholder until the report command lands.
#include "cli/commands.h"
#include "common/error.h"

namespace cbit::cli {

void add_report_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("report", "(not built yet)");
  cmd->callback([] { throw InputError("report: not built yet"); });
}

}  // namespace cbit::cli
