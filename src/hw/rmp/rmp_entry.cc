#include "hw/rmp/rmp_entry.h"

#include "common/bytes.h"

namespace cbit::hw::rmp {
namespace {
constexpr uint64_t bits(uint64_t v, unsigned lo, unsigned n) { return v >> lo & ((1ull << n) - 1); }
// ASPFW keeps firmware state in GPA bits 38:36 of firmware-owned entries.
constexpr uint64_t kGpaStateShift = 36;
constexpr uint64_t kGpaStateMetadata = 1, kGpaStateFwIommu = 2;
}  // namespace

RmpEntry RmpEntry::decode(const RawRmpEntry& raw) {
  const uint64_t lo = load_le<uint64_t>(raw.data());
  const uint64_t hi = load_le<uint64_t>(raw.data() + 8);
  RmpEntry e;
  e.assigned = bits(lo, 0, 1);
  e.page_size_2m = bits(lo, 1, 1);
  e.immutable = bits(lo, 2, 1);
  e.subpage_count = static_cast<uint16_t>(bits(lo, 3, 9));
  e.gpa = bits(lo, 12, 39) << 12;
  e.asid = static_cast<uint32_t>(bits(lo, 51, 10));
  e.vmsa = bits(lo, 61, 1);
  e.validated = bits(lo, 62, 1);
  e.lock = bits(lo, 63, 1);
  for (unsigned v = 0; v < kVmpls; ++v) e.vmpl_perms[v] = static_cast<uint8_t>(hi >> (8 * v));
  return e;
}

RawRmpEntry RmpEntry::encode() const {
  uint64_t lo = 0, hi = 0;
  lo |= uint64_t{assigned} << 0;
  lo |= uint64_t{page_size_2m} << 1;
  lo |= uint64_t{immutable} << 2;
  lo |= (uint64_t{subpage_count} & 0x1FF) << 3;
  lo |= (gpa >> 12 & ((1ull << 39) - 1)) << 12;
  lo |= (uint64_t{asid} & 0x3FF) << 51;
  lo |= uint64_t{vmsa} << 61;
  lo |= uint64_t{validated} << 62;
  lo |= uint64_t{lock} << 63;
  for (unsigned v = 0; v < kVmpls; ++v) hi |= uint64_t{vmpl_perms[v]} << (8 * v);
  RawRmpEntry raw{};
  store_le<uint64_t>(raw.data(), lo);
  store_le<uint64_t>(raw.data() + 8, hi);
  return raw;
}

PageState rmp_entry_get_state(const RmpEntry& e) {
  const uint64_t gpa_state = e.gpa >> kGpaStateShift & 7;
  if (!e.assigned && !e.validated && e.asid == 0)
    return e.immutable ? PageState::HvFixed : PageState::Hypervisor;
  if (e.assigned && !e.validated && e.asid == 0) {
    if (!e.immutable) return PageState::Reclaim;
    if (e.gpa == 0) return e.vmsa ? PageState::Context : PageState::Firmware;
    if (gpa_state == kGpaStateMetadata) return PageState::Metadata;
    if (gpa_state == kGpaStateFwIommu) return PageState::FirmwareIommu;
    return PageState::Invalid;
  }
  if (e.assigned && e.asid != 0) {
    if (e.immutable) return e.validated ? PageState::PreSwap : PageState::PreGuest;
    return e.validated ? PageState::GuestValid : PageState::GuestInvalid;
  }
  return PageState::Invalid;
}

const char* page_state_name(PageState s) {
  switch (s) {
    case PageState::Hypervisor:
      return "HYPERVISOR";
    case PageState::HvFixed:
      return "HV_FIXED";
    case PageState::Firmware:
      return "FIRMWARE";
    case PageState::Reclaim:
      return "RECLAIM";
    case PageState::Context:
      return "CONTEXT";
    case PageState::Metadata:
      return "METADATA";
    case PageState::PreGuest:
      return "PRE_GUEST";
    case PageState::PreSwap:
      return "PRE_SWAP";
    case PageState::GuestInvalid:
      return "GUEST_INVALID";
    case PageState::GuestValid:
      return "GUEST_VALID";
    case PageState::FirmwareIommu:
      return "FIRMWARE_IOMMU";
    case PageState::Invalid:
      return "INVALID";
  }
  return "?";
}

}  // namespace cbit::hw::rmp
