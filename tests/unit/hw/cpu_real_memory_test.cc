// The walker over the real cache, memory controller and AES engine: a page table written with
// the C-bit is only usable through entries that carry the C-bit; cache maintenance through
// virtual addresses (CLFLUSH, VM_PAGE_FLUSH, WBNOINVD/INVD).
#include <gtest/gtest.h>

#include "hw/cpu/fault.h"
#include "unit/hw/cpu_test_rig.h"

namespace cbit::hw {
namespace {

using testing::CpuRig;

constexpr uint64_t kVa = 0x00007f0000200000ull;
constexpr uint64_t kData = 0x2000000;
constexpr uint64_t kRw = pte::kP | pte::kRw | pte::kUs;

// Builds tables whose last level (the PT) is written encrypted; the PDE pointing at it carries
// the C-bit or not.
struct EncryptedPtRig : CpuRig {
  explicit EncryptedPtRig(bool pde_has_cbit) : CpuRig("naples") {
    pt.make_root(false);
    const uint64_t c = cpu.c_bit_mask();
    const uint64_t pdpt = pt.new_table(false), pd = pt.new_table(false);
    ptab = pt.new_table(true);
    pt.set(pt.root(), pte::index_at(kVa, 4), pdpt | kRw);
    pt.set(pdpt, pte::index_at(kVa, 3), pd | kRw);
    pt.set(pd, pte::index_at(kVa, 2), ptab | kRw | (pde_has_cbit ? c : 0));
    pt.set(ptab, pte::index_at(kVa, 1), kData | kRw);
    cpu.wbinvd();  // everything to DRAM: the PT now sits there as ciphertext
    enter_long_mode();
  }
  uint64_t ptab = 0;
};

TEST(CpuRealMemory, EncryptedTableWalksOnlyThroughAnEntryWithTheCBit) {
  EncryptedPtRig good(true);
  EXPECT_EQ(good.cpu.translate(VirtAddr(kVa + 0x10), Access::Read).pa.value, kData + 0x10);

  // Control: the same bytes reached through a PDE without the C-bit are read as stored
  // (ciphertext), so the "entry" is garbage: a fault or a wrong frame, never kData.
  EncryptedPtRig bad(false);
  const uint64_t raw_entry =
      load_le<uint64_t>(bad.raw(bad.ptab + 8 * pte::index_at(kVa, 1), 8).data());
  EXPECT_NE(raw_entry, kData | kRw) << "the PT is stored encrypted";
  bool translated_right = false;
  try {
    translated_right =
        bad.cpu.translate(VirtAddr(kVa + 0x10), Access::Read).pa.value == kData + 0x10;
  } catch (const PageFault& pf) {
    EXPECT_EQ(pf.cr2().value, kVa + 0x10);
  }
  EXPECT_FALSE(translated_right);
}

TEST(CpuRealMemory, SmeRoundTripThroughTheMmu) {
  // The seed's smetest: a secret written through a C=1 mapping is ciphertext in DRAM and reads
  // back only through a C=1 mapping.
  CpuRig r("naples");
  r.pt.make_root(true);
  r.pt.map(kVa, kData, kRw, true, true);
  r.pt.map(kVa + 0x1000, kData, kRw, false, true);  // a C=0 alias of the same page
  r.enter_long_mode();
  const char secret[] = "my secret";
  r.cpu.write_virt(VirtAddr(kVa), Bytes(secret, secret + sizeof secret));
  r.cpu.wbinvd();
  Bytes via_enc(sizeof secret), via_plain(sizeof secret);
  r.cpu.read_virt(VirtAddr(kVa), via_enc);
  r.cpu.read_virt(VirtAddr(kVa + 0x1000), via_plain);
  EXPECT_EQ(Bytes(secret, secret + sizeof secret), via_enc);
  EXPECT_NE(via_enc, via_plain);
  EXPECT_EQ(via_plain, r.raw(kData, sizeof secret));  // C=0 sees what is on the chips
}

TEST(CpuRealMemory, ClflushByVirtualAddressWritesBackTheMappedLine) {
  CpuRig r;
  r.pt.make_root(false);
  r.pt.map(kVa, kData, kRw, true);
  r.enter_long_mode();
  r.cpu.write<uint64_t>(VirtAddr(kVa + 64), 42);
  EXPECT_EQ(r.cache.copies_of(SysPhysAddr(kData + 64)), 1u);
  EXPECT_EQ(r.raw(kData + 64, 8), Bytes(8, 0));  // still only in the cache
  r.cpu.clflush(VirtAddr(kVa + 64));
  EXPECT_EQ(r.cache.copies_of(SysPhysAddr(kData + 64)), 0u);
  EXPECT_NE(r.raw(kData + 64, 8), Bytes(8, 0));                    // ciphertext reached DRAM
  EXPECT_THROW(r.cpu.clflush(VirtAddr(kVa + 0x5000)), PageFault);  // unmapped: #PF
}

TEST(CpuRealMemory, VmPageFlushTranslatesTheVirtualAddress) {
  CpuRig r;
  r.pt.make_root(false);
  constexpr uint64_t kOther = 0x3000000;
  r.pt.map(kVa, kOther, kRw, true);  // VA -> a frame unrelated to the VA's value
  r.enter_long_mode();
  r.cpu.write<uint64_t>(VirtAddr(kVa + 128), 7);
  EXPECT_EQ(r.cache.copies_of(SysPhysAddr(kOther + 128)), 1u);
  // Linux: wrmsr(MSR_AMD64_VM_PAGE_FLUSH, addr | asid). ASID 0: the host key's lines.
  r.cpu.wrmsr(msr::kVmPageFlush, kVa | 0);
  EXPECT_EQ(r.cache.copies_of(SysPhysAddr(kOther + 128)), 0u);
  EXPECT_NE(r.raw(kOther + 128, 8), Bytes(8, 0));
  // Another ASID's flush leaves the host's line alone (control).
  r.cpu.write<uint64_t>(VirtAddr(kVa + 128), 8);
  r.cpu.wrmsr(msr::kVmPageFlush, kVa | 3);
  EXPECT_EQ(r.cache.copies_of(SysPhysAddr(kOther + 128)), 1u);
  // Faults: an ASID beyond CPUID Fn8000_001F ECX (15 on Naples), an unmapped address.
  EXPECT_THROW(r.cpu.wrmsr(msr::kVmPageFlush, kVa | 16), GeneralProtection);
  EXPECT_THROW(r.cpu.wrmsr(msr::kVmPageFlush, (kVa + 0x7000) | 1), PageFault);
}

TEST(CpuRealMemory, VmPageFlushNeedsTheFeature) {
  CpuRig r;
  CpuModel m = r.model;
  apply_cpu_override(m, "features=-vm_page_flush");
  Cpu cpu(m, r.cache, r.cache, CpuFirmwareSettings{true});
  EXPECT_THROW(cpu.wrmsr(msr::kVmPageFlush, 0x1000), GeneralProtection);
}

TEST(CpuRealMemory, InvdLosesDirtyLinesWbnoinvdKeepsThem) {
  CpuRig r("rome");
  r.pt.make_root(false);
  r.pt.map(kVa, kData, kRw, true);
  r.enter_long_mode();
  r.cpu.write<uint64_t>(VirtAddr(kVa), 0x1234);
  r.cpu.wbnoinvd();
  EXPECT_EQ(r.cache.copies_of(SysPhysAddr(kData)), 1u);  // written back, still cached
  r.cpu.write<uint64_t>(VirtAddr(kVa), 0x5678);
  r.cpu.wrmsr(msr::kHwcr, r.cpu.rdmsr(msr::kHwcr) & ~hwcr::kInvdWbinvd);  // Zen 2: no fix
  r.cpu.invd();  // the dirty 0x5678 is lost (CacheWarp)
  EXPECT_EQ(r.cpu.read<uint64_t>(VirtAddr(kVa)), 0x1234u);
  // Zen 1 has no WBNOINVD: the same encoding runs as WBINVD and invalidates.
  CpuRig n("naples");
  n.pt.make_root(false);
  n.pt.map(kVa, kData, kRw, true);
  n.enter_long_mode();
  n.cpu.write<uint64_t>(VirtAddr(kVa), 1);
  n.cpu.wbnoinvd();
  EXPECT_EQ(n.cache.copies_of(SysPhysAddr(kData)), 0u);
}

}  // namespace
}  // namespace cbit::hw
