// cbit: an executable model of AMD memory encryption (SME, TSME, SEV, SEV-ES, SEV-SNP),
// and tools for real confidential-computing hosts.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "common/error.h"
#include "common/text.h"

namespace {

// A closed stdin, stdout or stderr would be handed to the next file cbit opens (a temporary, a
// dump), and text meant for the terminal could land in it. Each closed one is held by /dev/null,
// opened the wrong way round so that using it still fails as on the closed descriptor
// (coreutils' stdopen does the same).
void occupy_closed_std_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int got = ::open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);  // the lowest free: fd
    if (got >= 0 && got != fd) {
      ::dup2(got, fd);
      ::close(got);
    }
  }
}

// Output that never reached stdout (a full disk, a pipe whose reader left while SIGPIPE is
// ignored) is a failure, as for sha256sum: one line on stderr and a non-zero exit, the code the
// command uses for a failure that is not about what it examined (scan: 2, the others: 1). A
// command that failed has said so already: its line stays the only one.
int finish_stdout(int code, bool error_printed, const CLI::App& app) {
  std::cout.flush();  // synced with stdio, so this only reaches stdout's buffer
  errno = 0;
  const bool flush_failed = std::fflush(stdout) != 0;
  const int err = flush_failed ? errno : 0;
  if ((!flush_failed && !std::ferror(stdout) && std::cout.good()) || error_printed) return code;
  // An earlier write may have failed with the buffer since emptied: its errno is gone.
  if (err)
    std::fprintf(stderr, "cbit: stdout: write error: %s\n", std::strerror(err));
  else
    std::fprintf(stderr, "cbit: stdout: write error\n");
  if (code != 0) return code;
  return app.got_subcommand("scan") ? 2 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  occupy_closed_std_fds();
  CLI::App app{
      "cbit: an executable model of AMD memory encryption (SME, TSME, SEV, SEV-ES, SEV-SNP)\n"
      "and tools for real confidential-computing hosts.",
      "cbit"};
  app.require_subcommand(1);
  // CLI11's two lines (docs/cli.md), its first kept to one line whatever the user typed.
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    const std::string what = e.what();
    return cbit::printable(what) + CLI::FailureMessage::simple(a, e).substr(what.size());
  });
  app.set_version_flag("--version", "cbit 0.1.0");
  cbit::cli::Context ctx;
  cbit::cli::add_demo_command(app, ctx);
  cbit::cli::add_run_command(app, ctx);
  cbit::cli::add_map_command(app, ctx);
  cbit::cli::add_measure_command(app, ctx);
  cbit::cli::add_host_command(app, ctx);
  cbit::cli::add_scan_command(app, ctx);
  cbit::cli::add_report_command(app, ctx);
  cbit::cli::add_launch_command(app, ctx);
  cbit::cli::add_attack_command(app, ctx);
  int code = 0;
  bool error_printed = false;
  try {
    app.parse(argc, argv);
    code = ctx.exit_code;
  } catch (const CLI::ParseError& e) {
    // CLI11's codes (105 a value out of range, 109 an unknown flag, ...) and two lines; `cbit
    // measure` stands in for sev-snp-measure, whose argparse exits 2 for any usage error.
    code = app.exit(e);  // --help and --version print to stdout; errors to stderr
    error_printed = code != 0;
    if (error_printed && app.got_subcommand("measure")) code = 2;
  } catch (const cbit::InputError& e) {
    // Messages quote files and flags: printed escaped, on one line (common/text.h).
    std::fprintf(stderr, "cbit: %s\n", cbit::printable(e.what()).c_str());
    code = ctx.exit_code ? ctx.exit_code : 1;
    error_printed = true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cbit: error: %s\n", cbit::printable(e.what()).c_str());
    code = ctx.exit_code ? ctx.exit_code : 1;
    error_printed = true;
  }
  return finish_stdout(code, error_printed, app);
}
