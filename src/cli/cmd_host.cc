// Placeholder until the host command lands.
#include "cli/commands.h"
#include "common/error.h"

namespace cbit::cli {

void add_host_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("host", "(not built yet)");
  cmd->callback([] { throw InputError("host: not built yet"); });
}

}  // namespace cbit::cli
