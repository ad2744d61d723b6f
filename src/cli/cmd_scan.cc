// `cbit scan DUMP`: analyse a guest memory dump (raw image or QEMU / virsh ELF core) from the
// host's side: classify every page, find strings, hex patterns and regexes with their
// guest-physical addresses, report the encrypted fraction and, with a page map, whether each
// finding sits in private or shared memory (docs/scan.md).
//
// Exit codes: 0 scan done (and, if patterns were given, at least one matched); 1 patterns were
// given and none matched (like grep); 2 bad input (file, flag, page map, a pattern Hyperscan
// refuses); 3 patterns were given and this CPU cannot run Hyperscan (no SSSE3).
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "common/error.h"
#include "common/number.h"
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
  std::string max_matches = "1000", threads, chunk_kib = "4096";  // parse_count() reads them
};

uint64_t parse_base(const std::string& s) {
  // Decimal or 0x-hex (common/number.h): "-1" is refused, not wrapped to 2^64 - 1 as stoull did.
  if (const auto v = parse_u64(s)) return *v;
  throw InputError("--base '" + s + "': expected an address such as 0x100000");
}

// Matches kept for the report: each costs ~100 bytes until the end of the scan.
constexpr uint64_t kMaxMatchesLimit = 100000;

// A count from `min` to `max`, refused (not wrapped) when negative or out of range: CLI11 reads
// "-1" into a size_t as 2^64 - 1.
uint64_t parse_count(const std::string& flag, const std::string& s, uint64_t min, uint64_t max) {
  const bool digits = !s.empty() && s.size() <= 18 &&
                      std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    const uint64_t v = std::stoull(s);
    if (v >= min && v <= max) return v;
  }
  throw InputError(
      fmt::format("{} '{}': expected a whole number from {} to {}", flag, s, min, max));
}

void run_scan(const ScanArgs& a, Context& ctx) {
  using namespace cbit::tools::scan;
  ctx.exit_code = 2;  // any InputError below is bad input
  const size_t max_matches = parse_count("--max-matches", a.max_matches, 0, kMaxMatchesLimit);
  const uint64_t chunk_kib = parse_count("--chunk-kib", a.chunk_kib, 64, 65536);
  const unsigned threads = a.threads.empty()
                               ? std::max(1u, std::min(2u, std::thread::hardware_concurrency()))
                               : static_cast<unsigned>(parse_count("--threads", a.threads, 1, 64));
  std::unique_ptr<const Matcher> matcher_ptr;
  try {
    std::vector<Pattern> patterns;
    // Each string in both encodings a guest keeps typed text in (`strings` and `strings -el`).
    for (const auto& s : a.strings) {
      patterns.push_back(parse_literal(s));
      patterns.push_back(parse_literal_utf16le(s));
    }
    for (const auto& s : a.hexes) patterns.push_back(parse_hex(s));
    for (const auto& s : a.regexes) patterns.push_back(parse_regex(s));
    matcher_ptr = std::make_unique<const Matcher>(std::move(patterns));
  } catch (const SearchEngineUnavailable&) {
    ctx.exit_code = 3;  // not bad input: this CPU cannot run Hyperscan
    throw;
  }
  const Matcher& matcher = *matcher_ptr;
  const PageMap map = a.page_map.empty() ? PageMap() : PageMap::load(a.page_map);
  const DumpLayout layout = read_dump_layout(a.dump, parse_base(a.base));
  const DumpFile file(a.dump);

  ScanOptions opt;
  opt.max_matches = max_matches;
  opt.chunk_size = chunk_kib << 10;
  opt.threads = threads;

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
  cmd->add_option("-s,--string", args->strings,
                  "Search for this literal string, as UTF-8 and as UTF-16LE (repeatable)");
  cmd->add_flag("-w,--wide", args->wide,
                "Accepted for old scripts: each --string is always searched as UTF-8 and UTF-16LE");
  cmd->add_option("-x,--hex", args->hexes,
                  "Search for hex bytes, ?? = any byte, e.g. 'de ad ?? ef' (repeatable)");
  cmd->add_option("-e,--regex", args->regexes,
                  "Search with a Hyperscan (PCRE-syntax) regex, ^ and $ at line ends (repeatable)");
  cmd->add_option("--page-map", args->page_map,
                  "JSON page map (private/shared regions) for attribution; see docs/scan.md");
  cmd->add_flag("--pages", args->pages, "List page ranges with their class");
  cmd->add_option("-o,--output", args->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--max-matches", args->max_matches,
                  "Matches to list, 0 to 100000 (default 1000; all are counted)");
  cmd->add_option("--threads", args->threads, "Reading threads, 1 to 64 (default: up to 2)");
  cmd->add_option("--base", args->base, "Guest-physical address of a raw image's first byte");
  cmd->add_option("--chunk-kib", args->chunk_kib, "Read size per chunk in KiB, 64 to 65536");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress bar");
  cmd->callback([args, &ctx] { run_scan(*args, ctx); });
}

}  // namespace cbit::cli
