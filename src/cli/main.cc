// cbit: an executable model of AMD memory encryption (SME, TSME, SEV, SEV-ES, SEV-SNP),
// and tools for real confidential-computing hosts.
#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "common/error.h"

namespace {
// Errors are one `cbit:` line (docs/cli.md), whatever a message quotes from the input.
std::string one_line(std::string s) {
  for (char& ch : s)
    if (ch == '\n' || ch == '\r') ch = ' ';
  return s;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "cbit: an executable model of AMD memory encryption (SME, TSME, SEV, SEV-ES, SEV-SNP)\n"
      "and tools for real confidential-computing hosts.",
      "cbit"};
  app.require_subcommand(1);
  // CLI11's two lines (docs/cli.md), its first kept to one line whatever the user typed.
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    const std::string what = e.what();
    return one_line(what) + CLI::FailureMessage::simple(a, e).substr(what.size());
  });
  app.set_version_flag("--version", "cbit 0.1.0");
  cbit::cli::Context ctx;
  cbit::cli::add_demo_command(app, ctx);
  cbit::cli::add_map_command(app, ctx);
  cbit::cli::add_measure_command(app, ctx);
  cbit::cli::add_host_command(app, ctx);
  cbit::cli::add_scan_command(app, ctx);
  cbit::cli::add_report_command(app, ctx);
  cbit::cli::add_launch_command(app, ctx);
  cbit::cli::add_attack_command(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's codes (105 a value out of range, 109 an unknown flag, ...) and two lines; `cbit
    // measure` stands in for sev-snp-measure, whose argparse exits 2 for any usage error.
    const int code = app.exit(e);
    return code != 0 && app.got_subcommand("measure") ? 2 : code;
  } catch (const cbit::InputError& e) {
    std::fprintf(stderr, "cbit: %s\n", one_line(e.what()).c_str());
    return ctx.exit_code ? ctx.exit_code : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cbit: error: %s\n", one_line(e.what()).c_str());
    return ctx.exit_code ? ctx.exit_code : 1;
  }
  return ctx.exit_code;
}
