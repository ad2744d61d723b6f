// The host kernel model, named after Linux (arch/x86/mm/mem_encrypt_amd.c,
// arch/x86/mm/pat/set_memory.c, kernel/dma/direct.c, kernel/dma/swiotlb.c). Its log lines are
// those Linux 6.9 prints (docs/host.md, "The host kernel's log").
//
// boot() follows the order Linux does: sme_enable() (CPUID, SYSCFG, mem_encrypt=), the direct
// map with _PAGE_ENC on every entry when SME is active, sme_encrypt_kernel() (the image the
// boot loader left in the clear is encrypted in place), CR3 with the C-bit, and swiotlb_init()
// (a decrypted bounce pool for devices that cannot reach the C-bit).
// All data accesses go through the simulated CPU, its MMU and its cache, so the C-bit in the
// page tables decides what ends up in DRAM.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hw/machine.h"
#include "sw/host/cc_platform.h"
#include "sw/host/page_alloc.h"
#include "sw/host/pgtable.h"
#include "sw/host/sev_snp.h"

namespace cbit::sw::host {

struct KernelConfig {
  std::string cmdline = "mem_encrypt=on";
  bool mem_encrypt_active_by_default = false;  // CONFIG_AMD_MEM_ENCRYPT_ACTIVE_BY_DEFAULT
  uint64_t swiotlb_bytes = 4ull << 20;         // 0: no bounce buffers (swiotlb=noforce)
};

enum class DmaDirection { ToDevice, FromDevice, Bidirectional };

struct DmaMapping {
  uint64_t dma_addr = 0;  // what the device puts on the bus
  VirtAddr orig;          // the driver's buffer
  uint64_t size = 0;
  DmaDirection dir = DmaDirection::ToDevice;
  std::optional<SysPhysAddr> bounce;                // swiotlb slot, when bounced
  bool error() const { return dma_addr == ~0ull; }  // DMA_MAPPING_ERROR
};

class HostKernel {
 public:
  HostKernel(hw::Machine& machine, KernelConfig cfg);

  void boot();

  // --- memory encryption (mem_encrypt_amd.c) ---
  uint64_t sme_me_mask() const { return sme_me_mask_; }
  bool cc_platform_has(CcAttr attr) const;

  // --- addresses and pages ---
  VirtAddr __va(SysPhysAddr pa) const { return VirtAddr(pa.value + PAGE_OFFSET); }
  SysPhysAddr __pa(VirtAddr va) const { return SysPhysAddr(va.value - PAGE_OFFSET); }
  // alloc_pages() + page_address(); nullopt when out of memory.
  std::optional<VirtAddr> alloc_pages(unsigned order = 0);
  void free_pages(VirtAddr addr, unsigned order = 0);

  // --- set_memory.c: change the C-bit of numpages pages of the direct map ---
  int set_memory_encrypted(VirtAddr addr, int numpages);
  int set_memory_decrypted(VirtAddr addr, int numpages);

  // Kernel loads and stores (through the CPU's MMU and cache).
  void memcpy_to(VirtAddr dst, ByteSpan src);
  void memcpy_from(VirtAddr src, MutByteSpan dst);

  // --- DMA API (dma-direct + swiotlb) ---
  DmaMapping dma_map_single(hw::DmaDevice& dev, VirtAddr addr, uint64_t size, DmaDirection dir);
  void dma_unmap_single(hw::DmaDevice& dev, const DmaMapping& m);
  // What a driver that bypasses the DMA API hands its device: the plain physical address,
  // without the C-bit (open-gpu-kernel-modules#340).
  uint64_t virt_to_phys(VirtAddr addr) const { return __pa(addr).value; }

  // memremap() of persistent memory: mapped at __va(base), encrypted when SME is active
  // (arch/x86/mm/ioremap.c: PMEM is not among the types mapped decrypted).
  VirtAddr memremap_pmem(SysPhysAddr base, uint64_t size);

  // SEV-SNP host support (arch/x86/virt/svm/sev.c): set up at boot when the BIOS reserved an
  // RMP; enabled() is CC_ATTR_HOST_SEV_SNP.
  SevSnpHost& snp() { return *snp_; }
  const SevSnpHost& snp() const { return *snp_; }

  // printk at KERN_INFO, with the uptime stamp (drivers and KVM log through it).
  void pr_info(std::string line);
  const std::vector<std::string>& dmesg() const { return dmesg_; }
  KernelPageTables& page_tables() { return *pgt_; }
  hw::Machine& machine() { return m_; }
  // Where boot() placed the kernel image (identity of the direct map).
  SysPhysAddr kernel_image_start() const { return SysPhysAddr(kKernelStart); }
  uint64_t kernel_image_size() const { return kKernelSize; }
  std::optional<SysPhysAddr> swiotlb_pool() const { return swiotlb_start_; }

  static constexpr uint64_t kKernelStart = 16ull << 20;  // CONFIG_PHYSICAL_START
  static constexpr uint64_t kKernelSize = 2ull << 20;

 private:
  void sme_enable();
  void sme_encrypt_kernel();
  void setup_direct_map();
  void swiotlb_init();
  void print_mem_encrypt_feature_info();
  void psp_probe();
  int set_memory_enc_dec(VirtAddr addr, int numpages, bool enc);
  std::optional<SysPhysAddr> swiotlb_tbl_map_single(uint64_t size);
  uint64_t e820_usable_end() const;
  bool cmdline_has(std::string_view opt) const;

  hw::Machine& m_;
  KernelConfig cfg_;
  uint64_t sme_me_mask_ = 0;
  bool booted_ = false;
  std::optional<PageAllocator> pages_;
  std::optional<KernelPageTables> pgt_;
  std::unique_ptr<SevSnpHost> snp_;
  std::optional<SysPhysAddr> swiotlb_start_;
  uint64_t swiotlb_slots_ = 0;
  std::vector<bool> swiotlb_used_;    // one per 2 KiB slot (IO_TLB_SIZE)
  bool dma_overflow_warned_ = false;  // dev_WARN_ONCE
  std::vector<std::string> dmesg_;
  double uptime_ = 0.0;
};

}  // namespace cbit::sw::host
