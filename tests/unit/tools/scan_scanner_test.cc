// The streaming scan end to end on files: matches across 4 MiB (here 64 KiB) chunk and page
// boundaries, identical results with one and two threads, page ranges, page-map attribution, and
// a sparse file scanned as its full copy.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string_view>
#include <tuple>

#include "common/error.h"
#include "tools/scan/interpret.h"
#include "tools/scan/page_classifier.h"
#include "unit/tools/scan_test_util.h"

namespace cbit::tools::scan {
namespace {

using namespace testing;

TEST(ScanScanner, MatchesAcrossChunkBoundariesFoundOnceAtTheRightGpa) {
  const size_t chunk = 64 << 10;
  Bytes data = aes_xts_pages(Bytes(8 * chunk, 0));
  const std::string needle = "cross-chunk-needle";
  // One needle across each chunk boundary, each split differently (1 to 17 bytes before it).
  const size_t splits[] = {1, 3, 6, 9, 12, 15, 17};
  std::vector<uint64_t> kept;
  for (size_t b = 1; b < 8; ++b) kept.push_back(b * chunk - splits[b - 1]);
  kept.insert(kept.begin(), 0);
  kept.push_back(data.size() - needle.size());
  for (uint64_t p : kept) std::copy(needle.begin(), needle.end(), data.begin() + p);
  const auto path = write_temp("chunks.bin", data);

  for (unsigned threads : {1u, 2u, 3u}) {
    ScanOptions opt;
    opt.chunk_size = chunk;
    opt.threads = threads;
    auto r = scan_path(path, {parse_literal(needle)}, {}, opt);
    ASSERT_EQ(r.got.matches.size(), kept.size()) << threads << " threads";
    for (size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(r.got.matches[i].gpa, kept[i]);
    EXPECT_EQ(r.totals.matches_total, kept.size());
    EXPECT_EQ(r.totals.pages_total(), data.size() / kPageSize);
  }
}

TEST(ScanScanner, RegexAcrossChunkBoundary) {
  const size_t chunk = 64 << 10;
  Bytes data(2 * chunk, 0);
  const std::string s = "password=hunter2-and-more";
  std::copy(s.begin(), s.end(), data.begin() + chunk - 10);
  const auto path = write_temp("regex.bin", data);
  ScanOptions opt;
  opt.chunk_size = chunk;
  auto r = scan_path(path, {parse_regex("password=[a-z0-9-]+")}, {}, opt);
  ASSERT_EQ(r.got.matches.size(), 1u);
  EXPECT_EQ(r.got.matches[0].gpa, chunk - 10);
  EXPECT_EQ(r.got.matches[0].bytes, s);
}

// A regex match longer than a chunk (a 200 KiB base64 run over three 64 KiB chunk boundaries) is
// one match at the GPA where it starts, with the class of that page, whatever the thread count.
TEST(ScanScanner, LongRegexMatchAcrossChunksIsOneMatch) {
  const size_t chunk = 64 << 10;
  Bytes data = aes_xts_pages(Bytes(8 * chunk, 0));
  std::mt19937 rng(9);
  const std::string b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t at = chunk - 3000, len = 200 << 10;
  for (size_t i = 0; i < len; ++i) data[at + i] = uint8_t(b64[rng() % b64.size()]);
  const auto path = write_temp("long-run.bin", data);
  const PageClass start_class =
      classify_page({data.data() + at / kPageSize * kPageSize, kPageSize});
  for (unsigned threads : {1u, 2u, 3u}) {
    ScanOptions opt;
    opt.chunk_size = chunk;
    opt.threads = threads;
    auto r = scan_path(path, {parse_regex("[A-Za-z0-9+/=]{40,}")}, {}, opt);
    ASSERT_EQ(r.got.matches.size(), 1u) << threads << " threads";
    const Match& m = r.got.matches[0];
    EXPECT_EQ(m.gpa, at);
    EXPECT_EQ(m.length, len);
    EXPECT_EQ(m.bytes, std::string(data.begin() + at, data.begin() + at + 64));
    EXPECT_EQ(m.page_class, start_class);
    EXPECT_EQ(r.totals.matches[int(MemKind::Unmapped)][int(start_class)], 1u);
  }
}

// Every match is counted, but only max_matches are kept, the first in address order: a pattern
// matching every byte of a dump does not make the scan hold every match.
TEST(ScanScanner, DenseMatchesAreCountedNotKept) {
  const size_t chunk = 64 << 10;
  Bytes data(4 * chunk, 0);
  data[5] = 1;  // one byte that does not match
  const auto path = write_temp("dense.bin", data);
  ScanOptions opt;
  opt.chunk_size = chunk;
  opt.max_matches = 4;
  auto r = scan_path(path, {parse_hex("00")}, {}, opt);
  EXPECT_EQ(r.totals.matches_total, data.size() - 1);
  EXPECT_EQ(r.totals.matches[int(MemKind::Unmapped)][int(PageClass::Other)], kPageSize - 1);
  ASSERT_EQ(r.got.matches.size(), 4u);
  const uint64_t want[] = {0, 1, 2, 3};
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(r.got.matches[i].gpa, want[i]);
  opt.max_matches = 0;  // counted, none listed
  auto r0 = scan_path(path, {parse_hex("00")}, {}, opt);
  EXPECT_EQ(r0.totals.matches_total, data.size() - 1);
  EXPECT_TRUE(r0.got.matches.empty());
}

TEST(ScanScanner, PageRangesCoalesceAndCountEveryPage) {
  Bytes data;
  const Bytes z(3 * kPageSize, 0), t = text_bytes(2 * kPageSize),
                                   c = aes_xts_pages(Bytes(4 * kPageSize, 0));
  for (const Bytes* part : {&z, &t, &c, &z}) data.insert(data.end(), part->begin(), part->end());
  auto r = scan_path(write_temp("ranges.bin", data), {});
  ASSERT_EQ(r.got.ranges.size(), 4u);
  EXPECT_EQ(r.got.ranges[0].cls, PageClass::Zero);
  EXPECT_EQ(r.got.ranges[0].pages, 3u);
  EXPECT_EQ(r.got.ranges[1].cls, PageClass::Plaintext);
  EXPECT_EQ(r.got.ranges[1].gpa, 3 * kPageSize);
  EXPECT_EQ(r.got.ranges[2].cls, PageClass::HighEntropy);
  EXPECT_EQ(r.got.ranges[2].pages, 4u);
  const EncryptedFraction f = encrypted_fraction(r.totals);
  EXPECT_DOUBLE_EQ(f.of_readable(), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(f.of_present(), 4.0 / 12.0);
}

TEST(ScanScanner, PageMapAttributesPrivateAndShared) {
  // Guest memory: 8 private pages of ciphertext, then 2 shared pages (a bounce buffer) holding
  // the string the user typed (AMDSEV#31).
  Bytes data = aes_xts_pages(Bytes(8 * kPageSize, 0));
  Bytes shared = text_bytes(2 * kPageSize);
  const std::string typed = "my-typed-password";
  std::copy(typed.begin(), typed.end(), shared.begin() + 100);
  data.insert(data.end(), shared.begin(), shared.end());
  const auto path = write_temp("attrib.bin", data);
  const PageMap map = PageMap::parse(R"({"format":"cbit-page-map","version":1,"regions":[
      {"gpa":"0x0","size":"0x8000","kind":"private"},
      {"gpa":32768,"size":8192,"kind":"shared","label":"swiotlb"}]})",
                                     "map.json");
  auto r = scan_path(path, {parse_literal(typed)}, map);
  ASSERT_EQ(r.got.matches.size(), 1u);
  const Match& m = r.got.matches[0];
  EXPECT_EQ(m.gpa, 8 * kPageSize + 100);
  EXPECT_EQ(m.kind, MemKind::Shared);
  ASSERT_NE(m.region, nullptr);
  EXPECT_EQ(m.region->label, "swiotlb");
  EXPECT_NE(likely_cause(m, r.totals, true).find("AMDSEV#31"), std::string::npos);
  EXPECT_EQ(r.totals.pages[int(MemKind::Private)][int(PageClass::HighEntropy)], 8u);
  EXPECT_EQ(r.totals.pages[int(MemKind::Shared)][int(PageClass::Plaintext)], 2u);

  // Control: the same page marked private is a leak from private memory, not AMDSEV#31.
  const PageMap all_private =
      PageMap::parse(R"([{"gpa":0,"size":"0xa000","kind":"private"}])", "map2.json");
  auto r2 = scan_path(path, {parse_literal(typed)}, all_private);
  ASSERT_EQ(r2.got.matches.size(), 1u);
  EXPECT_EQ(r2.got.matches[0].kind, MemKind::Private);
  EXPECT_NE(likely_cause(r2.got.matches[0], r2.totals, true).find("not encrypted"),
            std::string::npos);
  EXPECT_EQ(r2.totals.pages[int(MemKind::Private)][int(PageClass::Plaintext)], 2u);
}

TEST(ScanScanner, ZerosAreNeverCalledSafe) {
  // An SNP dump through guest_memfd: private memory reads as zeros (AMDSEV#147/#201).
  const auto path = write_temp("snp-zeros.bin", Bytes(64 * kPageSize, 0));
  auto r = scan_path(path, {parse_literal("secret")});
  EXPECT_EQ(r.totals.pages_of_class(PageClass::Zero), 64u);
  const auto notes = dump_notes(r.totals, false, true);
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes[0].find("not safe"), std::string::npos);
  EXPECT_NE(notes[0].find("AMDSEV#147"), std::string::npos);
  for (const auto& n : notes) EXPECT_EQ(n.find("no leak"), std::string::npos) << n;
  EXPECT_NE(page_class_label(PageClass::Zero).find("not evidence of no leak"), std::string::npos);
  // Control: a dump with readable text does not get the zero note first.
  auto r2 = scan_path(write_temp("text.bin", text_bytes(64 * kPageSize)), {});
  const auto notes2 = dump_notes(r2.totals, false, false);
  for (const auto& n : notes2) EXPECT_EQ(n.find("AMDSEV#147"), std::string::npos);
}

TEST(ScanPageMap, MalformedMapsAreRefused) {
  EXPECT_THROW(PageMap::parse("{", "m"), InputError);
  EXPECT_THROW(PageMap::parse(R"([{"gpa":0,"size":4096,"kind":"secret"}])", "m"), InputError);
  EXPECT_THROW(PageMap::parse(R"([{"gpa":1,"size":4096,"kind":"private"}])", "m"), InputError);
  EXPECT_THROW(PageMap::parse(R"([{"gpa":0,"size":0,"kind":"private"}])", "m"), InputError);
  EXPECT_THROW(PageMap::parse(R"([{"gpa":0,"size":8192,"kind":"private"},
                                  {"gpa":4096,"size":4096,"kind":"shared"}])",
                              "m"),
               InputError);
  EXPECT_THROW(PageMap::parse(R"({"format":"other","regions":[]})", "m"), InputError);
  EXPECT_THROW(PageMap::parse(R"([{"gpa":"0xzz","size":4096,"kind":"private"}])", "m"), InputError);
  const PageMap ok = PageMap::parse(R"([{"gpa":"0x1000","size":4096,"kind":"mmio"}])", "m");
  EXPECT_EQ(ok.kind_of(0x1000), MemKind::Mmio);
  EXPECT_EQ(ok.kind_of(0x1fff), MemKind::Mmio);
  EXPECT_EQ(ok.kind_of(0x2000), MemKind::Unmapped);
  EXPECT_EQ(ok.kind_of(0x0), MemKind::Unmapped);
}

// A sparse file (only its non-zero 4 KiB blocks written) scans as its full copy does: the holes
// are read as zeros without reading, classified Zero, and skipped by the matcher only where that
// is exact. The needles sit at hole edges and reach into the holes: the UTF-16LE "ab" ends in a
// zero that is the hole's first byte, "ab" + 5 zeros reaches 5 bytes in, 5 zeros + "ba" starts
// 5 bytes before the hole's end.
TEST(ScanScanner, SparseFileScansAsItsFullCopy) {
  const size_t chunk = 64 << 10;
  Bytes data(48 * kPageSize, 0);
  const auto put = [&](size_t at, std::string_view s) {
    std::copy(s.begin(), s.end(), data.begin() + std::ptrdiff_t(at));
  };
  put(5 * kPageSize - 3, std::string_view("a\0b", 3));
  put(9 * kPageSize - 2, "ab");
  put(28 * kPageSize, "ba");
  put(40 * kPageSize - 6, "needle");
  put(16 * kPageSize - 1, "Z");  // a regex over 8 pages of zeros, which is fed
  put(24 * kPageSize, "Y");
  const Bytes text = text_bytes(2 * kPageSize);
  std::copy(text.begin(), text.end(), data.begin() + 30 * kPageSize);
  const auto full = write_temp("sparse-full.bin", data);
  const auto sparse = (temp_dir() / "sparse-holes.bin").string();
  {
    const int fd = ::open(sparse.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    for (size_t at = 0; at < data.size(); at += kPageSize) {
      if (classify_page({data.data() + at, kPageSize}) == PageClass::Zero) continue;
      ASSERT_EQ(::pwrite(fd, data.data() + at, kPageSize, off_t(at)), ssize_t(kPageSize));
    }
    ASSERT_EQ(::ftruncate(fd, off_t(data.size())), 0);
    ::close(fd);
  }
  if (DumpFile(sparse).holes(0, data.size()).empty())
    GTEST_SKIP() << "the file system of " << temp_dir() << " keeps no holes";
  const auto sorted = [](std::vector<Match> ms) {
    std::vector<std::tuple<uint32_t, uint64_t, uint64_t, std::string>> out;
    for (const auto& m : ms) out.emplace_back(m.pattern, m.gpa, m.length, m.bytes);
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::vector<std::vector<Pattern>> sets = {
      {parse_literal_utf16le("ab"), parse_hex("61 62 00 00 00 00 00"),
       parse_hex("00 00 00 00 00 62 61"), parse_literal("needle")},
      {parse_regex("Z\\x00+Y"), parse_literal_utf16le("ab")},
      {parse_hex("00 00 00 00 00 00 00 00"), parse_literal("ba")},
  };
  const std::vector<std::vector<uint64_t>> want = {{1, 1, 1, 1}, {1, 1}};
  for (size_t k = 0; k < sets.size(); ++k) {
    for (unsigned threads : {1u, 2u}) {
      ScanOptions opt;
      opt.chunk_size = chunk;
      opt.threads = threads;
      const auto a = scan_path(sparse, sets[k], {}, opt), b = scan_path(full, sets[k], {}, opt);
      EXPECT_EQ(sorted(a.got.matches), sorted(b.got.matches)) << k << ", " << threads;
      EXPECT_EQ(a.totals.matches_per_pattern, b.totals.matches_per_pattern) << k;
      for (int c = 0; c < kPageClassCount; ++c)
        EXPECT_EQ(a.totals.pages_of_class(PageClass(c)), b.totals.pages_of_class(PageClass(c)));
      ASSERT_EQ(a.got.ranges.size(), b.got.ranges.size());
      for (size_t i = 0; i < a.got.ranges.size(); ++i) {
        EXPECT_EQ(a.got.ranges[i].gpa, b.got.ranges[i].gpa);
        EXPECT_EQ(a.got.ranges[i].pages, b.got.ranges[i].pages);
        EXPECT_EQ(a.got.ranges[i].cls, b.got.ranges[i].cls);
      }
      if (k < want.size()) {
        EXPECT_EQ(a.totals.matches_per_pattern, want[k]) << k;
      }
    }
  }
  // The zero pattern counts every 8-byte window of zeros, holes included.
  const auto z = scan_path(sparse, sets[2], {}, {});
  EXPECT_GT(z.totals.matches_per_pattern[0], 40 * kPageSize);
  EXPECT_EQ(z.totals.matches_per_pattern[1], 1u);
}

}  // namespace
}  // namespace cbit::tools::scan
