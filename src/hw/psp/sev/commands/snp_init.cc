// SNP_INIT and SNP_INIT_EX (SNP ABI "SNP_INIT"; AMD-ASPFW sev_mcmd.c snp_mcmd_init_common,
// configure_rmp; SNP-FACTS.md §1.3, §2.3). Checks in ASPFW's order:
//   1. INIT_EX: reserved fields -> INVALID_PARAM (also flags this part lacks: ciphertext hiding,
//      TIO);
//   2. SNP or SEV already initialised -> INVALID_PLATFORM_STATE (SNP_INIT must precede SEV INIT);
//   3. INIT_EX without INIT_RMP: RMP never built -> RMP_INIT_REQUIRED; LIST_PADDR_EN without
//      INIT_RMP -> INVALID_PARAM;
//   4. every core: SYSCFG MemEncryptionModEn, SNP_EN, VMPL_EN set and SYSCFG identical, MFDM set;
//      HWCR identical with SmmLock; RMP_BASE/RMP_END identical, 1 MiB aligned and covering the
//      table the hardware enabled -> INVALID_CONFIG;
//   4b. firmware with the BadRAM fix (1.55.22+, hw/psp/sev/alias_check.h): a DRAM alias in the
//      memory map -> INVALID_CONFIG (cbit's choice of status; the public sources name none);
//      a clean probe sets ALIAS_CHECK_COMPLETE for SNP_PLATFORM_STATUS;
//   5. when building the RMP: VM_HSAVE_PA zero on every core -> INVALID_CONFIG; a range list that
//      does not fit one page -> INVALID_PARAM.
// Then the initial RMP (§1.3): every entry HV_Fixed, DRAM pages Hypervisor, the range list's
// pages HV_Fixed, the RMP itself Firmware; the per-ASID counters zero. Every ASID becomes Dirty
// and every core's WBINVD_DONE is cleared (Linux follows with WBINVD on all CPUs and
// SNP_DF_FLUSH).
#include <algorithm>
#include <array>
#include <span>

#include "hw/cpu/msr.h"
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/alias_check.h"
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::psp::sev {
namespace {

constexpr uint64_t k1MiB = 1ull << 20;
constexpr uint64_t kRangeListMax = (kPageSize - 8) / 16;  // struct sev_data_range in one page

// SYSCFG, HWCR and the RMP bounds, the same on every core and as SNP needs them.
SevStatus check_cores(const CoreMsrReader& m, const rmp::Rmp& rmp) {
  if (m.cores() == 0) return SevStatus::InvalidConfig;
  const uint64_t need =
      syscfg::kMemEncryptionModEn | syscfg::kSnpEn | syscfg::kSnpVmplEn | syscfg::kMfdm;
  const uint64_t syscfg0 = m.read_msr(0, msr::kSyscfg), hwcr0 = m.read_msr(0, msr::kHwcr);
  const uint64_t base0 = m.read_msr(0, msr::kRmpBase), end0 = m.read_msr(0, msr::kRmpEnd);
  for (unsigned c = 0; c < m.cores(); ++c) {
    const uint64_t sc = m.read_msr(c, msr::kSyscfg);
    if ((sc & need) != need || sc != syscfg0) return SevStatus::InvalidConfig;
  }
  for (unsigned c = 0; c < m.cores(); ++c) {
    const uint64_t hw = m.read_msr(c, msr::kHwcr);
    if (!(hw & hwcr::kSmmLock) || hw != hwcr0) return SevStatus::InvalidConfig;
  }
  for (unsigned c = 0; c < m.cores(); ++c)
    if (m.read_msr(c, msr::kRmpBase) != base0 || m.read_msr(c, msr::kRmpEnd) != end0)
      return SevStatus::InvalidConfig;
  if (!rmp.enabled() || rmp.bounds_mismatch()) return SevStatus::InvalidConfig;
  const rmp::RmpBounds& b = rmp.table().bounds();
  if (b.base % k1MiB) return SevStatus::InvalidConfig;
  if (!b.segmented) {
    if (b.base != base0 || b.end != end0 || end0 < b.base) return SevStatus::InvalidConfig;
    if ((end0 + 1 - b.base) % k1MiB) return SevStatus::InvalidConfig;
  }
  return SevStatus::Success;
}

}  // namespace

// struct sev_data_snp_init_ex { u32 flags; u32 rsvd1; u64 list_paddr; u16 max_snp_asid;
//                               u8 rsvd2[46]; }
SevStatus SevFirmware::cmd_snp_init(Bytes& buf, bool ex) {
  uint32_t flags = kSnpInitRmp;
  uint64_t list_paddr = 0;
  if (ex) {
    const uint8_t* b = buf.data();
    flags = load_le<uint32_t>(b);
    list_paddr = load_le<uint64_t>(b + 8);
    bool rsvd = load_le<uint32_t>(b + 4) != 0;
    for (size_t i = 18; i < kSnpInitExLen; ++i) rsvd |= b[i] != 0;
    const uint32_t known = kSnpInitRmp | kSnpInitListPaddrEn | kSnpInitRaplDis |
                           (snp_tcb_.ciphertext_hiding ? kSnpInitCiphertextHidingEn : 0);
    if (rsvd || (flags & ~known)) return SevStatus::InvalidParam;
  }
  if (snp_state_ != SnpPlatformState::Uninit || state_ != PlatformState::Uninit)
    return SevStatus::InvalidPlatformState;
  const bool init_rmp = flags & kSnpInitRmp;
  if (!init_rmp && !rmp_initialized_) return SevStatus::RmpInitRequired;
  if ((flags & kSnpInitListPaddrEn) && !init_rmp) return SevStatus::InvalidParam;
  if (!snp_.rmp || !snp_.msrs) return SevStatus::InvalidConfig;  // a part without SNP
  if (SevStatus st = check_cores(*snp_.msrs, *snp_.rmp); st != SevStatus::Success) return st;
  if (firmware_has_alias_check(cfg_.api_major, cfg_.api_minor, cfg_.build)) {
    if (dram_alias_check(sp_.mc_, 1ull << 52) != 0) return SevStatus::InvalidConfig;
    alias_check_complete_ = true;
  }

  if (init_rmp) {
    for (unsigned c = 0; c < snp_.msrs->cores(); ++c)
      if (snp_.msrs->read_msr(c, msr::kVmHsavePa) != 0) return SevStatus::InvalidConfig;
    // The range list: u32 count, u32 rsvd, then {u64 base; u32 pages; u32 rsvd} (one page).
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    if (flags & kSnpInitListPaddrEn) {
      Bytes hdr(8);
      if (SevStatus st = host_read(list_paddr, hdr); st != SevStatus::Success) return st;
      const uint32_t n = load_le<uint32_t>(hdr.data());
      if (n > kRangeListMax) return SevStatus::InvalidParam;
      Bytes list(8 + 16 * size_t(n));
      if (SevStatus st = host_read(list_paddr, list); st != SevStatus::Success) return st;
      for (uint32_t i = 0; i < n; ++i) {
        const uint8_t* r = list.data() + 8 + 16 * i;
        const uint64_t base = load_le<uint64_t>(r);
        if (base % kPageSize) return SevStatus::InvalidParam;
        ranges.emplace_back(base, base + uint64_t(load_le<uint32_t>(r + 8)) * kPageSize);
      }
    }
    // configure_rmp: walk every covered page (contiguous table: from SPA 0; segmented: each
    // covered segment).
    rmp::RmpTable& t = snp_.rmp->table();
    const rmp::RmpBounds& b = t.bounds();
    // The entries go to the table 256 pages at a time (RmpTable::write_run).
    std::array<rmp::RmpEntry, kPageSize / rmp::kRmpEntrySize> run;
    const auto build = [&](uint64_t first, uint64_t last) {
      for (uint64_t spa0 = first; spa0 < last; spa0 += run.size() * kPageSize) {
        const size_t n = std::min<uint64_t>(run.size(), (last - spa0 + kPageSize - 1) / kPageSize);
        // A run of DRAM outside the range list and the table: every entry is the hypervisor's.
        const uint64_t end = spa0 + n * kPageSize;
        const bool plain = sp_.mc_.is_backed(SysPhysAddr(spa0), end - spa0) &&
                           !t.overlaps_table(SysPhysAddr(spa0), end - spa0) &&
                           std::none_of(ranges.begin(), ranges.end(), [&](const auto& r) {
                             return r.first < end && spa0 < r.second;
                           });
        for (size_t i = 0; i < n; ++i) {
          const uint64_t spa = spa0 + i * kPageSize;
          const SysPhysAddr a(spa);
          rmp::RmpEntry& e = run[i] = rmp::RmpEntry{};  // Hypervisor
          if (plain) continue;
          if (!sp_.mc_.is_backed(a, kPageSize)) e.immutable = true;  // not DRAM: HV_Fixed
          for (const auto& [lo, hi] : ranges)
            if (spa >= lo && spa < hi) e.immutable = true;
          if (t.overlaps_table(a, kPageSize)) {
            e.assigned = true;  // the RMP protects itself: Firmware
            e.immutable = true;
          }
        }
        t.write_run(SysPhysAddr(spa0), std::span<const rmp::RmpEntry>(run.data(), n));
      }
    };
    if (!b.segmented) {
      build(0, (b.end + 1 - b.base - rmp::kBookkeepingSize) / rmp::kRmpEntrySize * kPageSize);
    } else {
      for (unsigned i = 0; i < rmp::kMaxSegments; ++i) {
        const uint64_t seg = uint64_t(i) << b.segment_shift;
        uint64_t end = seg;
        while (t.covers(SysPhysAddr(end)) && end - seg < (1ull << b.segment_shift))
          end += kPageSize;
        build(seg, end);
      }
    }
    for (uint32_t a = 0; a < rmp::kAsidCounters; ++a) t.set_asid_count(a, 0);
    rmp_initialized_ = true;
  }
  asids_.assign(max_asid(), AsidState::Dirty);
  wbinvd_.clear_all();
  snp_init_flags_ = flags;
  snp_state_ = SnpPlatformState::Init;
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
