#include "tools/scan/pattern.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

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

constexpr std::array<bool, 256> make_run_bytes() {
  std::array<bool, 256> t{};
  for (int b = 0x20; b <= 0x7e; ++b) t[b] = true;
  t['\t'] = true;
  return t;
}
constexpr std::array<bool, 256> kRunByte = make_run_bytes();

}  // namespace

Pattern parse_literal(const std::string& text) {
  check_length(text.size(), "--string", text);
  Pattern p;
  p.kind = PatternKind::Literal;
  p.source = text;
  p.bytes.assign(text.begin(), text.end());
  return p;
}

Pattern parse_literal_utf16le(const std::string& text) {
  check_length(text.size() * 2, "--string", text);
  Pattern p;
  p.kind = PatternKind::Literal;
  p.source = text + " (UTF-16LE)";
  auto unit = [&](uint32_t u) {
    p.bytes.push_back(static_cast<uint8_t>(u));
    p.bytes.push_back(static_cast<uint8_t>(u >> 8));
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
      throw InputError(fmt::format("--string '{}': not valid UTF-8", text));
    if (i + n > text.size()) throw InputError(fmt::format("--string '{}': not valid UTF-8", text));
    for (size_t k = 1; k < n; ++k) {
      if ((s[i + k] & 0xc0) != 0x80)
        throw InputError(fmt::format("--string '{}': not valid UTF-8", text));
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
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
  for (size_t i = 0; i < p.mask.size();) {
    if (!p.mask[i]) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < p.mask.size() && p.mask[j]) ++j;
    if (j - i > p.anchor_len) {
      p.anchor_off = i;
      p.anchor_len = j - i;
    }
    i = j;
  }
  if (p.anchor_len == 0)
    throw InputError(fmt::format("--hex '{}': only wildcards, nothing to search for", text));
  return p;
}

Pattern parse_regex(const std::string& text) {
  check_length(text.size(), "--regex", text);
  Pattern p;
  p.kind = PatternKind::Regex;
  p.source = text;
  try {
    p.re = std::regex(text, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    throw InputError(fmt::format("--regex '{}': {}", text, e.what()));
  }
  return p;
}

Matcher::Matcher(std::vector<Pattern> patterns) : patterns_(std::move(patterns)) {
  for (uint32_t i = 0; i < patterns_.size(); ++i) {
    if (patterns_[i].kind == PatternKind::Regex) {
      regex_idx_.push_back(i);
      overlap_ = std::max(overlap_, kRegexContext);
    } else {
      overlap_ = std::max(overlap_, patterns_[i].bytes.size() - 1);
    }
  }
}

void Matcher::find(ByteSpan buf, size_t owned_from, bool more_follows,
                   std::vector<RawMatch>& out) const {
  for (uint32_t i = 0; i < patterns_.size(); ++i)
    if (patterns_[i].kind != PatternKind::Regex) find_bytes(i, buf, owned_from, out);
  if (!regex_idx_.empty()) find_regex(buf, owned_from, more_follows, out);
}

void Matcher::find_bytes(uint32_t idx, ByteSpan buf, size_t owned_from,
                         std::vector<RawMatch>& out) const {
  const Pattern& p = patterns_[idx];
  const size_t len = p.bytes.size();
  if (buf.size() < len) return;
  // The first start whose match ends after owned_from.
  size_t start = owned_from + 1 >= len ? owned_from + 1 - len : 0;
  const uint8_t* base = buf.data();
  if (p.kind == PatternKind::Literal) {
    while (start + len <= buf.size()) {
      const void* hit = memmem(base + start, buf.size() - start, p.bytes.data(), len);
      if (!hit) break;
      const size_t at = static_cast<const uint8_t*>(hit) - base;
      out.push_back({idx, at, len});
      start = at + 1;
    }
    return;
  }
  // Hex with wildcards: find the anchor, then check the whole pattern around it.
  const uint8_t* anchor = p.bytes.data() + p.anchor_off;
  size_t from = start + p.anchor_off;
  const size_t last_anchor = buf.size() - len + p.anchor_off;  // last anchor position that fits
  while (from <= last_anchor) {
    const void* hit = memmem(base + from, last_anchor + p.anchor_len - from, anchor, p.anchor_len);
    if (!hit) break;
    const size_t a = static_cast<const uint8_t*>(hit) - base;
    const size_t at = a - p.anchor_off;
    bool ok = true;
    for (size_t k = 0; k < len && ok; ++k) ok = ((base[at + k] ^ p.bytes[k]) & p.mask[k]) == 0;
    if (ok) out.push_back({idx, at, len});
    from = a + 1;
  }
}

void Matcher::find_regex(ByteSpan buf, size_t owned_from, bool more_follows,
                         std::vector<RawMatch>& out) const {
  const char* base = reinterpret_cast<const char*>(buf.data());
  const size_t n = buf.size();
  size_t i = 0;
  while (i < n) {
    // Skip to the next run byte, then to the end of the run.
    while (i < n && !kRunByte[buf[i]]) ++i;
    const size_t a = i;
    while (i < n && kRunByte[buf[i]]) ++i;
    const size_t b = i;
    if (b - a < kRegexMinRun || b < owned_from) continue;
    const bool open_end = more_follows && b == n;
    for (uint32_t idx : regex_idx_) {
      for (std::cregex_iterator it(base + a, base + b, patterns_[idx].re), end; it != end; ++it) {
        const auto& m = *it;
        if (m.length(0) == 0) continue;
        const size_t at = a + static_cast<size_t>(m.position(0));
        const size_t e = at + static_cast<size_t>(m.length(0));
        if (e < owned_from) continue;
        if (open_end && e == n) continue;  // the next chunk sees it with its continuation
        // e == owned_from is ours: the previous chunk's buffer ended there inside this same run,
        // so it left the match to us (open_end above).
        out.push_back({idx, at, e - at});
      }
    }
  }
}

}  // namespace cbit::tools::scan
