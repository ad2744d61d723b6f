// Placeholder until the demo command lands.
#include "cli/commands.h"
#include "common/error.h"

namespace cbit::cli {

void add_demo_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("demo", "(not built yet)");
  cmd->callback([] { throw InputError("demo: not built yet"); });
}

}  // namespace cbit::cli
