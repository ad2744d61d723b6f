// `cbit scan DUMP`: analyse a guest memory dump (raw image or QEMU / virsh ELF core) from the
// host's side: classify every page, find strings, hex patterns and regexes with their
// guest-physical addresses, report the encrypted fraction and, with a page map, whether each
// finding sits in private or shared memory (docs/scan.md).
//
// Exit codes: 0 scan done (and, if patterns were given, at least one matched); 1 patterns were
// given and none matched (like grep); 2 bad input (file, flag, page map).
#include <thread>

#include "cli/commands.h"
#include "common/error.h"
#include "tools/scan/dump_reader.h"
#include "tools/scan/page_map.h"
#include "tools/scan/pattern.h"
#include "tools/scan/progress.h"
#include "tools/scan/report.h"
#include "tools/scan/scanner.h"

namespace cbit::cli {
namespace {

struct ScanArgs {
  std::string dump;
  std::vector<std::string> strings, regexes, hexes;
  std::string page_map, format = "text", base = "0";
  bool pages = false, quiet = false, wide = false;
  size_t max_matches = 1000;
  unsigned threads = 0;
  size_t chunk_kib = 4096;
};

uint64_t parse_base(const std::string& s) {
  try {
    size_t used = 0;
    const uint64_t v = std::stoull(s, &used, 0);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  throw InputError("--base '" + s + "': expected an address such as 0x100000");
}

void run_scan(const ScanArgs& a, Context& ctx) {
  using namespace cbit::tools::scan;
  ctx.exit_code = 2;  // any InputError below is bad input
  std::vector<Pattern> patterns;
  for (const auto& s : a.strings) {
    patterns.push_back(parse_literal(s));
    if (a.wide) patterns.push_back(parse_literal_utf16le(s));
  }
  for (const auto& s : a.hexes) patterns.push_back(parse_hex(s));
  for (const auto& s : a.regexes) patterns.push_back(parse_regex(s));
  const Matcher matcher(std::move(patterns));
  const PageMap map = a.page_map.empty() ? PageMap() : PageMap::load(a.page_map);
  const DumpLayout layout = read_dump_layout(a.dump, parse_base(a.base));
  const DumpFile file(a.dump);

  ScanOptions opt;
  opt.max_matches = a.max_matches;
  opt.chunk_size = a.chunk_kib << 10;
  opt.threads =
      a.threads ? a.threads : std::max(1u, std::min(2u, std::thread::hardware_concurrency()));

  auto report = Report::make(a.format == "json" ? Report::Format::Json : Report::Format::Text,
                             {a.dump, &layout, &matcher, a.page_map, a.pages}, stdout);
  Progress progress(!a.quiet && Progress::stderr_is_tty());
  report->set_progress(&progress);
  report->begin();
  const ScanTotals totals = scan_dump(file, layout, matcher, map, opt, *report);
  progress.finish();
  report->end(totals);
  std::fflush(stdout);
  ctx.exit_code = (!matcher.empty() && totals.matches_total == 0) ? 1 : 0;
}

}  // namespace

void add_scan_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ScanArgs>();
  auto* cmd = app.add_subcommand(
      "scan",
      "Analyse a guest memory dump (raw or ELF core from dump-guest-memory / virsh dump): "
      "page classes, pattern search by guest-physical address, encrypted fraction, private vs "
      "shared attribution");
  cmd->add_option("DUMP", args->dump, "Dump file: raw image or ELF core")->required();
  cmd->add_option("-s,--string", args->strings, "Search for this literal string (repeatable)");
  cmd->add_flag("-w,--wide", args->wide, "Also search each --string as UTF-16LE");
  cmd->add_option("-x,--hex", args->hexes,
                  "Search for hex bytes, ?? = any byte, e.g. 'de ad ?? ef' (repeatable)");
  cmd->add_option("-e,--regex", args->regexes,
                  "Search printable runs with an ECMAScript regex (repeatable; slower)");
  cmd->add_option("--page-map", args->page_map,
                  "JSON page map (private/shared regions) for attribution; see docs/scan.md");
  cmd->add_flag("--pages", args->pages, "List page ranges with their class");
  cmd->add_option("-o,--output", args->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--max-matches", args->max_matches, "Matches to list (all are counted)");
  cmd->add_option("--threads", args->threads, "Scanning threads (default: up to 2)")
      ->check(CLI::Range(1u, 64u));
  cmd->add_option("--base", args->base, "Guest-physical address of a raw image's first byte");
  cmd->add_option("--chunk-kib", args->chunk_kib, "Read size per chunk in KiB")
      ->check(CLI::Range(size_t(64), size_t(1) << 20));
  cmd->add_flag("-q,--quiet", args->quiet, "No progress bar");
  cmd->callback([args, &ctx] { run_scan(*args, ctx); });
}

}  // namespace cbit::cli
