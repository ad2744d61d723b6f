// Each subcommand of `cbit` lives in its own cmd_<name>.cc and registers itself here.
#pragma once
#include <CLI/CLI.hpp>

namespace cbit::cli {

// Shared by all commands: the process exit code a command's callback wants.
struct Context {
  int exit_code = 0;
};

void add_demo_command(CLI::App& app, Context& ctx);
void add_map_command(CLI::App& app, Context& ctx);
void add_measure_command(CLI::App& app, Context& ctx);
void add_host_command(CLI::App& app, Context& ctx);
void add_scan_command(CLI::App& app, Context& ctx);
void add_report_command(CLI::App& app, Context& ctx);
void add_launch_command(CLI::App& app, Context& ctx);
void add_attack_command(CLI::App& app, Context& ctx);
void add_run_command(CLI::App& app, Context& ctx);

}  // namespace cbit::cli
