#include "sw/host/kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/trace.h"
#include "hw/cpu/cpu.h"
#include "hw/cpu/msr.h"

namespace cbit::sw::host {

namespace {
constexpr uint64_t IO_TLB_SIZE = 2048;  // swiotlb slot size (1 << IO_TLB_SHIFT)
}  // namespace

HostKernel::HostKernel(hw::Machine& machine, KernelConfig cfg)
    : m_(machine), cfg_(std::move(cfg)), snp_(std::make_unique<SevSnpHost>(*this)) {}

// The memory map the BIOS hands over (e820): DRAM up to the reserved RMP, if any. The RMP's
// bounds are in RMP_BASE, which a part without SNP does not have.
uint64_t HostKernel::e820_usable_end() const {
  const uint64_t dram = m_.dram().size();
  if (!m_.cpu_model().fn8000_001f.has(hw::SevFeature::SevSnp)) return dram;
  const uint64_t base = m_.cpu().rdmsr(hw::msr::kRmpBase) & ~(kPageSize - 1);
  return base && base < dram ? base : dram;
}

void HostKernel::pr_info(std::string line) {
  dmesg_.push_back(fmt::format("[{:12.6f}] {}", uptime_, line));
  if (trace::on()) [[unlikely]]
    trace::instant(trace::track::kHostKernel, "printk", "printk", {{"line", line}});
  uptime_ += 0.000731;
}

bool HostKernel::cmdline_has(std::string_view opt) const {
  size_t pos = 0;
  const std::string& c = cfg_.cmdline;
  while ((pos = c.find(opt, pos)) != std::string::npos) {
    const bool start = pos == 0 || c[pos - 1] == ' ';
    const bool end = pos + opt.size() == c.size() || c[pos + opt.size()] == ' ';
    if (start && end) return true;
    pos += opt.size();
  }
  return false;
}

// arch/x86/mm/mem_encrypt_identity.c: sme_enable().
void HostKernel::sme_enable() {
  auto& cpu = m_.cpu();
  // Check for the SME/SEV support leaf.
  if (cpu.cpuid(0x80000000, 0).eax < 0x8000001f) return;
  const auto leaf = cpu.cpuid(0x8000001f, 0);
  if (!(leaf.eax & 1)) return;  // SME not supported
  // The BIOS must have set SYSCFG[MemEncryptionModEn]; the kernel never sets it. Linux returns
  // without a word here; the only trace is the ccp driver's line later (psp_probe()).
  if (!(cpu.rdmsr(hw::msr::kSyscfg) & hw::syscfg::kMemEncryptionModEn)) return;
  bool active = cfg_.mem_encrypt_active_by_default;
  if (cmdline_has("mem_encrypt=on")) active = true;
  if (cmdline_has("mem_encrypt=off")) active = false;
  if (!active) return;
  sme_me_mask_ = 1ull << (leaf.ebx & 0x3f);
}

// arch/x86/mm/mem_encrypt.c: print_mem_encrypt_feature_info(), as Linux 5.19 and later print
// it (5.10 .. 5.18: "AMD Memory Encryption Features active: SME"). The host's lines are Linux
// 6.9's; docs/host.md lists each with its source.
void HostKernel::print_mem_encrypt_feature_info() {
  if (sme_me_mask_) pr_info("Memory Encryption Features active: AMD SME");
}

// The ccp driver's probe of the PSP (a device_initcall, long after mem_encrypt_init()):
//  - drivers/crypto/ccp/psp-dev.c psp_get_capability(): TSME from the capability register;
//  - drivers/crypto/ccp/sev-dev.c sev_dev_init(): without X86_FEATURE_SEV, one dev_info_once.
//    Linux clears that feature when CPUID lacks SEV or SYSCFG[MemEncryptionModEn] is 0
//    (arch/x86/kernel/cpu/amd.c early_detect_mem_encrypt()), so this is the line a host with
//    SMEE off in the BIOS shows.
void HostKernel::psp_probe() {
  constexpr const char* kPsp = "ccp 0000:02:00.2: ";  // the PSP function, as on Rome
  auto& cpu = m_.cpu();
  if (m_.config().firmware.tsme) {
    pr_info(std::string(kPsp) +
            (sme_me_mask_ ? "psp: Both TSME and SME are active, SME is unnecessary when TSME is "
                            "active."
                          : "psp: TSME enabled"));
  }
  const bool cpuid_sev =
      cpu.cpuid(0x80000000, 0).eax >= 0x8000001f && (cpu.cpuid(0x8000001f, 0).eax & (1u << 1));
  const bool bios_on = cpu.rdmsr(hw::msr::kSyscfg) & hw::syscfg::kMemEncryptionModEn;
  if (!(cpuid_sev && bios_on))
    pr_info(std::string(kPsp) + "SEV: memory encryption not enabled by BIOS");
}

bool HostKernel::cc_platform_has(CcAttr attr) const {
  switch (attr) {
    case CcAttr::MemEncrypt:
    case CcAttr::HostMemEncrypt:
      return sme_me_mask_ != 0;
    case CcAttr::HostSevSnp:
      return snp_->enabled();
    default:
      return false;  // a host is not a guest
  }
}

void HostKernel::setup_direct_map() {
  const uint64_t dram = m_.dram().size();
  pages_.emplace(Pfn((kKernelStart + kKernelSize) >> kPageShift),
                 Pfn(e820_usable_end() >> kPageShift));
  const hw::MemAttr table_attr{sme_me_mask_ != 0, Asid(0)};
  auto alloc_table = [this, table_attr]() {
    auto pfn = pages_->alloc_pages(0);
    if (!pfn) throw InputError("host kernel: out of memory for page tables");
    static const Bytes zero(kPageSize, 0);
    m_.cache().write(pfn->addr(), zero, table_attr);  // clear_page() through the direct map
    return pfn->addr();
  };
  pgt_.emplace(m_.cache(), alloc_table, sme_me_mask_);
  // The direct map covers DRAM (up to 64 GiB in this model) with 2 MiB pages.
  const uint64_t span = std::min<uint64_t>(dram, 64ull << 30) & ~((2ull << 20) - 1);
  pgt_->map(VirtAddr(PAGE_OFFSET), SysPhysAddr(0), span, __PAGE_KERNEL | sme_me_mask_);
  pgt_->map(VirtAddr(__START_KERNEL_map + kKernelStart), SysPhysAddr(kKernelStart), kKernelSize,
            __PAGE_KERNEL_EXEC | sme_me_mask_);
}

// arch/x86/mm/mem_encrypt_identity.c: sme_encrypt_kernel(). The boot loader left the image in
// the clear; it is read through a decrypted mapping and written back through an encrypted one,
// with caches written back around it (sme_encrypt_execute does WBINVD).
void HostKernel::sme_encrypt_kernel() {
  if (!sme_me_mask_) return;
  // With the caches written back and empty, the copy goes straight to the memory controller
  // (what the cache would do line by line, at a fraction of the simulation cost).
  auto& cache = m_.cache();
  auto& mc = m_.memctrl();
  // In 64 KiB pieces through one buffer that stays in the host's cache (a whole-image buffer
  // costs its page faults and clearing); each piece is read before it is overwritten.
  cache.wbinvd();
  Bytes piece(64 << 10);
  for (uint64_t off = 0; off < kKernelSize; off += piece.size()) {
    const SysPhysAddr pa(kKernelStart + off);
    const MutByteSpan buf =
        MutByteSpan(piece).first(std::min<uint64_t>(piece.size(), kKernelSize - off));
    mc.read(pa, buf, mc.resolve(hw::MemAttr::plain()));
    mc.write(pa, buf, mc.resolve(hw::MemAttr::host_encrypted()));
  }
  cache.wbinvd();
}

// kernel/dma/swiotlb.c (pr_fmt "software IO TLB: "), as Linux 6.9 prints it:
// swiotlb_init_remap() returns silently for swiotlb=noforce; swiotlb_memblock_alloc() warns
// when the low pool cannot be had (Linux then retries smaller; the model gives up at once);
// swiotlb_print_info() shows [start, end) with end = start + size (%pa: 0x and 16 digits).
void HostKernel::swiotlb_init() {
  if (cfg_.swiotlb_bytes == 0) return;
  unsigned order = 0;
  while ((kPageSize << order) < cfg_.swiotlb_bytes) ++order;
  const uint64_t bytes = kPageSize << order;
  auto pfn = pages_->alloc_pages(order);
  if (!pfn || pfn->addr().value + bytes > (4ull << 30)) {
    pr_info(fmt::format(
        "software IO TLB: swiotlb_memblock_alloc: Failed to allocate {} bytes tlb structure",
        bytes));
    return;
  }
  swiotlb_start_ = pfn->addr();
  swiotlb_slots_ = bytes / IO_TLB_SIZE;
  swiotlb_used_.assign(swiotlb_slots_, false);
  pr_info(fmt::format("software IO TLB: mapped [mem {:#018x}-{:#018x}] ({}MB)", pfn->addr().value,
                      pfn->addr().value + bytes, bytes >> 20));
  // swiotlb_update_mem_attributes(): the pool is shared with devices, so it is decrypted.
  if (cc_platform_has(CcAttr::MemEncrypt))
    set_memory_decrypted(__va(*swiotlb_start_), static_cast<int>(1u << order));
}

void HostKernel::boot() {
  CBIT_ASSERT(!booted_);
  // init/version.c linux_banner: "Linux version RELEASE (USER@HOST) (COMPILER) VERSION".
  pr_info("Linux version 6.9.0-cbit (cbit@cbit) (cbit model of arch/x86) #1 SMP");
  pr_info("Command line: " + cfg_.cmdline);
  // The boot loader copies the kernel image into memory, in the clear as far as it knows (TSME,
  // if the firmware enabled it, encrypts it anyway).
  // The image is the banner repeated; written in pieces whose size is a multiple of the
  // banner's, so every piece holds the same bytes (one small buffer instead of 2 MiB).
  const std::string banner = "Linux version 6.9.0-cbit: kernel text and data. ";
  Bytes piece(banner.size() * 1024);
  std::memcpy(piece.data(), banner.data(), banner.size());
  for (size_t done = banner.size(); done < piece.size();) {  // repeat it by doubling
    const size_t n = std::min(done, piece.size() - done);
    std::memcpy(piece.data() + done, piece.data(), n);
    done += n;
  }
  for (uint64_t off = 0; off < kKernelSize; off += piece.size())
    m_.memctrl().write(SysPhysAddr(kKernelStart + off),
                       ByteSpan(piece).first(std::min<uint64_t>(piece.size(), kKernelSize - off)),
                       m_.memctrl().resolve(hw::MemAttr::plain()));

  sme_enable();
  setup_direct_map();
  sme_encrypt_kernel();
  auto& cpu = m_.cpu();
  // Long mode with 4-level paging: EFER.LME/NXE, CR4.PAE/PGE, CR3, CR0.PG (with WP).
  cpu.wrmsr(hw::msr::kEfer, cpu.efer() | hw::efer::kLme | hw::efer::kNxe | hw::efer::kSce);
  cpu.mov_to_cr4(cpu.cr4() | hw::cr4::kPae | hw::cr4::kPge);
  cpu.mov_to_cr3(pgt_->pgd().value | sme_me_mask_);  // the C-bit in CR3: the PGD is encrypted
  cpu.mov_to_cr0(cpu.cr0() | hw::cr0::kPe | hw::cr0::kPg | hw::cr0::kWp);
  booted_ = true;
  // Linux's order: the bounce pool in mm_core_init() -> mem_init(), then mem_encrypt_init()
  // (which decrypts the pool, here inside swiotlb_init(), and prints the features), then the
  // drivers.
  swiotlb_init();
  print_mem_encrypt_feature_info();
  // snp_rmptable_init() is a device initcall that runs before the ccp driver probes the PSP.
  snp_->snp_rmptable_init();
  psp_probe();
}

std::optional<VirtAddr> HostKernel::alloc_pages(unsigned order) {
  auto pfn = pages_->alloc_pages(order);
  if (!pfn) return std::nullopt;
  return __va(pfn->addr());
}

void HostKernel::free_pages(VirtAddr addr, unsigned order) {
  pages_->free_pages(Pfn::of(__pa(addr)), order);
}

VirtAddr HostKernel::memremap_pmem(SysPhysAddr base, uint64_t size) {
  pgt_->map(__va(base), base, size, __PAGE_KERNEL | sme_me_mask_);
  return __va(base);
}

void HostKernel::memcpy_to(VirtAddr dst, ByteSpan src) { m_.cpu().write_virt(dst, src); }
void HostKernel::memcpy_from(VirtAddr src, MutByteSpan dst) { m_.cpu().read_virt(src, dst); }

// arch/x86/mm/pat/set_memory.c: __set_memory_enc_pgtable().
int HostKernel::set_memory_enc_dec(VirtAddr addr, int numpages, bool enc) {
  if (!cc_platform_has(CcAttr::MemEncrypt)) return 0;        // nothing to do without SME
  if (addr.page_offset() != 0 || numpages <= 0) return -22;  // -EINVAL
  auto& cpu = m_.cpu();
  const uint64_t len = static_cast<uint64_t>(numpages) * kPageSize;
  // Flush the caches first: the same line under the old key must not be written back later
  // (enc_cache_flush_required() is !SME_COHERENT).
  if (!m_.cpu_model().fn8000_001f.has(hw::SevFeature::SmeCoherent)) {
    cpu.clflush_range(addr, len);  // clflush_cache_range()
  }
  for (int i = 0; i < numpages; ++i) {
    const VirtAddr va = addr + static_cast<uint64_t>(i) * kPageSize;
    auto e = pgt_->lookup_address(va);
    if (!e) return -22;
    if (e->level == PgLevel::Pmd) e = pgt_->split_large_page(*e, va);  // split_large_page()
    const uint64_t v = enc ? (e->value | sme_me_mask_) : (e->value & ~sme_me_mask_);
    pgt_->set_entry(e->where, v);
  }
  for (int i = 0; i < numpages; ++i) cpu.invlpg(addr + static_cast<uint64_t>(i) * kPageSize);
  return 0;
}

int HostKernel::set_memory_encrypted(VirtAddr addr, int numpages) {
  return set_memory_enc_dec(addr, numpages, true);
}
int HostKernel::set_memory_decrypted(VirtAddr addr, int numpages) {
  return set_memory_enc_dec(addr, numpages, false);
}

std::optional<SysPhysAddr> HostKernel::swiotlb_tbl_map_single(uint64_t size) {
  const uint64_t need = (size + IO_TLB_SIZE - 1) / IO_TLB_SIZE;
  for (uint64_t i = 0; i + need <= swiotlb_slots_; ++i) {
    if (std::all_of(swiotlb_used_.begin() + static_cast<long>(i),
                    swiotlb_used_.begin() + static_cast<long>(i + need),
                    [](bool u) { return !u; })) {
      std::fill_n(swiotlb_used_.begin() + static_cast<long>(i), need, true);
      return *swiotlb_start_ + i * IO_TLB_SIZE;
    }
  }
  return std::nullopt;
}

// kernel/dma/direct.h: dma_direct_map_page().
DmaMapping HostKernel::dma_map_single(hw::DmaDevice& dev, VirtAddr addr, uint64_t size,
                                      DmaDirection dir) {
  DmaMapping m{~0ull, addr, size, dir, std::nullopt};
  const uint64_t phys = __pa(addr).value;
  const uint64_t dma_addr = phys | sme_me_mask_;  // phys_to_dma(): __sme_set()
  if (dev.can_address(dma_addr, size)) {
    m.dma_addr = dma_addr;
    return m;
  }
  if (!swiotlb_start_) {
    // kernel/dma/direct.h dma_direct_map_page(): dev_WARN_ONCE (Linux's "driver bus-id: "
    // prefix is the model device's name here).
    if (!dma_overflow_warned_)
      pr_info(fmt::format("{}: DMA addr {:#018x}+{} overflow (mask {:x}, bus limit 0).", dev.name(),
                          dma_addr, size, dev.dma_mask()));
    dma_overflow_warned_ = true;
    return m;
  }
  auto slot = swiotlb_tbl_map_single(size);
  if (!slot) {
    // kernel/dma/swiotlb.c swiotlb_tbl_map_single(): dev_warn_ratelimited.
    const auto used = std::count(swiotlb_used_.begin(), swiotlb_used_.end(), true);
    pr_info(
        fmt::format("{}: swiotlb buffer is full (sz: {} bytes), total {} (slots), used {} "
                    "(slots)",
                    dev.name(), size, swiotlb_slots_, used));
    return m;
  }
  m.bounce = slot;
  if (dir != DmaDirection::FromDevice) {  // swiotlb_bounce(DMA_TO_DEVICE)
    Bytes tmp(size);
    memcpy_from(addr, tmp);
    memcpy_to(__va(*slot), tmp);
  }
  m.dma_addr = slot->value;  // the pool is decrypted: no C-bit on the bus
  return m;
}

void HostKernel::dma_unmap_single(hw::DmaDevice&, const DmaMapping& m) {
  if (m.error() || !m.bounce) return;
  if (m.dir != DmaDirection::ToDevice) {  // swiotlb_bounce(DMA_FROM_DEVICE)
    Bytes tmp(m.size);
    memcpy_from(__va(*m.bounce), tmp);
    memcpy_to(m.orig, tmp);
  }
  const uint64_t first = (m.bounce->value - swiotlb_start_->value) / IO_TLB_SIZE;
  const uint64_t n = (m.size + IO_TLB_SIZE - 1) / IO_TLB_SIZE;
  std::fill_n(swiotlb_used_.begin() + static_cast<long>(first), n, false);
}

}  // namespace cbit::sw::host
