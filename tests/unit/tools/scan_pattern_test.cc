// Pattern parsing and matching with Hyperscan: literal, hex and regex matches, UTF-16LE strings,
// patterns Hyperscan refuses, and streams fed in pieces finding exactly what one pass finds.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>

#include "common/error.h"
#include "tools/scan/pattern.h"
#include "unit/input_error.h"
#include "unit/tools/scan_test_util.h"

namespace cbit::tools::scan {
namespace {

using namespace testing;

using Found = std::tuple<uint32_t, uint64_t, uint64_t>;  // pattern, offset, length

std::vector<Found> sorted(const std::vector<RawMatch>& ms) {
  std::vector<Found> out;
  for (const auto& m : ms) out.emplace_back(m.pattern, m.offset, m.length);
  std::sort(out.begin(), out.end());
  return out;
}

// The same buffer fed to one stream in pieces of `piece` bytes.
std::vector<Found> find_in_pieces(const Matcher& m, ByteSpan buf, size_t piece) {
  std::vector<RawMatch> got;
  MatchStream s(m, [&](const RawMatch& r) { got.push_back(r); });
  for (size_t off = 0; off < buf.size(); off += piece)
    s.feed(buf.subspan(off, std::min(piece, buf.size() - off)));
  s.finish();
  return sorted(got);
}

using testutil::error_of;

TEST(ScanPattern, ParseErrorsNameTheFlag) {
  EXPECT_THROW(parse_literal(""), InputError);
  EXPECT_THROW(parse_hex("de ad b"), InputError);
  EXPECT_THROW(parse_hex("?? ??"), InputError);
  EXPECT_THROW(parse_hex("zz"), InputError);
  EXPECT_NE(error_of([] { parse_regex("([a-z"); }).find("--regex '([a-z'"), std::string::npos);
  EXPECT_THROW(parse_regex(std::string(kMaxPatternBytes + 1, 'a')), InputError);
  const Pattern h = parse_hex("0xde ad ?? ef 01 02");
  EXPECT_EQ(h.bytes.size(), 6u);
  EXPECT_EQ(h.mask, (Bytes{0xff, 0xff, 0, 0xff, 0xff, 0xff}));
  // Control: a pattern Hyperscan takes is not refused.
  EXPECT_NO_THROW(parse_regex("password=[a-z0-9]+"));
}

// Hyperscan refuses some PCRE constructs; the message is Hyperscan's own, after the pattern.
TEST(ScanPattern, PatternsHyperscanRefusesGiveItsMessage) {
  const std::string backref = error_of([] { parse_regex("(a)\\1"); });
  EXPECT_NE(backref.find("--regex '(a)\\1': Hyperscan cannot compile it: "), std::string::npos)
      << backref;
  EXPECT_NE(backref.find("Back-reference"), std::string::npos) << backref;
  // Some refusals come only when the database is compiled; they name the pattern all the same.
  const std::string empty = error_of([] {
    Matcher({parse_literal("x"), parse_regex("a"), parse_regex("a*")});
  });
  EXPECT_NE(empty.find("--regex 'a*': Hyperscan cannot compile it: "), std::string::npos) << empty;
  EXPECT_NE(empty.find("empty"), std::string::npos) << empty;
  EXPECT_NE(error_of([] { parse_regex("a(?<=b+)"); }).find("Hyperscan cannot compile it"),
            std::string::npos);
}

TEST(ScanPattern, HexWildcardMatchesAnyByteThere) {
  const Bytes buf = {0x00, 0xde, 0xad, 0x0a, 0xef, 0x00, 0xde,
                     0xad, 0x43, 0xee, 0xde, 0xad, 0x00, 0xef};
  const Matcher m({parse_hex("de ad ?? ef")});
  // The wildcard takes a newline too (0x0a): hex patterns are bytes, not lines.
  EXPECT_EQ(sorted(m.find_all(buf)), (std::vector<Found>{{0, 1, 4}, {0, 10, 4}}));
}

TEST(ScanPattern, LiteralOverlappingOccurrences) {
  const Matcher m({parse_literal("aa")});
  EXPECT_EQ(sorted(m.find_all(as_bytes("xaaaay"))),
            (std::vector<Found>{{0, 1, 2}, {0, 2, 2}, {0, 3, 2}}));
  EXPECT_TRUE(m.find_all(as_bytes("xa-ay")).empty());
  // Bytes that are regex syntax are literal bytes in a --string.
  const Matcher dot({parse_literal("a.b")});
  EXPECT_EQ(dot.find_all(as_bytes("a.b axb")).size(), 1u);
}

TEST(ScanPattern, RegexFindsTheWholeMatchFromItsLeftmostStart) {
  const std::string s = std::string("\x01\x02user=alice;\x00\x00user=bob;\xff", 26);
  const Matcher m({parse_regex("user=[a-z]+")});
  const auto got = sorted(m.find_all(as_bytes(s)));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(s.substr(std::get<1>(got[0]), std::get<2>(got[0])), "user=alice");
  EXPECT_EQ(s.substr(std::get<1>(got[1]), std::get<2>(got[1])), "user=bob");
}

// Overlapping matches of one regex make one finding; disjoint ones stay apart (control).
TEST(ScanPattern, RegexOverlappingMatchesAreOneFinding) {
  const Matcher m({parse_regex("[a-z]{3}")});
  EXPECT_EQ(sorted(m.find_all(as_bytes("..abcdef.."))), (std::vector<Found>{{0, 2, 6}}));
  EXPECT_EQ(sorted(m.find_all(as_bytes("..abc.def.."))),
            (std::vector<Found>{{0, 2, 3}, {0, 6, 3}}));
  // `$` is a line end, and the end of the stretch (reported when the stream finishes).
  const Matcher eol({parse_regex("key=[a-z]+$")});
  EXPECT_EQ(sorted(eol.find_all(as_bytes("key=ab\nkey=cd;\nkey=ef"))),
            (std::vector<Found>{{0, 0, 6}, {0, 15, 6}}));
}

// A longer alternative reported after shorter ones it covers: findings stay disjoint.
TEST(ScanPattern, RegexFindingsNeverOverlap) {
  const Matcher m({parse_regex("b|d|abcde")});
  EXPECT_EQ(sorted(m.find_all(as_bytes("abcde"))), (std::vector<Found>{{0, 1, 1}, {0, 2, 3}}));
  EXPECT_EQ(sorted(m.find_all(as_bytes("abcde.abcde"))),
            (std::vector<Found>{{0, 1, 1}, {0, 2, 3}, {0, 7, 1}, {0, 8, 3}}));
}

// The issue-8 crash: std::regex recursed per byte and overflowed the stack on a 32 KiB run.
TEST(ScanPattern, LongPrintableRunIsOneFinding) {
  std::mt19937 rng(8);
  const std::string b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  Bytes buf(100 << 10, 0);
  for (size_t i = 0; i < (32u << 10); ++i) buf[1000 + i] = uint8_t(b64[rng() % b64.size()]);
  const Matcher m({parse_regex("[A-Za-z0-9+/=]{40,}")});
  const std::vector<Found> want = {{0, 1000, 32 << 10}};
  EXPECT_EQ(sorted(m.find_all(buf)), want);
  for (size_t piece : {1u, 7u, 4096u, 5000u}) EXPECT_EQ(find_in_pieces(m, buf, piece), want);
  // Control: 39 characters are one too few.
  Bytes short_run(200, 0);
  std::fill_n(short_run.begin() + 10, 39, 'A');
  EXPECT_TRUE(m.find_all(short_run).empty());
}

// A stream fed in pieces of any size finds exactly what one pass finds.
TEST(ScanPattern, PiecesEqualWhole) {
  std::mt19937 rng(3);
  Bytes buf(20000);
  for (auto& b : buf) b = static_cast<uint8_t>("abc;\n"[rng() % 5]);  // dense matches
  const Matcher m({parse_literal("abca"), parse_hex("61 ?? 63"), parse_literal("c"),
                   parse_regex("a[bc]+a"), parse_regex("^c")});
  const auto whole = sorted(m.find_all(buf));
  ASSERT_GT(whole.size(), 4000u);
  for (uint32_t p = 0; p < 5; ++p)
    EXPECT_TRUE(std::any_of(whole.begin(), whole.end(),
                            [&](const Found& f) { return std::get<0>(f) == p; }))
        << "pattern " << p;
  for (size_t piece : {1u, 2u, 3u, 7u, 100u, 4096u})
    EXPECT_EQ(find_in_pieces(m, buf, piece), whole);
}

TEST(ScanPattern, StreamsStartAfreshAfterFinish) {
  const Matcher m({parse_literal("abcd")});
  std::vector<RawMatch> got;
  MatchStream s(m, [&](const RawMatch& r) { got.push_back(r); });
  s.feed(as_bytes("xxab"));
  s.finish();  // a new stretch: "ab" + "cd" is not contiguous memory
  s.feed(as_bytes("cdabcd"));
  s.finish();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].offset, 2u);
}

TEST(ScanPattern, CallbackErrorsComeOutOfFeed) {
  const Matcher m({parse_literal("x")});
  MatchStream s(m, [](const RawMatch&) { throw InputError("sink failed"); });
  EXPECT_THROW(s.feed(as_bytes("..x..")), InputError);
}

TEST(ScanPattern, NoPatternsFindNothing) {
  const Matcher m({});
  EXPECT_TRUE(m.empty());
  EXPECT_TRUE(m.find_all(as_bytes("anything")).empty());
}

TEST(ScanPattern, Utf16LeStrings) {
  EXPECT_EQ(parse_literal_utf16le("ab").bytes, (Bytes{'a', 0, 'b', 0}));
  EXPECT_EQ(parse_literal_utf16le("ab").encoding, Encoding::Utf16le);
  EXPECT_EQ(parse_literal("ab").encoding, Encoding::Utf8);
  // U+00E9 (two UTF-8 bytes) and U+1F600 (a surrogate pair).
  EXPECT_EQ(parse_literal_utf16le("\xc3\xa9").bytes, (Bytes{0xe9, 0x00}));
  EXPECT_EQ(parse_literal_utf16le("\xf0\x9f\x98\x80").bytes, (Bytes{0x3d, 0xd8, 0x00, 0xde}));
  EXPECT_THROW(parse_literal_utf16le("\xc3"), InputError);
  EXPECT_THROW(parse_literal_utf16le("\xff"), InputError);
  // Found in wide text, not in the narrow form (control), and the other way round.
  const Bytes wide = {0, 'p', 0, 'w', 0, 'd', 0, 0};
  const Matcher m({parse_literal("pwd"), parse_literal_utf16le("pwd")});
  EXPECT_EQ(sorted(m.find_all(wide)), (std::vector<Found>{{1, 1, 6}}));
  EXPECT_EQ(sorted(m.find_all(as_bytes("xxpwdxx"))), (std::vector<Found>{{0, 2, 3}}));
}

// Zero runs may be skipped only when no pattern can match inside one and every pattern has a
// fixed width without context (literal, hex); W is then the widest.
TEST(ScanPattern, ZeroSkipWidthOnlyForPatternsZerosCannotMatch) {
  EXPECT_EQ(Matcher({parse_literal("abc"), parse_literal_utf16le("abcd")}).zero_skip_width(), 8u);
  EXPECT_EQ(Matcher({parse_hex("00 ?? 41")}).zero_skip_width(), 3u);
  EXPECT_EQ(Matcher({parse_literal("abc"), parse_hex("00 ?? 00")}).zero_skip_width(), 0u);
  EXPECT_EQ(Matcher({parse_literal("abc"), parse_regex("ab+c")}).zero_skip_width(), 0u);
  EXPECT_EQ(Matcher({}).zero_skip_width(), 0u);
}

// feed_zeros(n) reports exactly what feeding n zero bytes does: matches that end in the run's
// first bytes or start in its last ones (UTF-16LE strings end in a zero byte, hex patterns may
// hold some), at the right offsets after the run; with a zero pattern or a regex, every zero.
TEST(ScanPattern, FeedZerosFindsWhatFeedingTheZerosFinds) {
  std::mt19937 rng(11);
  const std::vector<std::vector<Pattern>> sets = {
      {parse_literal("ab"), parse_literal_utf16le("ab"), parse_hex("62 00 00 ?? 61")},
      {parse_literal("b"), parse_hex("00 00 61")},
      {parse_literal("ab"), parse_hex("00 00 00")},    // matches zeros: nothing skipped
      {parse_literal("ab"), parse_regex("b\\x00+a")},  // a regex: nothing skipped
  };
  for (size_t k = 0; k < sets.size(); ++k) {
    const Matcher m(sets[k]);
    // Pieces of "a", "b", NUL bytes and zero runs of 0 to 40 bytes, around short runs too.
    for (int trial = 0; trial < 40; ++trial) {
      Bytes all;
      std::vector<RawMatch> got;
      MatchStream s(m, [&](const RawMatch& r) { got.push_back(r); });
      for (int piece = 0; piece < 30; ++piece) {
        Bytes data(rng() % 6);
        for (auto& b : data) b = static_cast<uint8_t>("ab\0"[rng() % 3]);
        s.feed(data);
        all.insert(all.end(), data.begin(), data.end());
        const uint64_t zeros = rng() % 41;
        s.feed_zeros(zeros);
        all.resize(all.size() + zeros, 0);
      }
      s.finish();
      EXPECT_EQ(sorted(got), sorted(m.find_all(all))) << "set " << k << " trial " << trial;
    }
  }
  // A long run: 1 MiB of zeros between two halves of a UTF-16LE needle's neighbours.
  const Matcher m({parse_literal_utf16le("ab"), parse_literal("ba")});
  std::vector<RawMatch> got;
  MatchStream s(m, [&](const RawMatch& r) { got.push_back(r); });
  s.feed(Bytes{'a', 0, 'b'});
  s.feed_zeros(1 << 20);
  s.feed(Bytes{'b', 'a', 0, 'b', 0});
  s.finish();
  EXPECT_EQ(sorted(got),
            (std::vector<Found>{{0, 0, 4}, {0, 3 + (1 << 20) + 1, 4}, {1, 3 + (1 << 20), 2}}));
}

}  // namespace
}  // namespace cbit::tools::scan
