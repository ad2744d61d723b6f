// What an attacker with the raw physical view sees in each page, for the memory map picture
// (AMDSEV#185: "any tool to tell which pages have the C-bit set?"). The classes come from the
// simulator's own bookkeeping of which key last wrote each line (a debug view: key slot numbers
// only, never key bytes), cross-checked with the bytes themselves.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cbit::tools::map {

enum class PageKind : uint8_t {
  Untouched,   // never written: reads as zero
  Zero,        // written, all zero bytes
  Plaintext,   // written without encryption: the attacker reads it as it is
  Ciphertext,  // written through the AES engine with key slot `key`
  Mixed,       // lines under more than one key, or some plain and some encrypted
  // `cbit map --scenario snp`: pages the RMP does not give the hypervisor, by RMP state
  // (hw/rmp/rmp_entry.h; the hypervisor's own pages keep the classes above).
  RmpFirmware,      // Firmware / Context / Metadata: the Secure Processor's (the RMP itself, GCTX)
  RmpVmsa,          // a guest's VMSA page (Guest-Valid with RMP.VMSA), `key` = its ASID
  RmpGuestValid,    // Guest-Valid: the guest accepted it (PVALIDATE), `key` = its ASID
  RmpGuestInvalid,  // Guest-Invalid / Pre-Guest / Pre-Swap: assigned, not validated; `key` ASID
};

struct PageCell {
  PageKind kind = PageKind::Untouched;
  uint32_t key = 0;  // key slot (0 = host SME/TSME key, n = ASID n) when kind == Ciphertext;
                     // the owning ASID for the RMP guest kinds
};

struct MapInput {
  std::string title;            // e.g. "naples, SME partial encryption"
  uint64_t first_pfn = 0;       // the page of cell 0
  std::vector<PageCell> cells;  // one per page, consecutive
};

}  // namespace cbit::tools::map
