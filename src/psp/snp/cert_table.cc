#include "psp/snp/cert_table.h"

#include <fmt/format.h>

#include <algorithm>

namespace cbit::psp::snp {

namespace {

constexpr size_t kEntrySize = 24;

int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

CertGuid must(std::string_view s) { return *cert_guid_from_string(s); }

}  // namespace

std::optional<CertGuid> cert_guid_from_string(std::string_view s) {
  // 8-4-4-4-12 hex digits.
  if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
    return std::nullopt;
  CertGuid be{};  // RFC 4122 byte order: the text's digits in order
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '-') continue;
    const int hi = hex_val(s[i]), lo = i + 1 < s.size() ? hex_val(s[i + 1]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    be[n++] = static_cast<uint8_t>(hi << 4 | lo);
    ++i;
  }
  if (n != 16) return std::nullopt;
  return be;
}

std::string cert_guid_to_string(const CertGuid& g) {
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:"
      "02x}{:02x}",
      g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14],
      g[15]);
}

const CertGuid& cert_guid_vcek() {
  static const CertGuid g = must("63da758d-e664-4564-adc5-f4b93be8accd");
  return g;
}
const CertGuid& cert_guid_vlek() {
  static const CertGuid g = must("a8074bc2-a25a-483e-aae6-39c045a0b8a1");
  return g;
}
const CertGuid& cert_guid_ask() {
  static const CertGuid g = must("4ab7b379-bbac-4fe4-a02f-05aef327c782");
  return g;
}
const CertGuid& cert_guid_ark() {
  static const CertGuid g = must("c0b406a4-a803-4952-9743-3fb6014cd0ae");
  return g;
}
const CertGuid& cert_guid_crl() {
  static const CertGuid g = must("92f81bc3-5811-4d3d-97ff-d19f88dc67ea");
  return g;
}

const char* cert_guid_name(const CertGuid& g) {
  if (g == cert_guid_vcek()) return "VCEK";
  if (g == cert_guid_vlek()) return "VLEK";
  if (g == cert_guid_ask()) return "ASK";
  if (g == cert_guid_ark()) return "ARK";
  if (g == cert_guid_crl()) return "CRL";
  return "";
}

Bytes cert_table_build(const std::vector<CertEntry>& entries) {
  const size_t table = (entries.size() + 1) * kEntrySize;
  size_t off = (table + 7) & ~size_t{7};
  Bytes out(off, 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    uint8_t* e = out.data() + i * kEntrySize;
    std::copy(entries[i].guid.begin(), entries[i].guid.end(), e);
    store_le<uint32_t>(e + 16, static_cast<uint32_t>(off));
    store_le<uint32_t>(e + 20, static_cast<uint32_t>(entries[i].data.size()));
    out.insert(out.end(), entries[i].data.begin(), entries[i].data.end());
    off += entries[i].data.size();
    const size_t pad = ((off + 7) & ~size_t{7}) - off;
    out.insert(out.end(), pad, 0);
    off += pad;
  }
  return out;
}

std::optional<std::vector<CertEntry>> cert_table_parse(ByteSpan bytes, std::string* why) {
  auto fail = [&](std::string msg) -> std::optional<std::vector<CertEntry>> {
    if (why) *why = std::move(msg);
    return std::nullopt;
  };
  std::vector<CertEntry> out;
  for (size_t i = 0;; ++i) {
    const size_t at = i * kEntrySize;
    if (at + kEntrySize > bytes.size())
      return fail(
          fmt::format("certificate table: no all-zero entry within {} bytes", bytes.size()));
    const auto e = bytes.subspan(at, kEntrySize);
    if (std::all_of(e.begin(), e.end(), [](uint8_t b) { return b == 0; })) break;
    CertEntry c;
    std::copy_n(e.data(), 16, c.guid.begin());
    const uint64_t off = load_le<uint32_t>(e.data() + 16);
    const uint64_t len = load_le<uint32_t>(e.data() + 20);
    if (off + len > bytes.size())
      return fail(
          fmt::format("certificate table entry {}: offset {:#x} + length {:#x} past the {} "
                      "bytes given",
                      i, off, len, bytes.size()));
    c.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(off),
                  bytes.begin() + static_cast<std::ptrdiff_t>(off + len));
    out.push_back(std::move(c));
  }
  const size_t table_end = (out.size() + 1) * kEntrySize;
  for (size_t i = 0; i < out.size(); ++i) {
    const uint32_t off = load_le<uint32_t>(bytes.data() + i * kEntrySize + 16);
    if (!out[i].data.empty() && off < table_end)
      return fail(
          fmt::format("certificate table entry {}: data at {:#x} overlaps the table", i, off));
  }
  return out;
}

}  // namespace cbit::psp::snp
