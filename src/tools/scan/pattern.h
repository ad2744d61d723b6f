// What `cbit scan` looks for, and finding it in a stream of bytes with Hyperscan.
//
// All patterns are compiled into one Hyperscan streaming database (Intel's linear-time,
// multi-pattern engine, Debian's libhyperscan-dev): the bytes of a contiguous stretch of guest
// memory are fed in chunks of any size, and a match that crosses a chunk or page boundary is
// found exactly as in one pass. The search never recurses per byte, so a long run of matching
// bytes costs time linear in its length and no stack (std::regex, used before, crashed on a
// 32 KiB printable run).
//
//  - literal (--string): the exact bytes. Each --string is searched twice: as typed (UTF-8,
//    which covers ASCII) and as UTF-16LE code units (what `strings -el` finds: text typed into a
//    UEFI shell or a Windows guest). Every occurrence counts, overlapping ones too.
//  - hex (--hex): bytes written in hex with "??" as a one-byte wildcard, e.g. "de ad ?? ef".
//    Every occurrence counts, as for literals.
//  - regex (--regex): a Hyperscan (PCRE-syntax) regular expression over the raw bytes, with
//    `^`/`$` at line ends as in `grep -a -E`, `.` not matching a newline. Hyperscan reports every
//    end offset of every match; cbit reports one finding per maximal stretch covered by
//    overlapping matches of the pattern, from the leftmost start (HS_FLAG_SOM_LEFTMOST) to the
//    last end: `[A-Za-z0-9+/=]{40,}` on a 32 KiB base64 run is one finding of 32 KiB.
//    Hyperscan refuses some PCRE constructs (back-references, lookbehind of variable length,
//    patterns that match the empty string...); such a pattern is refused with its message.
//
// Hyperscan needs SSSE3 at run time (Debian builds it as a "fat runtime" that picks SSSE3,
// SSE4.2, AVX2 or AVX-512 code when the database is used). Matcher checks hs_valid_platform()
// before compiling and throws SearchEngineUnavailable if the CPU lacks it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bytes.h"

struct hs_database;
struct hs_scratch;
struct hs_stream;

namespace cbit::tools::scan {

inline constexpr size_t kMaxPatternBytes = 4096;

enum class PatternKind { Literal, Hex, Regex };
// Literal patterns say which encoding of the typed string they are; hex and regex are bytes.
enum class Encoding { Bytes, Utf8, Utf16le };

struct Pattern {
  PatternKind kind = PatternKind::Literal;
  Encoding encoding = Encoding::Bytes;
  std::string source;  // as the user typed it, for output
  Bytes bytes;         // literal/hex: the bytes (wildcard positions hold 0)
  Bytes mask;          // hex: 0xff where the byte must match, 0 for "??"
  std::string expr;    // the Hyperscan expression
  unsigned flags = 0;  // its HS_FLAG_* bits
};

// Parsers throw InputError naming the flag and the pattern. A regex is checked by Hyperscan here
// (hs_expression_info), which refuses unsupported syntax with Hyperscan's message; what only the
// compiler finds (a pattern matching the empty string, one too large) is refused the same way
// when the Matcher is built.
Pattern parse_literal(const std::string& text);
// The same string as UTF-16LE code units (Windows guests, UEFI variables, USB HID buffers keep
// typed text this way). `text` is UTF-8; code points above U+FFFF become surrogate pairs.
Pattern parse_literal_utf16le(const std::string& text);
Pattern parse_hex(const std::string& text);
Pattern parse_regex(const std::string& text);

// "UTF-8", "UTF-16LE" or "" (bytes), for output.
const char* encoding_name(Encoding e);

// The CPU cannot run the search engine (Hyperscan without SSSE3).
class SearchEngineUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RawMatch {
  uint32_t pattern = 0;  // index into the matcher's patterns
  uint64_t offset = 0;   // of the first byte, from the start of the stretch
  uint64_t length = 0;
};

class Matcher {
 public:
  // Compiles the patterns (none: a matcher that finds nothing and needs no Hyperscan). Throws
  // InputError if Hyperscan refuses a pattern, SearchEngineUnavailable on a CPU without SSSE3.
  explicit Matcher(std::vector<Pattern> patterns);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  const std::vector<Pattern>& patterns() const { return patterns_; }
  bool empty() const { return patterns_.empty(); }

  // All matches in one contiguous buffer, in the order they are reported (tests, benchmarks).
  std::vector<RawMatch> find_all(ByteSpan buf) const;

  // W > 0 when a run of zero bytes longer than 2W can be skipped exactly (MatchStream::
  // feed_zeros): every pattern is a literal or hex pattern (a fixed width, no anchors, no
  // context), W is the widest, and none matches W zero bytes (some byte it needs is not zero).
  // Then a match that touches the run lies within W-1 bytes of one of its ends. 0 otherwise
  // (a regex, or a pattern made of zeros and wildcards only): the zeros are fed.
  uint64_t zero_skip_width() const { return zero_skip_width_; }

 private:
  friend class MatchStream;
  std::vector<Pattern> patterns_;
  std::vector<uint64_t> width_;  // fixed match width (no SOM needed), or 0
  uint64_t zero_skip_width_ = 0;
  hs_database* db_ = nullptr;
};

// One contiguous stretch of memory fed through the matcher in pieces. Matches are handed to the
// callback as soon as they are final: literal and hex matches at their end, a regex finding when
// a later match of the same pattern starts after it ends, or at finish(). Not thread-safe; one
// stream per scanning thread.
class MatchStream {
 public:
  using Callback = std::function<void(const RawMatch&)>;
  MatchStream(const Matcher& m, Callback cb);
  ~MatchStream();
  MatchStream(const MatchStream&) = delete;
  MatchStream& operator=(const MatchStream&) = delete;

  // The next bytes of the stretch. An exception thrown by the callback is rethrown here.
  void feed(ByteSpan data);
  // The next `n` bytes of the stretch are zeros (a hole of a sparse dump, memory known to be the
  // zero page). Reports exactly what feed() of n zeros would. When the matcher allows it
  // (Matcher::zero_skip_width() W, n > 2W) only the first and the last W-1 zeros are scanned:
  // the engine is reset between them, and its offsets continue from where the run ends.
  void feed_zeros(uint64_t n);
  // End of the stretch: reports matches anchored at its end (`$`) and open regex findings, then
  // starts a new stretch at offset 0.
  void finish();
  uint64_t offset() const { return offset_; }

 private:
  struct Open {
    uint64_t start = 0, end = 0;
    uint64_t closed_end = 0;  // end of the last finding reported
    bool open = false;
  };
  static int on_hs_match(unsigned id, unsigned long long from, unsigned long long to,
                         unsigned flags, void* ctx);
  void report(uint32_t id, uint64_t from, uint64_t to);
  void check(int rc, const char* what);

  const Matcher& m_;
  Callback cb_;
  hs_scratch* scratch_ = nullptr;
  hs_stream* stream_ = nullptr;
  std::vector<Open> open_;  // per regex pattern: the finding still growing
  uint64_t offset_ = 0;
  uint64_t base_ = 0;  // the stretch offset of the engine's offset 0 (moved by feed_zeros)
  std::exception_ptr error_;
};

}  // namespace cbit::tools::scan
