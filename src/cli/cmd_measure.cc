// Placeholder until the measure command lands.
#include "cli/commands.h"
#include "common/error.h"

namespace cbit::cli {

void add_measure_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("measure", "(not built yet)");
  cmd->callback([] { throw InputError("measure: not built yet"); });
}

}  // namespace cbit::cli
