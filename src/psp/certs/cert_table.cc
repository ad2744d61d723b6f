#include "psp/certs/cert_table.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"

namespace cbit::psp {

CertGuid cert_guid(std::string_view text) {
  std::string hex;
  for (char c : text)
    if (c != '-') hex.push_back(c);
  if (text.size() != 36 || hex.size() != 32)
    throw InputError(fmt::format("GUID '{}': not of the form 8-4-4-4-12 hex digits", text));
  const Bytes b = from_hex(hex, "GUID");
  CertGuid g{};
  std::copy(b.begin(), b.end(), g.begin());
  return g;
}

std::string cert_guid_text(const CertGuid& g) {
  const std::string h = to_hex(g);
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20));
}

const Bytes* CertTable::find(std::string_view guid_text) const {
  const CertGuid g = cert_guid(guid_text);
  for (const auto& e : entries)
    if (e.guid == g) return &e.data;
  return nullptr;
}

void CertTable::add(std::string_view guid_text, Bytes data) {
  entries.push_back({cert_guid(guid_text), std::move(data)});
}

Bytes CertTable::serialize() const {
  const size_t header = (entries.size() + 1) * kCertTableEntrySize;
  Bytes out(header, 0);
  size_t offset = header;
  for (size_t i = 0; i < entries.size(); ++i) {
    uint8_t* p = out.data() + i * kCertTableEntrySize;
    std::copy(entries[i].guid.begin(), entries[i].guid.end(), p);
    store_le<uint32_t>(p + 16, static_cast<uint32_t>(offset));
    store_le<uint32_t>(p + 20, static_cast<uint32_t>(entries[i].data.size()));
    offset += entries[i].data.size();
  }
  for (const auto& e : entries) out.insert(out.end(), e.data.begin(), e.data.end());
  return out;
}

CertTable CertTable::parse(ByteSpan blob, std::string_view what) {
  struct Raw {
    CertGuid guid;
    uint32_t offset, length;
  };
  std::vector<Raw> raw;
  size_t pos = 0;
  for (;;) {
    if (pos + kCertTableEntrySize > blob.size())
      throw InputError(
          fmt::format("{}: certificate table has no all-zero terminating entry", what));
    Raw r{};
    std::copy_n(blob.data() + pos, 16, r.guid.begin());
    r.offset = load_le<uint32_t>(blob.data() + pos + 16);
    r.length = load_le<uint32_t>(blob.data() + pos + 20);
    pos += kCertTableEntrySize;
    if (r.offset == 0 && r.length == 0 &&
        std::all_of(r.guid.begin(), r.guid.end(), [](uint8_t b) { return b == 0; }))
      break;
    raw.push_back(r);
  }
  CertTable t;
  for (size_t i = 0; i < raw.size(); ++i) {
    const uint64_t end = uint64_t{raw[i].offset} + raw[i].length;
    if (raw[i].offset < pos)
      throw InputError(fmt::format("{}: certificate table entry {} points into the table ({:#x})",
                                   what, i, raw[i].offset));
    if (end > blob.size())
      throw InputError(
          fmt::format("{}: certificate table entry {} ({:#x} + {:#x}) runs past the {}-byte blob",
                      what, i, raw[i].offset, raw[i].length, blob.size()));
    t.entries.push_back(
        {raw[i].guid, Bytes(blob.begin() + raw[i].offset, blob.begin() + static_cast<long>(end))});
  }
  return t;
}

}  // namespace cbit::psp
