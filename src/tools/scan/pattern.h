// What `cbit scan` looks for, and finding it in a buffer.
//
//  - literal (--string): the exact bytes, found with glibc memmem (a two-way/SSE search).
//  - hex (--hex): bytes written in hex with "??" as a one-byte wildcard, e.g. "de ad ?? ef".
//    The longest run without wildcards is searched with memmem and the rest is checked around it.
//  - regex (--regex): ECMAScript std::regex, applied to printable runs (bytes 0x20-0x7e and tab)
//    of at least kRegexMinRun bytes, as `strings | grep -E` would. std::regex is slow, so it is
//    used only for patterns given as --regex; literal search never goes through it.
//
// Chunks: a dump is scanned in chunks; each chunk's buffer starts with `overlap()` bytes of the
// previous chunk (left context) so matches crossing the boundary are found. find() reports only
// the matches a chunk owns, so each match is reported exactly once:
//  - literal/hex: matches that end after `owned_from` (the first byte of new data);
//  - regex: matches that end at or after `owned_from`, except a match ending at the very end of
//    the buffer when more data follows (the next chunk sees it with its continuation).
//    A regex match whose run started more than kRegexContext bytes before the chunk boundary is
//    seen with its run cut at the context's start.
#pragma once
#include <cstddef>
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace cbit::tools::scan {

inline constexpr size_t kMaxPatternBytes = 4096;
inline constexpr size_t kRegexMinRun = 4;
inline constexpr size_t kRegexContext = 4096;

enum class PatternKind { Literal, Hex, Regex };

struct Pattern {
  PatternKind kind = PatternKind::Literal;
  std::string source;                     // as the user typed it, for output
  Bytes bytes;                            // literal/hex: the bytes (wildcard positions hold 0)
  Bytes mask;                             // hex: 0xff where the byte must match, 0 for "??"
  size_t anchor_off = 0, anchor_len = 0;  // hex: the longest run without wildcards
  std::regex re;                          // regex only
};

// Parsers throw InputError naming the flag and the pattern.
Pattern parse_literal(const std::string& text);
// The same string as UTF-16LE code units (Windows guests, UEFI variables, USB HID buffers keep
// typed text this way). `text` is UTF-8; code points above U+FFFF become surrogate pairs.
Pattern parse_literal_utf16le(const std::string& text);
Pattern parse_hex(const std::string& text);
Pattern parse_regex(const std::string& text);

struct RawMatch {
  uint32_t pattern = 0;  // index into the matcher's patterns
  size_t offset = 0;     // in the buffer given to find()
  size_t length = 0;
};

class Matcher {
 public:
  explicit Matcher(std::vector<Pattern> patterns);

  const std::vector<Pattern>& patterns() const { return patterns_; }
  bool empty() const { return patterns_.empty(); }
  // Bytes of left context each chunk must carry so no match is lost at a boundary.
  size_t overlap() const { return overlap_; }

  // Appends to `out` the matches in `buf` that this chunk owns (see above). `more_follows` is
  // false for the last chunk of a contiguous stretch of memory.
  void find(ByteSpan buf, size_t owned_from, bool more_follows, std::vector<RawMatch>& out) const;

 private:
  void find_bytes(uint32_t idx, ByteSpan buf, size_t owned_from, std::vector<RawMatch>& out) const;
  void find_regex(ByteSpan buf, size_t owned_from, bool more_follows,
                  std::vector<RawMatch>& out) const;

  std::vector<Pattern> patterns_;
  std::vector<uint32_t> regex_idx_;
  size_t overlap_ = 0;
};

}  // namespace cbit::tools::scan
