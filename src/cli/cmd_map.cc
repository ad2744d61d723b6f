// Placeholder until the map command lands.
#include "cli/commands.h"
#include "common/error.h"

namespace cbit::cli {

void add_map_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("map", "(not built yet)");
  cmd->callback([] { throw InputError("map: not built yet"); });
}

}  // namespace cbit::cli
