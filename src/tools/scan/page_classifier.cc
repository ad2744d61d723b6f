#include "tools/scan/page_classifier.h"

#include <array>
#include <cmath>
#include <cstring>

namespace cbit::tools::scan {
namespace {

// c * log2(c) for every count a 4 KiB page can have: the entropy of a page is then
// log2(N) - (1/N) * sum(c log2 c), 256 table lookups instead of 256 logarithms.
struct CLogC {
  std::array<double, kPageSize + 1> v{};
  CLogC() {
    for (size_t c = 1; c <= kPageSize; ++c) v[c] = double(c) * std::log2(double(c));
  }
};
const CLogC& clogc() {
  static const CLogC table;
  return table;
}

constexpr std::array<bool, 256> make_printable() {
  std::array<bool, 256> t{};
  for (int b = 0x20; b <= 0x7e; ++b) t[b] = true;
  t['\t'] = t['\n'] = t['\r'] = true;
  return t;
}
constexpr std::array<bool, 256> kPrintable = make_printable();

bool all_zero(const uint8_t* p, size_t n) {
  size_t i = 0;
  uint64_t acc = 0;
  for (; i + 64 <= n; i += 64) {
    uint64_t w[8];
    std::memcpy(w, p + i, 64);
    acc |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
    if (acc) return false;
  }
  for (; i < n; ++i) acc |= p[i];
  return acc == 0;
}

// Byte histogram with four interleaved tables, so consecutive equal bytes do not serialise on
// one counter.
void histogram(const uint8_t* p, size_t n, uint32_t out[256]) {
  uint32_t h[4][256] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    ++h[0][w & 0xff];
    ++h[1][(w >> 8) & 0xff];
    ++h[2][(w >> 16) & 0xff];
    ++h[3][(w >> 24) & 0xff];
    ++h[0][(w >> 32) & 0xff];
    ++h[1][(w >> 40) & 0xff];
    ++h[2][(w >> 48) & 0xff];
    ++h[3][w >> 56];
  }
  for (; i < n; ++i) ++h[0][p[i]];
  for (int b = 0; b < 256; ++b) out[b] = h[0][b] + h[1][b] + h[2][b] + h[3][b];
}

double entropy_from_histogram(const uint32_t h[256], size_t n) {
  if (n == 0) return 0;
  double sum = 0;
  if (n <= kPageSize) {
    const auto& t = clogc().v;
    for (int b = 0; b < 256; ++b) sum += t[h[b]];
  } else {
    for (int b = 0; b < 256; ++b)
      if (h[b]) sum += double(h[b]) * std::log2(double(h[b]));
  }
  return std::log2(double(n)) - sum / double(n);
}

}  // namespace

double byte_entropy(ByteSpan data) {
  uint32_t h[256];
  histogram(data.data(), data.size(), h);
  return entropy_from_histogram(h, data.size());
}

PageClass classify_page(ByteSpan page, PageStats* stats) {
  if (all_zero(page.data(), page.size())) {
    if (stats) *stats = {};
    return PageClass::Zero;
  }
  uint32_t h[256];
  histogram(page.data(), page.size(), h);
  const double entropy = entropy_from_histogram(h, page.size());
  size_t printable = 0;
  for (int b = 1; b < 256; ++b)
    if (kPrintable[b]) printable += h[b];
  const size_t nonzero = page.size() - h[0];
  const double frac = nonzero ? double(printable) / double(nonzero) : 0;
  if (stats) *stats = {entropy, frac, nonzero};
  if (entropy >= kHighEntropyMin) return PageClass::HighEntropy;
  if (nonzero >= kPlaintextMinBytes && frac >= kPrintableMin) return PageClass::Plaintext;
  return PageClass::Other;
}

std::string_view page_class_name(PageClass c) {
  switch (c) {
    case PageClass::Zero:
      return "zero";
    case PageClass::Plaintext:
      return "plaintext";
    case PageClass::HighEntropy:
      return "high-entropy";
    case PageClass::Other:
      return "other";
    case PageClass::Absent:
      return "absent";
  }
  return "?";
}

}  // namespace cbit::tools::scan
