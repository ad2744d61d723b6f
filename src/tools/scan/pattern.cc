#include "tools/scan/pattern.h"

#include <fmt/format.h>
#include <hs/hs.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "common/error.h"

namespace cbit::tools::scan {
namespace {

void check_length(size_t n, const char* flag, const std::string& text) {
  if (n == 0) throw InputError(fmt::format("{} '{}': empty pattern", flag, text));
  if (n > kMaxPatternBytes)
    throw InputError(fmt::format("{}: pattern of {} bytes is longer than the limit of {}", flag, n,
                                 kMaxPatternBytes));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Bytes as a Hyperscan expression: every byte escaped, so no byte is taken as syntax.
std::string escape_expr(const Bytes& bytes, const Bytes* mask = nullptr) {
  std::string e;
  e.reserve(bytes.size() * 4);
  for (size_t i = 0; i < bytes.size(); ++i)
    e += mask && !(*mask)[i] ? std::string(".") : fmt::format("\\x{:02x}", bytes[i]);
  return e;
}

const char* flag_of(PatternKind k) {
  return k == PatternKind::Literal ? "--string" : k == PatternKind::Hex ? "--hex" : "--regex";
}

// The SSSE3 check comes before any other Hyperscan call: Debian's fat runtime picks code for the
// CPU, and has none for a CPU without SSSE3.
void require_engine() {
  static const bool ok = hs_valid_platform() == HS_SUCCESS;
  if (!ok)
    throw SearchEngineUnavailable(
        "pattern search needs a CPU with SSSE3 (Hyperscan); this one has none. cbit scan without "
        "-s/-x/-e still classifies pages");
}

struct ErrorFree {
  void operator()(hs_compile_error_t* e) const { hs_free_compile_error(e); }
};
struct InfoFree {
  void operator()(hs_expr_info_t* i) const { std::free(i); }
};

// Hyperscan's facts about one expression; throws InputError with its message if it refuses it.
std::unique_ptr<hs_expr_info_t, InfoFree> expression_info(const Pattern& p) {
  require_engine();
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_expression_info(p.expr.c_str(), p.flags, &info, &err) != HS_SUCCESS) {
    std::unique_ptr<hs_compile_error_t, ErrorFree> guard(err);
    throw InputError(fmt::format("{} '{}': Hyperscan cannot compile it: {}", flag_of(p.kind),
                                 p.source, err && err->message ? err->message : "unknown error"));
  }
  return std::unique_ptr<hs_expr_info_t, InfoFree>(info);
}

// A literal or hex pattern that matches a run of zeros: every byte it needs is 0 (the rest are
// wildcards).
bool matches_zeros(const Pattern& p) {
  for (size_t i = 0; i < p.bytes.size(); ++i)
    if (p.bytes[i] != 0 && (p.mask.empty() || p.mask[i])) return false;
  return true;
}

}  // namespace

const char* encoding_name(Encoding e) {
  return e == Encoding::Utf8 ? "UTF-8" : e == Encoding::Utf16le ? "UTF-16LE" : "";
}

Pattern parse_literal(const std::string& text) {
  check_length(text.size(), "--string", text);
  Pattern p;
  p.kind = PatternKind::Literal;
  p.encoding = Encoding::Utf8;
  p.source = text;
  p.bytes.assign(text.begin(), text.end());
  p.expr = escape_expr(p.bytes);
  return p;
}

Pattern parse_literal_utf16le(const std::string& text) {
  check_length(text.size() * 2, "--string", text);
  Pattern p;
  p.kind = PatternKind::Literal;
  p.encoding = Encoding::Utf16le;
  p.source = text;
  auto unit = [&](uint32_t u) {
    p.bytes.push_back(static_cast<uint8_t>(u));
    p.bytes.push_back(static_cast<uint8_t>(u >> 8));
  };
  const auto bad = [&] {
    return InputError(fmt::format(
        "--string '{}': not valid UTF-8, so it has no UTF-16LE form (search raw bytes with --hex)",
        text));
  };
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    size_t n;
    if (s[i] < 0x80)
      cp = s[i], n = 1;
    else if ((s[i] & 0xe0) == 0xc0)
      cp = s[i] & 0x1f, n = 2;
    else if ((s[i] & 0xf0) == 0xe0)
      cp = s[i] & 0x0f, n = 3;
    else if ((s[i] & 0xf8) == 0xf0)
      cp = s[i] & 0x07, n = 4;
    else
      throw bad();
    if (i + n > text.size()) throw bad();
    for (size_t k = 1; k < n; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) throw bad();
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    if (cp > 0x10ffff) throw bad();
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xd800 | (cp >> 10));
      unit(0xdc00 | (cp & 0x3ff));
    } else {
      unit(cp);
    }
    i += n;
  }
  check_length(p.bytes.size(), "--string", text);
  p.expr = escape_expr(p.bytes);
  return p;
}

Pattern parse_hex(const std::string& text) {
  Pattern p;
  p.kind = PatternKind::Hex;
  p.source = text;
  std::string_view s = text;
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == ':') {
      ++i;
      continue;
    }
    if (i + 1 >= s.size())
      throw InputError(fmt::format("--hex '{}': odd number of hex digits", text));
    if (c == '?' && s[i + 1] == '?') {
      p.bytes.push_back(0);
      p.mask.push_back(0);
    } else {
      const int hi = hex_digit(c), lo = hex_digit(s[i + 1]);
      if (hi < 0 || lo < 0)
        throw InputError(
            fmt::format("--hex '{}': '{}{}' is neither a hex byte nor ??", text, c, s[i + 1]));
      p.bytes.push_back(static_cast<uint8_t>(hi << 4 | lo));
      p.mask.push_back(0xff);
    }
    i += 2;
  }
  check_length(p.bytes.size(), "--hex", text);
  if (std::none_of(p.mask.begin(), p.mask.end(), [](uint8_t m) { return m != 0; }))
    throw InputError(fmt::format("--hex '{}': only wildcards, nothing to search for", text));
  p.expr = escape_expr(p.bytes, &p.mask);
  p.flags = HS_FLAG_DOTALL;  // "??" is any byte, newline included
  return p;
}

Pattern parse_regex(const std::string& text) {
  check_length(text.size(), "--regex", text);
  if (text.find('\0') != std::string::npos)
    throw InputError("--regex: the pattern holds a NUL byte; write it as \\x00");
  Pattern p;
  p.kind = PatternKind::Regex;
  p.source = text;
  p.expr = text;
  p.flags = HS_FLAG_MULTILINE;  // ^ and $ at line ends, as grep -a -E sees a dump
  expression_info(p);           // refuse now what Hyperscan cannot compile, with its message
  return p;
}

Matcher::Matcher(std::vector<Pattern> patterns) : patterns_(std::move(patterns)) {
  if (patterns_.empty()) return;
  require_engine();
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  bool som = false;
  bool zero_skip = true;
  uint64_t widest = 0;
  for (uint32_t i = 0; i < patterns_.size(); ++i) {
    const Pattern& p = patterns_[i];
    unsigned f = p.flags;
    uint64_t width = p.bytes.size();
    if (p.kind == PatternKind::Regex) {
      // A pattern of one fixed width, reported in order, starts at `end - width`; any other
      // needs Hyperscan to track the leftmost start (costlier, so only where needed).
      const auto info = expression_info(p);
      width = info->min_width == info->max_width && !info->unordered_matches ? info->min_width : 0;
      if (!width) f |= HS_FLAG_SOM_LEFTMOST, som = true;
    }
    width_.push_back(width);
    if (p.kind == PatternKind::Regex || matches_zeros(p)) zero_skip = false;
    widest = std::max(widest, width);
    exprs.push_back(p.expr.c_str());
    flags.push_back(f);
    ids.push_back(i);
  }
  if (zero_skip) zero_skip_width_ = widest;
  hs_compile_error_t* err = nullptr;
  const unsigned mode = HS_MODE_STREAM | (som ? HS_MODE_SOM_HORIZON_LARGE : 0);
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()),
                       mode, nullptr, &db_, &err) != HS_SUCCESS) {
    std::unique_ptr<hs_compile_error_t, ErrorFree> guard(err);
    const std::string msg = err && err->message ? err->message : "unknown error";
    if (err && err->expression >= 0 && size_t(err->expression) < patterns_.size()) {
      const Pattern& p = patterns_[size_t(err->expression)];
      throw InputError(
          fmt::format("{} '{}': Hyperscan cannot compile it: {}", flag_of(p.kind), p.source, msg));
    }
    throw InputError(fmt::format("the {} patterns together: Hyperscan cannot compile them: {}",
                                 patterns_.size(), msg));
  }
}

Matcher::~Matcher() {
  if (db_) hs_free_database(db_);
}

std::vector<RawMatch> Matcher::find_all(ByteSpan buf) const {
  std::vector<RawMatch> out;
  MatchStream s(*this, [&](const RawMatch& m) { out.push_back(m); });
  s.feed(buf);
  s.finish();
  return out;
}

MatchStream::MatchStream(const Matcher& m, Callback cb) : m_(m), cb_(std::move(cb)) {
  open_.resize(m_.patterns_.size());
  if (!m_.db_) return;
  check(hs_alloc_scratch(m_.db_, &scratch_), "hs_alloc_scratch");
  check(hs_open_stream(m_.db_, 0, &stream_), "hs_open_stream");
}

MatchStream::~MatchStream() {
  if (stream_) hs_close_stream(stream_, scratch_, nullptr, nullptr);
  if (scratch_) hs_free_scratch(scratch_);
}

void MatchStream::check(int rc, const char* what) {
  if (rc == HS_SCAN_TERMINATED && error_) {
    auto e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
  if (rc != HS_SUCCESS) throw std::runtime_error(fmt::format("Hyperscan {} failed ({})", what, rc));
}

void MatchStream::feed(ByteSpan data) {
  if (!stream_) {
    offset_ += data.size();
    return;
  }
  // hs_scan_stream takes an unsigned int length.
  constexpr size_t kPiece = size_t(1) << 30;
  for (size_t at = 0; at < data.size(); at += kPiece) {
    const size_t n = std::min(kPiece, data.size() - at);
    check(hs_scan_stream(stream_, reinterpret_cast<const char*>(data.data() + at),
                         static_cast<unsigned>(n), 0, scratch_, &MatchStream::on_hs_match, this),
          "hs_scan_stream");
    offset_ += n;
  }
}

void MatchStream::feed_zeros(uint64_t n) {
  static const uint8_t zeros[64 << 10] = {};
  const auto feed_n = [this](uint64_t k) {
    for (uint64_t done = 0; done < k;) {
      const size_t piece = static_cast<size_t>(std::min<uint64_t>(sizeof zeros, k - done));
      feed({zeros, piece});
      done += piece;
    }
  };
  const uint64_t w = m_.zero_skip_width_;
  if (!stream_ || !w || n <= 2 * w) return feed_n(n);
  // Matches ending within the run's first W-1 bytes (they may start before it).
  feed_n(w - 1);
  // None ends further inside: it would lie wholly in zeros, and no pattern matches zeros. So the
  // engine restarts W-1 bytes before the run's end, where a match reaching past it can start;
  // literal and hex patterns have no end-of-data matches, so the reset reports nothing.
  check(hs_reset_stream(stream_, 0, nullptr, nullptr, nullptr), "hs_reset_stream");
  offset_ += n - 2 * (w - 1);
  base_ = offset_;
  feed_n(w - 1);
}

void MatchStream::finish() {
  if (stream_)
    check(hs_reset_stream(stream_, 0, scratch_, &MatchStream::on_hs_match, this),
          "hs_reset_stream");
  base_ = 0;
  for (uint32_t i = 0; i < open_.size(); ++i) {
    const Open o = open_[i];
    open_[i] = {};
    if (o.open) cb_({i, o.start, o.end - o.start});
  }
  offset_ = 0;
}

int MatchStream::on_hs_match(unsigned id, unsigned long long from, unsigned long long to,
                             unsigned /*flags*/, void* ctx) {
  auto* self = static_cast<MatchStream*>(ctx);
  try {
    self->report(id, from, to);
  } catch (...) {
    self->error_ = std::current_exception();
    return 1;  // stop the scan; feed() rethrows
  }
  return 0;
}

void MatchStream::report(uint32_t id, uint64_t from, uint64_t to) {
  from += base_, to += base_;
  const uint64_t width = m_.width_[id];
  if (width) from = to - width;
  if (m_.patterns_[id].kind != PatternKind::Regex) {
    cb_({id, from, to - from});
    return;
  }
  // Regex: grow the open finding while matches overlap it; a match starting at or after its
  // end closes it. A match reaching back over a finding already reported (only alternatives of
  // different lengths do that: `b|d|abcde` on "abcde" reports "b", "d", then "abcde") is cut at
  // that finding's end, so the findings of one pattern never overlap.
  Open& o = open_[id];
  from = std::max(from, o.closed_end);
  if (from >= to) return;  // wholly inside a finding already reported
  if (o.open && from < o.end) {
    o.start = std::min(o.start, from);
    o.end = std::max(o.end, to);
    return;
  }
  if (o.open) {
    cb_({id, o.start, o.end - o.start});
    o.closed_end = o.end;
  }
  o.start = from;
  o.end = to;
  o.open = true;
}

}  // namespace cbit::tools::scan
