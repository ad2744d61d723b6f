// In-process throughput of `cbit scan`'s parts on a 64 MiB mixed dump (zero, text and
// AES-ciphertext-like pages), with glibc memmem over the same bytes as the baseline in the same
// run: literal search, page classification, and the whole streaming scan of a file.
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

void BM_Scan_MatcherLiteral(benchmark::State& state) {
  const Bytes& d = mixed_dump();
  const Matcher m({parse_literal(kNeedle)});
  std::vector<RawMatch> out;
  for (auto _ : state) {
    out.clear();
    m.find(d, 0, false, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(d.size()));
}
BENCHMARK(BM_Scan_MatcherLiteral)->Unit(benchmark::kMillisecond);

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
// argument = threads.
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
  const Matcher m({parse_literal(kNeedle)});
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
BENCHMARK(BM_Scan_WholeFile)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
