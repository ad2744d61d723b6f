#include "common/text.h"

#include <fmt/format.h>

namespace cbit {

namespace {

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF) and its code point, or 0 if there is none.
size_t utf8_sequence(std::string_view text, size_t i, char32_t& cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char c = b(0);
  size_t len = 0;
  char32_t min = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2, cp = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, cp = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

bool hidden_format(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    switch (c) {
      case '\n':
        out += "\\n", ++i;
        continue;
      case '\r':
        out += "\\r", ++i;
        continue;
      case '\t':
        out += "\\t", ++i;
        continue;
      case 0x1b:
        out += "\\e", ++i;
        continue;
      default:
        break;
    }
    char32_t cp = 0;
    const size_t len = c >= 0x80 ? utf8_sequence(text, i, cp) : 0;
    if (len == 0) {  // a control byte or a byte that is not UTF-8
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else if (hidden_format(cp)) {
      out += fmt::format("\\u{{{:04x}}}", static_cast<uint32_t>(cp));
      i += len;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace cbit
