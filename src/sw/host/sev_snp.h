// The SEV-SNP host support of the Linux kernel (arch/x86/virt/svm/sev.c, Linux 6.9): the RMP
// set-up at boot and the page-state changes everything above it (the ccp driver, KVM) makes
// through RMPUPDATE. SNP-FACTS.md 1.1 (table placement, the SYSCFG order), 1.4 (RMPUPDATE,
// PSMASH and their return codes), 1.5 (why the direct map is split).
//
// snp_rmptable_init(): the BIOS reserved the RMP (RMP_BASE / RMP_END, out of the memory map);
// the kernel checks that it covers all of memory, zeroes it, WBINVDs on every core (the zeroes
// must reach DRAM before the hardware reads the table), sets SYSCFG.MFDM on every core and then
// SNP_EN | VMPL_EN on every core, and prints "SEV-SNP: RMP table physical range [...]". Without
// a reservation or with too small a table SNP stays off (CC_ATTR_HOST_SEV_SNP false) and the
// kernel says why, in Linux's words.
//
// rmp_make_private(pfn, gpa, level, asid, immutable) / rmp_make_shared(pfn, level) are the
// symmetric pair: one RMPUPDATE through the simulated core with a struct rmp_state in kernel
// memory (Linux's is on the stack), retried while the core answers FAIL_OVERLAP (another core
// holds the 2 MiB region; Linux loops; the model bounds the loop because nothing else runs,
// so a persistent overlap is a caller's error). Before a 4 KiB page changes hands,
// adjust_direct_map() splits the 2 MiB direct-map page around it: a host write through a 2 MiB
// mapping that covers any assigned 4 KiB page takes an RMP #PF (APM Table 15-39).
// A failure prints Linux's "RMPUPDATE failed for PFN ..." with the entry and returns -EFAULT.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "common/addr.h"

namespace cbit::sw::host {

class HostKernel;

// enum pg_level (arch/x86/include/asm/pgtable_types.h).
enum PgLevel4K2M : int { PG_LEVEL_4K = 1, PG_LEVEL_2M = 2 };

// struct rmp_state (arch/x86/include/asm/sev.h): RMPUPDATE's 16-byte operand.
struct __attribute__((packed)) rmp_state {
  uint64_t gpa;
  uint8_t assigned;
  uint8_t pagesize;
  uint8_t immutable;
  uint8_t rsvd;
  uint32_t asid;
};
static_assert(sizeof(rmp_state) == 16);

// RMPUPDATE / PSMASH return codes (asm/sev.h).
inline constexpr int RMPUPDATE_FAIL_OVERLAP = 4;
inline constexpr int PSMASH_FAIL_INUSE = 3;

class SevSnpHost {
 public:
  explicit SevSnpHost(HostKernel& kernel);
  ~SevSnpHost();
  SevSnpHost(const SevSnpHost&) = delete;
  SevSnpHost& operator=(const SevSnpHost&) = delete;

  // snp_probe_rmptable_info() + snp_rmptable_init(). 0 with SNP enabled, -ENOSYS when SNP stays
  // off (no SNP on the part, no BIOS reservation, table too small: each logged).
  int snp_rmptable_init();
  bool enabled() const { return enabled_; }  // CC_ATTR_HOST_SEV_SNP
  uint64_t rmp_base() const { return rmp_base_; }
  uint64_t rmp_end() const { return rmp_end_; }

  // 0 or -errno (-ENODEV without SNP, -EINVAL for a pfn outside memory or a misaligned 2 MiB
  // pfn, -EFAULT when RMPUPDATE fails).
  int rmp_make_private(Pfn pfn, uint64_t gpa, int level, uint32_t asid, bool immutable);
  int rmp_make_shared(Pfn pfn, int level);
  // PSMASH of the 2 MiB region at pfn: its return code (0, 1..4) or -ENODEV / -EINVAL.
  // KVM retries while PSMASH_FAIL_INUSE.
  int psmash(Pfn pfn);
  // rmp_mark_pages_firmware(): npages 4 KiB pages to Firmware state (assigned, ASID 0,
  // immutable); on failure the pages already converted go back to shared. 0 or -errno.
  int rmp_mark_pages_firmware(SysPhysAddr paddr, unsigned npages);
  // snp_leak_pages(): pages that could not be made shared again never return to the allocator.
  void snp_leak_pages(Pfn pfn, unsigned npages);
  uint64_t leaked_pages() const { return leaked_; }

  // "PFN 0x..., RMP entry: [0x... - 0x...]" (dump_rmpentry), for logs and tests.
  std::string dump_rmpentry(Pfn pfn) const;
  // RMPUPDATE attempts that answered FAIL_OVERLAP and were retried (tests).
  uint64_t overlap_retries() const { return overlap_retries_; }

  static constexpr unsigned kMaxOverlapRetries = 64;

 private:
  int rmpupdate(Pfn pfn, const rmp_state& state);
  int adjust_direct_map(Pfn pfn, int rmp_level);
  bool pfn_valid(uint64_t pfn) const;

  HostKernel& k_;
  bool enabled_ = false;
  uint64_t rmp_base_ = 0, rmp_end_ = 0;
  std::optional<VirtAddr> state_page_;  // where struct rmp_state lives ("the stack")
  uint64_t leaked_ = 0;
  uint64_t overlap_retries_ = 0;
};

}  // namespace cbit::sw::host
