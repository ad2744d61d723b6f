// Synthetic OVMF-like firmware images for the launch-digest tests: deterministic filler pages,
// an "ASEV" SEV metadata block and a GUIDed footer table laid out as edk2's ResetVector puts
// them (table ending 32 bytes before the image's end). Debian's OVMF builds carry no SEV hashes
// table, so measured direct boot is tested on these.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "psp/digest/ovmf.h"

namespace cbit::testutil {

struct SynthSection {
  uint32_t gpa, size, type;
};

struct SynthFirmware {
  size_t pages = 8;
  std::vector<SynthSection> sections;
  uint32_t hashes_gpa = 0x810c00;  // SEV hashes table GUID entry (0: "unsupported")
  uint32_t reset_eip = 0x80b004;   // SEV-ES reset block entry
  bool with_reset_block = true, with_hashes_entry = true, with_metadata = true;
  uint32_t meta_version = 1;
  std::string meta_signature = "ASEV";
  uint64_t seed = 1;
  size_t trailing_bytes = 0;  // bytes appended after the image (not a page multiple)
};

// The standard OVMF SNP layout: SEC_MEM, SEC_MEM, SECRETS, CPUID.
inline std::vector<SynthSection> standard_sections() {
  return {
      {0x800000, 0x9000, 1}, {0x80a000, 0x3000, 1}, {0x80d000, 0x1000, 2}, {0x80e000, 0x1000, 3}};
}

// Deterministic filler (an LCG: test data, not cryptography).
inline Bytes filler(size_t n, uint64_t seed) {
  Bytes b(n);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& c : b) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    c = uint8_t(x >> 56);
  }
  return b;
}

inline void put_le(Bytes& b, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(uint8_t(v >> (8 * i)));
}

inline Bytes build_firmware(const SynthFirmware& s) {
  using psp::digest::Guid;
  Bytes meta(s.meta_signature.begin(), s.meta_signature.end());
  put_le(meta, 16 + 12 * s.sections.size(), 4);
  put_le(meta, s.meta_version, 4);
  put_le(meta, s.sections.size(), 4);
  for (const auto& sec : s.sections) {
    put_le(meta, sec.gpa, 4);
    put_le(meta, sec.size, 4);
    put_le(meta, sec.type, 4);
  }
  struct Entry {
    Guid g;
    Bytes data;
  };
  std::vector<Entry> entries;
  if (s.with_reset_block) {
    Bytes d;
    put_le(d, s.reset_eip, 4);
    entries.push_back({psp::digest::guids::kSevEsResetBlock, d});
  }
  if (s.with_hashes_entry) {
    Bytes d;
    put_le(d, s.hashes_gpa, 4);
    put_le(d, 0x400, 4);
    entries.push_back({psp::digest::guids::kSevHashTableRv, d});
  }
  auto table = [&](uint32_t meta_off) {
    std::vector<Entry> all = entries;
    if (s.with_metadata) {
      Bytes d;
      put_le(d, meta_off, 4);
      all.push_back({psp::digest::guids::kSevMetadata, d});
    }
    Bytes t;
    for (const auto& e : all) {
      t.insert(t.end(), e.data.begin(), e.data.end());
      put_le(t, e.data.size() + 18, 2);
      t.insert(t.end(), e.g.bytes.begin(), e.g.bytes.end());
    }
    put_le(t, t.size() + 18, 2);
    const auto& fg = psp::digest::guids::kFooterTable.bytes;
    t.insert(t.end(), fg.begin(), fg.end());
    t.resize(t.size() + 32, 0);
    return t;
  };
  const uint32_t meta_off = uint32_t(table(0).size() + meta.size() + 64);
  const Bytes tail = table(meta_off);
  Bytes img = filler(s.pages * 4096, s.seed);
  const size_t n = img.size();
  if (s.with_metadata) std::copy(meta.begin(), meta.end(), img.begin() + (n - meta_off));
  std::copy(tail.begin(), tail.end(), img.end() - tail.size());
  const Bytes extra = filler(s.trailing_bytes, s.seed + 100);
  img.insert(img.end(), extra.begin(), extra.end());
  return img;
}

}  // namespace cbit::testutil
