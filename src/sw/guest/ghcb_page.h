// The guest's view of the GHCB (arch/x86/include/asm/svm.h struct ghcb, the ghcb_set_*/
// ghcb_*_is_valid accessors, vc_ghcb_invalidate in arch/x86/kernel/sev-shared.c) and of the
// GHCB MSR protocol answers (arch/x86/include/asm/sev-common.h GHCB_MSR_*). Offsets and codes
// come from sw/ghcb/ghcb.h, which the hypervisor uses too.
//
// The page is built in a local buffer and written to the shared GHCB page in one store before
// VMGEXIT, then read back whole: the hypervisor sees exactly what the guest chose to put there.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "sw/ghcb/ghcb.h"

namespace cbit::sw::guest {

class GhcbPage {
 public:
  GhcbPage() { bytes_.fill(0); }

  // vc_ghcb_invalidate(): no exit code, no field valid.
  void invalidate();
  // ghcb_set_<field>(): the value and its valid bit.
  void set(uint64_t field_off, uint64_t value);
  void set_cpl(uint8_t cpl);  // a u8 at 0xCB; its valid bit is that of the quadword at 0xC8
  uint64_t get(uint64_t field_off) const { return load_le<uint64_t>(bytes_.data() + field_off); }
  bool is_valid(uint64_t field_off) const;
  // The header Linux fills in sev_es_ghcb_hv_call(): protocol version, GHCB_DEFAULT_USAGE.
  void set_protocol(uint16_t version, uint32_t usage = 0);

  MutByteSpan bytes() { return bytes_; }
  ByteSpan bytes() const { return bytes_; }

 private:
  void mark_valid(unsigned bit);
  std::array<uint8_t, ghcb::kGhcbSize> bytes_;
};

// GHCB_MSR_SEV_INFO_RESP: the protocol range the hypervisor speaks and the C-bit position.
struct SevInfo {
  uint16_t max = 0, min = 0;
  unsigned cbit = 0;
};
std::optional<SevInfo> decode_sev_info(uint64_t msr);
// GHCB_MSR_CPUID_RESP: the register value, nullopt if `msr` is not a CPUID response.
std::optional<uint32_t> decode_cpuid_resp(uint64_t msr);
// The protocol version the guest uses (sev_es_negotiate_protocol): nullopt when the ranges do
// not overlap.
std::optional<uint16_t> negotiate_protocol(const SevInfo& info);

}  // namespace cbit::sw::guest
