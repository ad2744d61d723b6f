#include "sw/host/sev_snp.h"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "hw/cpu/msr.h"
#include "hw/machine.h"
#include "hw/rmp/rmp_table.h"
#include "sw/host/kernel.h"
#include "sw/host/smp.h"

namespace cbit::sw::host {

namespace {
constexpr uint64_t RMP_ADDR_MASK = 0x000fffffffffe000ull;  // GENMASK_ULL(51, 13)
constexpr uint64_t PTRS_PER_PMD = 512;
constexpr uint64_t kMiB = 1ull << 20;
}  // namespace

SevSnpHost::SevSnpHost(HostKernel& kernel) : k_(kernel) {}

SevSnpHost::~SevSnpHost() {
  if (state_page_) k_.free_pages(*state_page_, 0);
}

bool SevSnpHost::pfn_valid(uint64_t pfn) const {
  return pfn < (k_.machine().dram().size() >> kPageShift);
}

// snp_probe_rmptable_info() (at boot, on the BSP) and snp_rmptable_init() (device initcall).
int SevSnpHost::snp_rmptable_init() {
  if (enabled_) return 0;
  auto& m = k_.machine();
  auto& cpu = m.cpu(0);
  // X86_FEATURE_SEV_SNP: CPUID Fn8000_001F EAX[4], and Linux keeps it only with SME usable
  // (MemEncryptionModEn) and the host's memory encryption on.
  const bool cpuid_snp =
      cpu.cpuid(0x80000000, 0).eax >= 0x8000001f && (cpu.cpuid(0x8000001f, 0).eax & (1u << 4));
  if (!cpuid_snp || !(cpu.rdmsr(hw::msr::kSyscfg) & hw::syscfg::kMemEncryptionModEn))
    return -ENOSYS;
  const uint64_t base = cpu.rdmsr(hw::msr::kRmpBase);
  const uint64_t end = cpu.rdmsr(hw::msr::kRmpEnd);
  if (!(base & RMP_ADDR_MASK) || !(end & RMP_ADDR_MASK)) {
    k_.pr_info("SEV-SNP: Memory for the RMP table has not been reserved by BIOS");
    return -ENOSYS;
  }
  if (base > end) {
    k_.pr_info(
        fmt::format("SEV-SNP: RMP configuration not valid: base={:#x}, end={:#x}", base, end));
    return -ENOSYS;
  }
  const uint64_t size = end - base + 1;
  // "Calculate the amount the memory that must be reserved by the BIOS to address the whole
  // RAM, including the bookkeeping area": (max_pfn << 4) + RMPTABLE_CPU_BOOKKEEPING_SZ.
  const uint64_t max_pfn = m.dram().size() >> kPageShift;
  const uint64_t needed = (max_pfn << 4) + hw::rmp::kBookkeepingSize;
  if (needed > size) {
    k_.pr_info(fmt::format(
        "SEV-SNP: Memory reserved for the RMP table does not cover full system RAM (expected "
        "{:#x} got {:#x})",
        needed, size));
    return -ENOSYS;
  }
  rmp_base_ = base;
  rmp_end_ = base + size - 1;
  k_.pr_info(fmt::format("SEV-SNP: RMP table physical range [0x{:016x} - 0x{:016x}]", rmp_base_,
                         rmp_end_));

  // "Check if SEV-SNP is already enabled, this can happen in case of kexec boot."
  if (!(cpu.rdmsr(hw::msr::kSyscfg) & hw::syscfg::kSnpEn)) {
    // memset(rmptable_start, 0, probed_rmp_size). The model's hardware reads the table as
    // plaintext (hw/rmp/rmp_table.h), so the zeroes go through a mapping without the C-bit
    // (what memremap() of the reserved range gives without SME).
    // (From one zeroed page of static storage: a 1 MiB heap buffer cost the host 256 page
    // faults per boot, a tenth of the RMP clear.)
    static constexpr std::array<uint8_t, kPageSize> kZeros{};
    for (uint64_t off = 0; off < size; off += kPageSize)
      m.cache().write(SysPhysAddr(rmp_base_ + off),
                      ByteSpan(kZeros).first(std::min<uint64_t>(kPageSize, size - off)),
                      hw::MemAttr::plain());
    // "Flush the caches to ensure that data is written before SNP is enabled."
    wbinvd_on_all_cpus(m);
    // "MtrrFixDramModEn must be enabled on all the CPUs prior to enabling SNP."
    for (unsigned c = 0; c < m.cores(); ++c) {
      auto& core = m.cpu(c);
      core.wrmsr(hw::msr::kSyscfg, core.rdmsr(hw::msr::kSyscfg) | hw::syscfg::kMfdm);
    }
    for (unsigned c = 0; c < m.cores(); ++c) {  // snp_enable()
      auto& core = m.cpu(c);
      core.wrmsr(hw::msr::kSyscfg,
                 core.rdmsr(hw::msr::kSyscfg) | hw::syscfg::kSnpEn | hw::syscfg::kSnpVmplEn);
    }
  }
  if (!state_page_) {
    state_page_ = k_.alloc_pages(0);
    if (!state_page_) return -ENOMEM;
  }
  enabled_ = true;
  return 0;
}

std::string SevSnpHost::dump_rmpentry(Pfn pfn) const {
  auto& rmp = k_.machine().rmp();
  if (!rmp.enabled() || !rmp.table().covers(pfn.addr()))
    return fmt::format("Failed to read RMP entry for PFN 0x{:x}", pfn.value);
  const auto raw = rmp.table().read(pfn.addr()).encode();
  return fmt::format("PFN 0x{:x}, RMP entry: [0x{:016x} - 0x{:016x}]", pfn.value,
                     load_le<uint64_t>(raw.data() + 8), load_le<uint64_t>(raw.data()));
}

// adjust_direct_map(): a 4 KiB page about to become private must not sit under a 2 MiB
// mapping of the host's direct map.
int SevSnpHost::adjust_direct_map(Pfn pfn, int rmp_level) {
  if (rmp_level > PG_LEVEL_2M) return -EINVAL;
  if (rmp_level == PG_LEVEL_2M && pfn.value % PTRS_PER_PMD) return -EINVAL;
  if (!pfn_valid(pfn.value)) return -EINVAL;
  if (rmp_level == PG_LEVEL_2M && !pfn_valid(pfn.value + PTRS_PER_PMD - 1)) return -EINVAL;
  // "If an entire 2MB physical range is being transitioned, then there is no risk of RMP #PFs
  // due to write accesses from overlapping mappings".
  if (rmp_level == PG_LEVEL_2M) return 0;
  const VirtAddr vaddr = k_.__va(pfn.addr());
  auto e = k_.page_tables().lookup_address(vaddr);
  if (!e || e->level == PgLevel::Pte) return 0;
  // set_memory_4k(): split, then flush the old translation.
  k_.page_tables().split_large_page(*e, vaddr);
  k_.machine().cpu().invlpg(vaddr);
  return 0;
}

int SevSnpHost::rmpupdate(Pfn pfn, const rmp_state& state) {
  if (!enabled_) return -ENODEV;
  const int level = state.pagesize ? PG_LEVEL_2M : PG_LEVEL_4K;
  if (adjust_direct_map(pfn, level)) return -EFAULT;
  Bytes raw(sizeof(rmp_state));
  std::memcpy(raw.data(), &state, sizeof state);
  k_.memcpy_to(*state_page_, raw);
  uint32_t ret;
  unsigned tries = 0;
  do {
    ret = k_.machine().cpu().rmpupdate(pfn.addr().value, *state_page_);
    if (ret == RMPUPDATE_FAIL_OVERLAP) ++overlap_retries_;
  } while (ret == RMPUPDATE_FAIL_OVERLAP && ++tries < kMaxOverlapRetries);
  if (ret) {
    k_.pr_info(fmt::format("SEV-SNP: RMPUPDATE failed for PFN {:x}, pg_level: {}, ret: {}",
                           pfn.value, level, ret));
    k_.pr_info("SEV-SNP: " + dump_rmpentry(pfn));
    return -EFAULT;
  }
  return 0;
}

int SevSnpHost::rmp_make_private(Pfn pfn, uint64_t gpa, int level, uint32_t asid, bool immutable) {
  rmp_state state{};
  state.assigned = 1;
  state.asid = asid;
  state.immutable = immutable ? 1 : 0;
  state.gpa = gpa;
  state.pagesize = level == PG_LEVEL_2M ? 1 : 0;  // PG_LEVEL_TO_RMP
  return rmpupdate(pfn, state);
}

int SevSnpHost::rmp_make_shared(Pfn pfn, int level) {
  rmp_state state{};
  state.pagesize = level == PG_LEVEL_2M ? 1 : 0;
  return rmpupdate(pfn, state);
}

int SevSnpHost::psmash(Pfn pfn) {
  if (!enabled_) return -ENODEV;
  if (!pfn_valid(pfn.value)) return -EINVAL;
  return static_cast<int>(k_.machine().cpu().psmash(pfn.addr().value));
}

int SevSnpHost::rmp_mark_pages_firmware(SysPhysAddr paddr, unsigned npages) {
  const Pfn first = Pfn::of(paddr);
  for (unsigned i = 0; i < npages; ++i) {
    if (int rc = rmp_make_private(Pfn(first.value + i), 0, PG_LEVEL_4K, 0, true)) {
      // "Try unrolling the firmware state changes by reclaiming the pages which were already
      // changed to the firmware state."
      for (unsigned j = 0; j < i; ++j) {
        if (rmp_make_shared(Pfn(first.value + j), PG_LEVEL_4K))
          snp_leak_pages(Pfn(first.value + j), 1);
      }
      return rc;
    }
  }
  return 0;
}

void SevSnpHost::snp_leak_pages(Pfn pfn, unsigned npages) {
  k_.pr_info(
      fmt::format("SEV-SNP: Leaking PFN range 0x{:x}-0x{:x}", pfn.value, pfn.value + npages));
  leaked_ += npages;
}

}  // namespace cbit::sw::host
