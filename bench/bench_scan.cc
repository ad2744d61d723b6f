// In-process throughput of `cbit scan`'s parts on a 64 MiB mixed dump (zero, text and
// AES-ciphertext-like pages, with planted strings and base64 blobs), with glibc memmem over the
// same bytes as the baseline in the same run: Hyperscan literal search (one string, and one
// string in both encodings as --string searches it), Hyperscan regex search, page
// classification, and the whole streaming scan of a file. scripts/bench-scan.sh times the
// whole process against strings|grep and grep -c -a -E on 1 GiB.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "tools/scan/dump_reader.h"
#include "tools/scan/page_classifier.h"
#include "tools/scan/pattern.h"
#include "tools/scan/scanner.h"

namespace {

using namespace cbit;
using namespace cbit::tools::scan;

const std::string kNeedle = "cbit-planted-secret";
const std::string kRegex = "[A-Za-z0-9+/=]{40,}";  // base64 of 30+ bytes: keys, tokens

const Bytes& mixed_dump() {
  static const Bytes data = [] {
    const size_t size = size_t(64) << 20;
    Bytes d(size, 0);
    std::mt19937_64 rng(11);
    const std::string text =
        "The host reads every page of guest memory it can map; shared pages are plaintext. ";
    for (size_t off = 0; off < size;) {
      const size_t run = std::min<size_t>((1 + rng() % 64) * kPageSize, size - off);
      switch (rng() % 5) {
        case 0:
        case 1:
          break;  // zero
        case 2:
          for (size_t i = 0; i < run; ++i) d[off + i] = static_cast<uint8_t>(text[i % text.size()]);
          break;
        default:
          for (size_t i = 0; i < run; i += 8) {
            const uint64_t v = rng();
            std::memcpy(&d[off + i], &v, 8);
          }
      }
      off += run;
    }
    for (size_t k = 1; k <= 5; ++k) std::memcpy(&d[k * (size / 6)], kNeedle.data(), kNeedle.size());
    const std::string b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t k = 1; k <= 5; ++k)
      for (size_t i = 0; i < 64; ++i) d[k * (size / 7) + i] = uint8_t(b64[rng() % 64]);
    return d;
  }();
  return data;
}

void BM_Baseline_Memmem(benchmark::State& state) {
  const Bytes& d = mixed_dump();
  for (auto _ : state) {
    size_t n = 0;
    const uint8_t* p = d.data();
    const uint8_t* end = d.data() + d.size();
    while (const void* hit = memmem(p, end - p, kNeedle.data(), kNeedle.size())) {
      ++n;
      p = static_cast<const uint8_t*>(hit) + 1;
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(d.size()));
}
BENCHMARK(BM_Baseline_Memmem)->Unit(benchmark::kMillisecond);

// The matcher alone over the dump, fed in 4 MiB pieces as the scanner feeds it.
void run_matcher(benchmark::State& state, const Matcher& m) {
  const Bytes& d = mixed_dump();
  size_t found = 0;
  MatchStream s(m, [&](const RawMatch&) { ++found; });
  for (auto _ : state) {
    found = 0;
    for (size_t off = 0; off < d.size(); off += size_t(4) << 20)
      s.feed(ByteSpan(d).subspan(off, std::min(size_t(4) << 20, d.size() - off)));
    s.finish();
    benchmark::DoNotOptimize(found);
  }
  state.counters["matches"] = double(found);
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(d.size()));
}

void BM_Scan_MatcherLiteral(benchmark::State& state) {
  run_matcher(state, Matcher({parse_literal(kNeedle)}));
}
BENCHMARK(BM_Scan_MatcherLiteral)->Unit(benchmark::kMillisecond);

// What `--string` searches: the string as UTF-8 and as UTF-16LE, in one database.
void BM_Scan_MatcherLiteralBothEncodings(benchmark::State& state) {
  run_matcher(state, Matcher({parse_literal(kNeedle), parse_literal_utf16le(kNeedle)}));
}
BENCHMARK(BM_Scan_MatcherLiteralBothEncodings)->Unit(benchmark::kMillisecond);

// The issue-8 pattern (std::regex crashed on a 32 KiB run of it).
void BM_Scan_MatcherRegex(benchmark::State& state) {
  run_matcher(state, Matcher({parse_regex(kRegex)}));
}
BENCHMARK(BM_Scan_MatcherRegex)->Unit(benchmark::kMillisecond);

void BM_Scan_ClassifyPages(benchmark::State& state) {
  const Bytes& d = mixed_dump();
  for (auto _ : state) {
    size_t high = 0;
    for (size_t off = 0; off < d.size(); off += kPageSize)
      high += classify_page({d.data() + off, kPageSize}) == PageClass::HighEntropy;
    benchmark::DoNotOptimize(high);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(d.size()));
}
BENCHMARK(BM_Scan_ClassifyPages)->Unit(benchmark::kMillisecond);

// The whole streaming scan (read, classify, search, merge) of a file in the page cache;
// arguments = threads, and 0 for --string or 1 for --regex.
void BM_Scan_WholeFile(benchmark::State& state) {
  const Bytes& d = mixed_dump();
  const auto path = std::filesystem::temp_directory_path() /
                    ("cbit-bench-scan-" + std::to_string(::getpid()) + ".raw");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(d.data()), static_cast<std::streamsize>(d.size()));
  }
  const DumpLayout layout = read_dump_layout(path.string());
  const DumpFile file(path.string());
  std::vector<Pattern> pats;
  if (state.range(1) == 0) {
    pats.push_back(parse_literal(kNeedle));
    pats.push_back(parse_literal_utf16le(kNeedle));
  } else {
    pats.push_back(parse_regex(kRegex));
  }
  const Matcher m(std::move(pats));
  const PageMap map;
  ScanOptions opt;
  opt.threads = static_cast<unsigned>(state.range(0));
  ScanSink sink;
  for (auto _ : state) {
    const ScanTotals t = scan_dump(file, layout, m, map, opt, sink);
    benchmark::DoNotOptimize(t.matches_total);
  }
  std::filesystem::remove(path);
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(d.size()));
}
BENCHMARK(BM_Scan_WholeFile)
    ->ArgsProduct({{1, 2}, {0, 1}})
    ->ArgNames({"threads", "regex"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
