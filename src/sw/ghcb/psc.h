// SEV-SNP page state changes between guest and hypervisor (GHCB specification 2.0 §4.1.6 "SNP
// Page State Change" and §2.3.1 MSR protocol; Linux arch/x86/include/asm/sev-common.h and
// sev.h struct psc_hdr / psc_entry; KVM arch/x86/kvm/svm/sev.c snp_begin_psc; SPEC-FACTS.md
// "SNP: GHCB").
//
// Two channels. The MSR protocol carries one 4 KiB page: GHCB_MSR_PSC_REQ 0x014 with the GFN in
// [51:12] and the operation in [55:52]; the answer GHCB_MSR_PSC_RESP 0x015 has the error in
// [63:32] (0 = done). The PSC NAE event (SW_EXITCODE 0x8000_0010) carries a buffer in the GHCB's
// shared area: header {u16 cur_entry; u16 end_entry; u32 reserved} then up to 253 u64 entries
// {cur_page:12, gfn:40, operation:4, pagesize:1, reserved:7}. The hypervisor works from
// cur_entry to end_entry (inclusive), advancing cur_entry and, for a 2 MiB entry, cur_page, so a
// guest can resume a partly done buffer; SW_EXITINFO2 returns 0 or an error:
// VMGEXIT_PSC_ERROR_INVALID_HDR (cur_entry > end_entry, end_entry >= 253),
// VMGEXIT_PSC_ERROR_INVALID_ENTRY (an operation other than private/shared, cur_page beyond the
// page, a 2 MiB entry whose GFN is not 2 MiB-aligned; KVM's checks), or
// VMGEXIT_PSC_ERROR_GENERIC. The guest PVALIDATEs after making a page private and rescinds before
// making it shared (Linux __set_pages_state).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "sw/ghcb/ghcb.h"

namespace cbit::sw::ghcb {

// Operations (SNP_PAGE_STATE_* / VMGEXIT_PSC_OP_*): 3 and 4 are hints that only the NAE buffer
// can carry, and KVM refuses them.
enum class PscOp : uint8_t { Private = 1, Shared = 2, Psmash = 3, Unsmash = 4 };

inline constexpr unsigned kPscMaxEntries = 253;  // VMGEXIT_PSC_MAX_ENTRY
inline constexpr size_t kPscHeaderSize = 8;
inline constexpr size_t kPscEntrySize = 8;
inline constexpr size_t kPscBufferSize = kPscHeaderSize + kPscMaxEntries * kPscEntrySize;  // 2032
static_assert(kPscBufferSize == off::kSharedBufferSize);
inline constexpr uint64_t kPscErrorInvalidHdr = (1ull << 32) | 1;  // VMGEXIT_PSC_ERROR_INVALID_HDR
inline constexpr uint64_t kPscErrorInvalidEntry = (1ull << 32) | 2;  // _INVALID_ENTRY
inline constexpr uint64_t kPscErrorGeneric = 0x100ull << 32;         // _GENERIC

struct PscEntry {
  uint16_t cur_page = 0;  // 12 bits: 4 KiB pages of a 2 MiB entry already done
  uint64_t gfn = 0;       // 40 bits
  uint8_t operation = 0;  // 4 bits, a PscOp when valid
  bool pagesize_2m = false;
  uint8_t reserved = 0;  // 7 bits

  uint64_t encode() const;
  static PscEntry decode(uint64_t raw);
  bool operator==(const PscEntry&) const = default;
};

struct PscBuffer {
  uint16_t cur_entry = 0;
  uint16_t end_entry = 0;
  uint32_t reserved = 0;
  std::vector<PscEntry> entries;  // the entries present in the buffer (end_entry + 1 when valid)

  // Guest side: a buffer for `entries` (1..253), cur_entry 0, end_entry = size - 1. The entries
  // must fit (gfn < 2^40, cur_page < 2^12), else CBIT_ASSERT: a guest kernel bug, not input.
  static PscBuffer make(std::vector<PscEntry> entries);
  // Header and entries in the shared buffer's layout (8 + 8 * entries.size() bytes).
  Bytes serialize() const;
};

// Hypervisor side: reads the shared buffer the guest wrote (hostile bytes: any size, any
// content). error is 0 with the buffer, or the SW_EXITINFO2 value to return.
struct PscDecode {
  uint64_t error = 0;
  PscBuffer buffer;  // header always; entries 0..end_entry when the header is valid
};
PscDecode psc_decode(ByteSpan shared_buffer);
// KVM's per-entry check (snp_begin_psc): 0 or kPscErrorInvalidEntry.
uint64_t psc_check_entry(const PscEntry& e);
// 4 KiB pages in an entry (1 or 512).
constexpr uint64_t psc_entry_pages(const PscEntry& e) { return e.pagesize_2m ? 512 : 1; }

// The MSR protocol.
namespace msr_proto {
constexpr uint64_t psc_req(uint64_t gfn, PscOp op) {
  return uint64_t{static_cast<uint8_t>(op) & 0xfu} << 52 | (gfn & ((1ull << 40) - 1)) << 12 |
         kPscReq;
}
constexpr uint64_t psc_req_gfn(uint64_t msr) { return (msr >> 12) & ((1ull << 40) - 1); }
constexpr uint8_t psc_req_op(uint64_t msr) { return (msr >> 52) & 0xf; }
constexpr uint64_t psc_resp(uint32_t error) { return uint64_t{error} << 32 | kPscResp; }
constexpr uint32_t psc_resp_error(uint64_t msr) { return static_cast<uint32_t>(msr >> 32); }
}  // namespace msr_proto

}  // namespace cbit::sw::ghcb
