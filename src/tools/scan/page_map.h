// Which guest-physical pages are private (encrypted with the guest's key) and which are shared
// with the hypervisor, so a finding can be attributed (AMDSEV#31: a string typed in the guest
// was found from the host because it went through shared pages).
//
// File format (JSON; docs/scan.md is the reference the simulation side writes to):
//   {
//     "format": "cbit-page-map", "version": 1,
//     "regions": [
//       {"gpa": "0x0",      "size": "0x9f000",  "kind": "private"},
//       {"gpa": "0x9f000",  "size": 4096,       "kind": "shared", "label": "swiotlb"},
//       ...
//     ]
//   }
// A top-level array of regions is accepted too. gpa and size are numbers or "0x" hex strings;
// both must be multiples of 4096 and size > 0; regions must not overlap. kind is one of
// "private" (C-bit set / RMP-assigned to the guest: the host sees ciphertext, or zeros with
// guest_memfd), "shared" (C-bit clear: virtio rings and buffers, swiotlb bounce buffers, GHCB,
// framebuffer; the host reads plaintext by design), "mmio" or "unaccepted" (SNP memory the guest
// has not PVALIDATEd yet). label is free text, shown next to findings ("virtio-net rx").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cbit::tools::scan {

enum class MemKind : uint8_t { Unmapped, Private, Shared, Mmio, Unaccepted };
inline constexpr int kMemKindCount = 5;

struct Region {
  uint64_t gpa = 0;
  uint64_t size = 0;
  MemKind kind = MemKind::Private;
  std::string label;
};

class PageMap {
 public:
  PageMap() = default;
  // Throws InputError naming `name` and the region index for anything malformed.
  static PageMap parse(std::string_view json_text, const std::string& name);
  static PageMap load(const std::string& path);

  // The region holding `gpa`, or nullptr.
  const Region* find(uint64_t gpa) const;
  MemKind kind_of(uint64_t gpa) const {
    const Region* r = find(gpa);
    return r ? r->kind : MemKind::Unmapped;
  }
  bool empty() const { return regions_.empty(); }
  const std::vector<Region>& regions() const { return regions_; }

 private:
  std::vector<Region> regions_;  // sorted by gpa, non-overlapping
};

std::string_view mem_kind_name(MemKind k);  // "unmapped", "private", "shared", ...
std::optional<MemKind> mem_kind_from_name(std::string_view s);

}  // namespace cbit::tools::scan
