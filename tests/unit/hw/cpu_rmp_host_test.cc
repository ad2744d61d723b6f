// The SNP host side on the real Machine: SYSCFG.SNP_EN enables the RMP, host writes to pages it
// does not own fault with the RMP bit (reads do not), 2 MiB host mappings and page-table A/D
// writes are checked, RMPUPDATE/RMPREAD as instructions, VM_HSAVE_PA, the IOMMU, and the
// segmented RMP on turin (APM Table 15-39, §15.36; SNP-FACTS.md §1).
#include <gtest/gtest.h>

#include "cpu_test_rig.h"
#include "hw/cpu/fault.h"
#include "hw/machine.h"
#include "hw/rmp/rmp_insn.h"

namespace cbit::hw {
namespace {

using testing::PageTableBuilder;

constexpr uint64_t kRmpBase = 0xE000000;
constexpr uint64_t kGuest = 0x200000;   // 4K-mapped host page handed to a guest
constexpr uint64_t kState = 0x300000;   // where the host builds struct rmp_state
constexpr uint64_t kBig = 0x800000;     // a 2 MiB host mapping
constexpr uint64_t kEncVa = 0x1000000;  // C=1 alias of kGuest
constexpr uint32_t kAsid = 1;

MachineConfig config(const std::string& preset) {
  MachineConfig c;
  c.cpu = cpu_model_by_name(preset);
  c.seed = 7;
  return c;
}

struct SnpHost {
  explicit SnpHost(const std::string& preset = "milan", bool enable = true)
      : m(config(preset)), pt(m.cache(), m.cbit_mask(), 0x100000) {
    pt.make_root(false);
    for (uint64_t pa = 0; pa < (4ull << 20); pa += kPageSize)
      pt.map(pa, pa, pte::kP | pte::kRw, false);
    pt.map(kBig, kBig, pte::kP | pte::kRw, false, false, 2);
    pt.map(kEncVa, kGuest, pte::kP | pte::kRw, true);
    Cpu& c = cpu();
    c.wrmsr(msr::kEfer, efer::kLme | efer::kNxe | efer::kSvme);
    c.mov_to_cr4(cr4::kPae);
    c.mov_to_cr3(pt.cr3());
    c.mov_to_cr0(cr0::kPe | cr0::kEt | cr0::kPg | cr0::kWp);
    if (enable) enable_snp();
  }
  void enable_snp(uint64_t end = kRmpBase + rmp::rmp_table_size(256ull << 20) - 1) {
    for (unsigned i = 0; i < m.cores(); ++i) {
      Cpu& c = m.cpu(i);
      c.wrmsr(msr::kRmpBase, kRmpBase);
      c.wrmsr(msr::kRmpEnd, end);
      c.wrmsr(msr::kSyscfg, c.rdmsr(msr::kSyscfg) | syscfg::kMfdm);
      c.wrmsr(msr::kSyscfg, c.rdmsr(msr::kSyscfg) | syscfg::kSnpEn | syscfg::kSnpVmplEn);
    }
  }
  Cpu& cpu() { return m.cpu(0); }
  uint32_t assign(uint64_t spa, uint64_t gpa, bool assigned = true) {
    rmp::RmpState s;
    s.gpa = assigned ? gpa : 0;
    s.assigned = assigned;
    s.asid = assigned ? kAsid : 0;
    cpu().write_virt(VirtAddr(kState), s.encode());
    return cpu().rmpupdate(spa, VirtAddr(kState));
  }
  Machine m;
  PageTableBuilder pt;
};

uint32_t pf_code(Cpu& c, uint64_t va) {
  try {
    c.write<uint64_t>(VirtAddr(va), 0x1122334455667788);
  } catch (const PageFault& pf) {
    return pf.error_code();
  }
  return 0;
}

TEST(RmpHost, SnpEnEnablesTheRmpAndLocksSyscfg) {
  SnpHost h("milan", false);
  EXPECT_FALSE(h.m.rmp().enabled());
  EXPECT_THROW(h.assign(kGuest, 0), InvalidOpcode) << "RMPUPDATE before SNP_EN";
  h.enable_snp();
  EXPECT_TRUE(h.m.rmp().enabled());
  EXPECT_EQ(h.m.rmp().table().bounds().base, kRmpBase);
  EXPECT_FALSE(h.m.rmp().bounds_mismatch());
  const uint64_t before = h.cpu().rdmsr(msr::kSyscfg);
  h.cpu().wrmsr(msr::kSyscfg, before & ~syscfg::kMfdm);  // ignored once SNP_EN=1
  EXPECT_EQ(h.cpu().rdmsr(msr::kSyscfg), before);
  EXPECT_EQ(h.m.cpu(1).msr_for_firmware(msr::kSyscfg), before);
  EXPECT_EQ(h.m.cpu(1).msr_for_firmware(msr::kRmpBase), kRmpBase);
  EXPECT_EQ(h.m.cpu(1).msr_for_firmware(msr::kVmHsavePa), 0u);
}

TEST(RmpHost, HostWriteToGuestPageIsRmpPageFaultReadGetsCiphertext) {
  SnpHost h;
  const uint64_t secret = 0x5EC12E7'0000'0042;
  h.cpu().write<uint64_t>(VirtAddr(kEncVa), secret);  // host key, before the page is private
  EXPECT_EQ(pf_code(h.cpu(), kGuest), 0u) << "control: hypervisor-owned page is writable";
  h.cpu().write<uint64_t>(VirtAddr(kEncVa), secret);
  ASSERT_EQ(h.assign(kGuest, 0x7000), rmp::ret::kSuccess);
  EXPECT_EQ(pf_code(h.cpu(), kGuest), pf_err::kRmp | pf_err::kPresent | pf_err::kWrite);
  EXPECT_EQ(h.cpu().cr2(), kGuest);
  EXPECT_NE(pf_code(h.cpu(), kEncVa), 0u) << "whatever the C-bit";
  // Reads are not checked: the C=0 alias returns what DRAM holds (the host-key ciphertext).
  EXPECT_NO_THROW(h.cpu().read<uint64_t>(VirtAddr(kGuest)));
  EXPECT_NE(h.cpu().read<uint64_t>(VirtAddr(kGuest)), secret);
  EXPECT_EQ(h.cpu().read<uint64_t>(VirtAddr(kEncVa)), secret);
  ASSERT_EQ(h.assign(kGuest, 0, false), rmp::ret::kSuccess);
  EXPECT_EQ(pf_code(h.cpu(), kGuest), 0u) << "shared again";
}

TEST(RmpHost, TwoMegHostMappingOverAnAssigned4KPageFaults) {
  SnpHost h;
  EXPECT_EQ(pf_code(h.cpu(), kBig + 0x100000), 0u);  // control
  ASSERT_EQ(h.assign(kBig + 0x5000, 0x5000), rmp::ret::kSuccess);
  EXPECT_EQ(pf_code(h.cpu(), kBig + 0x100000), pf_err::kRmp | pf_err::kPresent | pf_err::kWrite)
      << "another 4K of the same 2M mapping";
}

TEST(RmpHost, PageTableAccessedBitWriteIsChecked) {
  SnpHost h;
  const auto [pte_table, idx] = h.pt.map(0x2000000, 0x400000, pte::kP | pte::kRw, false);
  (void)idx;
  ASSERT_EQ(h.assign(pte_table, 0x8000), rmp::ret::kSuccess);
  try {
    h.cpu().read<uint64_t>(VirtAddr(0x2000000));  // the walk sets A in a guest-owned table
    FAIL() << "no #PF";
  } catch (const PageFault& pf) {
    EXPECT_TRUE(pf.error_code() & pf_err::kRmp);
  }
  ASSERT_EQ(h.assign(pte_table, 0, false), rmp::ret::kSuccess);
  EXPECT_NO_THROW(h.cpu().read<uint64_t>(VirtAddr(0x2000000)));  // control
}

TEST(RmpHost, InstructionFaults) {
  SnpHost h;
  h.cpu().set_cpl(3);
  EXPECT_THROW(h.cpu().psmash(kBig), GeneralProtection);
  h.cpu().set_cpl(0);
  EXPECT_THROW(h.cpu().rmpread(kGuest, VirtAddr(kState)), InvalidOpcode) << "milan: no RMPREAD";
  EXPECT_THROW(h.cpu().pvalidate(VirtAddr(kGuest), false, true), InvalidOpcode) << "host";
  EXPECT_EQ(h.cpu().psmash(kBig), rmp::ret::kFailBadAddr);
}

TEST(RmpHost, VmHsavePaMustBeHypervisorOwned) {
  SnpHost h;
  ASSERT_EQ(h.assign(kGuest, 0x7000), rmp::ret::kSuccess);
  EXPECT_THROW(h.cpu().wrmsr(msr::kVmHsavePa, kGuest), GeneralProtection);
  EXPECT_THROW(h.cpu().wrmsr(msr::kVmHsavePa, kGuest + 8), GeneralProtection);
  h.cpu().wrmsr(msr::kVmHsavePa, kGuest + kPageSize);
  EXPECT_EQ(h.cpu().rdmsr(msr::kVmHsavePa), kGuest + kPageSize);
}

TEST(RmpHost, DmaWriteToPrivatePageIsBlockedReadsAreNot) {
  SnpHost h;
  DmaDevice& nic = h.m.add_dma_device("nic", 64);
  const uint8_t bytes[4] = {1, 2, 3, 4};
  ASSERT_EQ(h.assign(kGuest, 0x7000), rmp::ret::kSuccess);
  const Bytes before = [&] {
    Bytes b(4);
    h.m.dram().read(SysPhysAddr(kGuest), b);
    return b;
  }();
  EXPECT_THROW(nic.dma_write(kGuest, bytes), DmaFault);
  Bytes after(4);
  h.m.dram().read(SysPhysAddr(kGuest), after);
  EXPECT_EQ(after, before) << "nothing reached memory";
  EXPECT_THROW(nic.dma_write(kGuest - 2, bytes), DmaFault) << "straddling into the page";
  EXPECT_NO_THROW(nic.dma_write(kGuest + kPageSize, bytes)) << "control: shared page";
  uint8_t in[4];
  EXPECT_NO_THROW(nic.dma_read(kGuest, in));
}

TEST(RmpHost, SegmentedRmpOnTurinAndRmpRead) {
  SnpHost h("turin", false);
  Cpu& c = h.cpu();
  EXPECT_THROW(c.wrmsr(msr::kRmpCfg, rmp_cfg::kSegRmpEn | 12ull << 8), GeneralProtection);
  EXPECT_THROW(c.wrmsr(msr::kRmpCfg, 1ull << 20), GeneralProtection);
  const uint64_t seg_base = 0xD000000;
  for (unsigned i = 0; i < h.m.cores(); ++i)
    h.m.cpu(i).wrmsr(msr::kRmpCfg, rmp_cfg::kSegRmpEn | uint64_t{30} << 8);
  h.enable_snp(0);
  ASSERT_TRUE(h.m.rmp().table().bounds().segmented);
  h.m.rmp().table().write_segment(0, 1, seg_base);
  EXPECT_THROW(c.wrmsr(msr::kRmpCfg, 0), GeneralProtection) << "locked by SNP_EN";
  ASSERT_EQ(h.assign(kGuest, 0x7000), rmp::ret::kSuccess);
  uint8_t raw[16];
  h.m.dram().read(SysPhysAddr(seg_base + (kGuest >> 12) * 16), raw);
  EXPECT_EQ(raw[0] & 1, 1) << "the entry sits in segment 0's table";
  ASSERT_EQ(c.rmpread(kGuest, VirtAddr(kState)), rmp::ret::kSuccess);
  EXPECT_EQ(c.read<uint8_t>(VirtAddr(kState + 8)), 1) << "assigned";
  EXPECT_EQ(c.read<uint32_t>(VirtAddr(kState + 12)), kAsid);
  EXPECT_EQ(c.rmpread(kGuest + 1, VirtAddr(kState)), rmp::ret::kFailInput);
}

}  // namespace
}  // namespace cbit::hw
