// Fuzz target: `cbit scan`'s pattern parsers, the Hyperscan compiler behind them, and the
// streaming search. Input: byte 0 picks the piece size (1-64) the data is fed in; then up to
// four lines "<kind><pattern>" (kind s = --string, w = its UTF-16LE form, x = --hex,
// e = --regex); an empty line ends them; the rest is the data searched.
// Properties: a pattern is refused with InputError or compiles; the data fed in pieces gives
// exactly the matches of one pass, and so does the data with each run of zeros given to
// feed_zeros (a sparse dump's holes); every match lies inside the data and is non-empty; literal
// and hex matches are exactly the positions a byte-by-byte comparison finds; the findings of
// one regex never overlap.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "common/error.h"
#include "tools/scan/pattern.h"

namespace {

using namespace cbit::tools::scan;
using Found = std::tuple<uint32_t, uint64_t, uint64_t>;

constexpr size_t kMaxPatterns = 4;
constexpr size_t kMaxPatternText = 48;  // keeps Hyperscan's compile time per input small
constexpr size_t kMaxData = 8192;

std::vector<Found> run(const Matcher& m, cbit::ByteSpan data, size_t piece) {
  std::vector<Found> out;
  MatchStream s(m, [&](const RawMatch& r) { out.emplace_back(r.pattern, r.offset, r.length); });
  for (size_t off = 0; off < data.size(); off += piece)
    s.feed(data.subspan(off, std::min(piece, data.size() - off)));
  s.finish();
  std::sort(out.begin(), out.end());
  return out;
}

// The data with every maximal run of zero bytes handed to feed_zeros, the rest fed as it is.
std::vector<Found> run_zero_runs(const Matcher& m, cbit::ByteSpan data) {
  std::vector<Found> out;
  MatchStream s(m, [&](const RawMatch& r) { out.emplace_back(r.pattern, r.offset, r.length); });
  for (size_t off = 0; off < data.size();) {
    size_t end = off;
    if (data[off] == 0) {
      while (end < data.size() && data[end] == 0) ++end;
      s.feed_zeros(end - off);
    } else {
      while (end < data.size() && data[end] != 0) ++end;
      s.feed(data.subspan(off, end - off));
    }
    off = end;
  }
  s.finish();
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t piece = 1 + data[0] % 64;
  size_t at = 1;
  std::vector<Pattern> patterns;
  try {
    while (at < size && patterns.size() < kMaxPatterns) {
      size_t nl = at;
      while (nl < size && data[nl] != '\n') ++nl;
      if (nl == at) {  // empty line: the data follows
        ++at;
        break;
      }
      const char kind = static_cast<char>(data[at]);
      const std::string text(reinterpret_cast<const char*>(data + at + 1),
                             std::min(nl - at - 1, kMaxPatternText));
      at = std::min(nl + 1, size);
      if (kind == 's') patterns.push_back(parse_literal(text));
      if (kind == 'w') patterns.push_back(parse_literal_utf16le(text));
      if (kind == 'x') patterns.push_back(parse_hex(text));
      if (kind == 'e') patterns.push_back(parse_regex(text));
    }
    const cbit::ByteSpan hay(data + at, std::min(size - at, kMaxData));
    const Matcher m(std::move(patterns));
    const std::vector<Found> whole = run(m, hay, hay.size() ? hay.size() : 1);
    CBIT_ASSERT(run(m, hay, piece) == whole);
    CBIT_ASSERT(run_zero_runs(m, hay) == whole);
    std::vector<uint64_t> regex_end(m.patterns().size(), 0);
    for (const auto& [p, off, len] : whole) {
      CBIT_ASSERT(p < m.patterns().size() && len > 0 && off + len <= hay.size());
      if (m.patterns()[p].kind == PatternKind::Regex) {
        CBIT_ASSERT(off >= regex_end[p]);  // sorted by offset: disjoint findings
        regex_end[p] = off + len;
      }
    }
    // Literal and hex: exactly the positions where the bytes match under the mask.
    for (uint32_t p = 0; p < m.patterns().size(); ++p) {
      const Pattern& pat = m.patterns()[p];
      if (pat.kind == PatternKind::Regex) continue;
      std::vector<Found> want;
      for (size_t i = 0; i + pat.bytes.size() <= hay.size(); ++i) {
        bool ok = true;
        for (size_t k = 0; k < pat.bytes.size() && ok; ++k)
          ok = ((hay[i + k] ^ pat.bytes[k]) & (pat.mask.empty() ? 0xff : pat.mask[k])) == 0;
        if (ok) want.emplace_back(p, i, pat.bytes.size());
      }
      std::vector<Found> got;
      std::copy_if(whole.begin(), whole.end(), std::back_inserter(got),
                   [&](const Found& f) { return std::get<0>(f) == p; });
      CBIT_ASSERT(got == want);
    }
  } catch (const cbit::InputError&) {
  } catch (const SearchEngineUnavailable&) {
  }
  return 0;
}
