// Pattern parsing and matching, including matches that cross chunk boundaries.
#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "tools/scan/pattern.h"
#include "unit/tools/scan_test_util.h"

namespace cbit::tools::scan {
namespace {

using namespace testing;

std::vector<RawMatch> find_all(const Matcher& m, ByteSpan buf) {
  std::vector<RawMatch> out;
  m.find(buf, 0, false, out);
  return out;
}

TEST(ScanPattern, ParseErrorsNameTheFlag) {
  EXPECT_THROW(parse_literal(""), InputError);
  EXPECT_THROW(parse_hex("de ad b"), InputError);
  EXPECT_THROW(parse_hex("?? ??"), InputError);
  EXPECT_THROW(parse_hex("zz"), InputError);
  try {
    parse_regex("([a-z");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--regex"), std::string::npos);
  }
  const Pattern h = parse_hex("0xde ad ?? ef 01 02");
  EXPECT_EQ(h.bytes.size(), 6u);
  EXPECT_EQ(h.anchor_off, 3u);  // "ef 01 02" is the longest wildcard-free run
  EXPECT_EQ(h.anchor_len, 3u);
}

TEST(ScanPattern, HexWildcardMatchesAnyByteThere) {
  const Bytes buf = {0x00, 0xde, 0xad, 0x42, 0xef, 0x00, 0xde,
                     0xad, 0x43, 0xee, 0xde, 0xad, 0x00, 0xef};
  const Matcher m({parse_hex("de ad ?? ef")});
  const auto got = find_all(m, buf);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].offset, 1u);
  EXPECT_EQ(got[1].offset, 10u);
}

TEST(ScanPattern, LiteralOverlappingOccurrences) {
  const Matcher m({parse_literal("aa")});
  EXPECT_EQ(find_all(m, as_bytes("xaaaay")).size(), 3u);
  EXPECT_EQ(find_all(m, as_bytes("xa-ay")).size(), 0u);
}

TEST(ScanPattern, RegexOnPrintableRuns) {
  const std::string s = std::string("\x01\x02user=alice;\x00\x00user=bob;\xff", 26);
  const Matcher m({parse_regex("user=[a-z]+")});
  const auto got = find_all(m, as_bytes(s));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(s.substr(got[0].offset, got[0].length), "user=alice");
  EXPECT_EQ(s.substr(got[1].offset, got[1].length), "user=bob");
}

// Splitting a buffer into chunks with the matcher's overlap finds exactly what one pass finds.
TEST(ScanPattern, ChunkedEqualsWhole) {
  std::mt19937 rng(3);
  Bytes buf(20000);
  for (auto& b : buf) b = static_cast<uint8_t>('a' + rng() % 3);  // dense matches
  const Matcher m({parse_literal("abca"), parse_hex("61 ?? 63"), parse_literal("c")});
  std::vector<std::pair<uint32_t, size_t>> whole, chunked;
  for (const auto& r : find_all(m, buf)) whole.push_back({r.pattern, r.offset});
  for (size_t chunk : {1u, 2u, 3u, 7u, 100u, 4096u}) {
    chunked.clear();
    for (size_t off = 0; off < buf.size(); off += chunk) {
      const size_t ov = std::min(m.overlap(), off);
      const size_t len = std::min(chunk, buf.size() - off);
      std::vector<RawMatch> out;
      m.find({buf.data() + off - ov, ov + len}, ov, off + len < buf.size(), out);
      for (const auto& r : out) chunked.push_back({r.pattern, off - ov + r.offset});
    }
    auto a = whole, b = chunked;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << "chunk " << chunk;
  }
}

TEST(ScanPattern, RegexChunkedEqualsWhole) {
  std::string s;
  std::mt19937 rng(5);
  for (int i = 0; i < 400; ++i) {
    s += "id=" + std::to_string(rng() % 100000) + ";";
    if (rng() % 3 == 0) s += '\0';
  }
  const Matcher m({parse_regex("id=[0-9]+")});
  const auto whole = find_all(m, as_bytes(s));
  ASSERT_GT(whole.size(), 300u);
  for (size_t chunk : {64u, 100u, 999u}) {
    std::vector<std::pair<size_t, size_t>> got;
    for (size_t off = 0; off < s.size(); off += chunk) {
      const size_t ov = std::min(m.overlap(), off);
      const size_t len = std::min(chunk, s.size() - off);
      std::vector<RawMatch> out;
      m.find(as_bytes(s).subspan(off - ov, ov + len), ov, off + len < s.size(), out);
      for (const auto& r : out) got.push_back({off - ov + r.offset, r.length});
    }
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got.size(), whole.size()) << "chunk " << chunk;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].first, whole[i].offset);
      EXPECT_EQ(got[i].second, whole[i].length);
    }
  }
}

}  // namespace
}  // namespace cbit::tools::scan

namespace cbit::tools::scan {
namespace {

TEST(ScanPattern, Utf16LeStrings) {
  EXPECT_EQ(parse_literal_utf16le("ab").bytes, (Bytes{'a', 0, 'b', 0}));
  // U+00E9 (two UTF-8 bytes) and U+1F600 (a surrogate pair).
  EXPECT_EQ(parse_literal_utf16le("\xc3\xa9").bytes, (Bytes{0xe9, 0x00}));
  EXPECT_EQ(parse_literal_utf16le("\xf0\x9f\x98\x80").bytes, (Bytes{0x3d, 0xd8, 0x00, 0xde}));
  EXPECT_THROW(parse_literal_utf16le("\xc3"), InputError);
  EXPECT_THROW(parse_literal_utf16le("\xff"), InputError);
  // Found in wide text, not in the narrow form (control).
  const Bytes wide = {0, 'p', 0, 'w', 0, 'd', 0, 0};
  const Matcher m({parse_literal_utf16le("pwd")});
  std::vector<RawMatch> out;
  m.find(wide, 0, false, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].offset, 1u);
  out.clear();
  m.find(as_bytes("xxpwdxx"), 0, false, out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace cbit::tools::scan
