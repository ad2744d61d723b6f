// The SEV-SNP host kernel (sw/host/sev_snp.h) and KVM's guest_memfd view (sw/hv/vm_memory.h)
// against the real simulated machine: the BIOS's RMP reservation, snp_rmptable_init's SYSCFG
// order and dmesg lines, the page allocator keeping out of the RMP, RMPUPDATE through the core.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>

#include "common/error.h"
#include "hw/cpu/fault.h"
#include "hw/cpu/msr.h"
#include "hw/machine.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::host {
namespace {

struct SnpHost {
  explicit SnpHost(bool bios_snp, const std::string& cpu = "genoa", bool sme = true) {
    hw::MachineConfig cfg;
    cfg.cpu = hw::cpu_model_by_name(cpu);
    cfg.dram_bytes = 128ull << 20;
    cfg.firmware.sme = sme;
    cfg.firmware.snp = bios_snp;
    cfg.seed = 9;
    m = std::make_unique<hw::Machine>(cfg);
    k = std::make_unique<HostKernel>(*m, KernelConfig{"mem_encrypt=on", false, 1ull << 20});
    k->boot();
  }
  bool dmesg_has(const std::string& s) const {
    for (const auto& l : k->dmesg())
      if (l.find(s) != std::string::npos) return true;
    return false;
  }
  std::unique_ptr<hw::Machine> m;
  std::unique_ptr<HostKernel> k;
};

constexpr uint64_t kSnpBits = hw::syscfg::kMfdm | hw::syscfg::kSnpEn | hw::syscfg::kSnpVmplEn;

TEST(SnpHost, RmptableInitEnablesSnpOnEveryCoreWithLinuxsLine) {
  SnpHost h(true);
  const auto rmp = h.m->bios_rmp();
  ASSERT_TRUE(rmp);
  // The table covers all of DRAM, sits at its top, 1 MiB-aligned.
  EXPECT_EQ(rmp->end + 1, 128ull << 20);
  EXPECT_EQ(rmp->base % (1ull << 20), 0u);
  EXPECT_GE(rmp->end + 1 - rmp->base, 0x4000 + ((128ull << 20) >> 12) * 16);
  EXPECT_TRUE(h.k->cc_platform_has(CcAttr::HostSevSnp));
  EXPECT_TRUE(h.dmesg_has(fmt::format("SEV-SNP: RMP table physical range [0x{:016x} - 0x{:016x}]",
                                      rmp->base, rmp->end)));
  for (unsigned c = 0; c < h.m->cores(); ++c)
    EXPECT_EQ(h.m->cpu(c).rdmsr(hw::msr::kSyscfg) & kSnpBits, kSnpBits) << "core " << c;
}

TEST(SnpHost, WithoutTheBiosReservationSnpStaysOffInLinuxsWords) {
  SnpHost h(false);  // control: the same part, SNP off in the BIOS
  EXPECT_FALSE(h.m->bios_rmp());
  EXPECT_FALSE(h.k->cc_platform_has(CcAttr::HostSevSnp));
  EXPECT_TRUE(h.dmesg_has("SEV-SNP: Memory for the RMP table has not been reserved by BIOS"));
  EXPECT_EQ(h.m->cpu(0).rdmsr(hw::msr::kSyscfg) & hw::syscfg::kSnpEn, 0u);
  // rmp_make_private without SNP: -ENODEV, nothing touched.
  EXPECT_EQ(h.k->snp().rmp_make_private(Pfn(0x1000), 0, PG_LEVEL_4K, 1, false), -ENODEV);
  // A part without SNP asks for nothing and says nothing.
  SnpHost naples(true, "naples");
  EXPECT_FALSE(naples.m->bios_rmp());
  EXPECT_FALSE(naples.k->cc_platform_has(CcAttr::HostSevSnp));
  EXPECT_FALSE(naples.dmesg_has("SEV-SNP"));
}

TEST(SnpHost, ThePageAllocatorNeverHandsOutTheRmp) {
  SnpHost h(true);
  const uint64_t base = h.m->bios_rmp()->base;
  uint64_t highest = 0, n = 0;
  while (auto p = h.k->alloc_pages(0)) {
    highest = std::max(highest, h.k->__pa(*p).value);
    ++n;
  }
  EXPECT_GT(n, 1000u);
  EXPECT_LT(highest, base);
  EXPECT_GE(highest + 4096, base - (2ull << 20));  // and everything below it is used
}

TEST(SnpHost, RmpMakePrivateAndSharedThroughRmpupdate) {
  SnpHost h(true);
  auto va = h.k->alloc_pages(9);  // a 2 MiB block nobody split before
  ASSERT_TRUE(va);
  const Pfn pfn = Pfn::of(h.k->__pa(*va));
  // The direct map holds the page in a 2 MiB mapping before.
  ASSERT_EQ(h.k->page_tables().lookup_address(*va)->level, PgLevel::Pmd);
  int rc;
  try {
    rc = h.k->snp().rmp_make_private(pfn, 0x5000, PG_LEVEL_4K, 3, false);
  } catch (const hw::NotModelled&) {
    GTEST_SKIP() << "RMPUPDATE not in this build's CPU yet (h-rmp-hw)";
  }
  ASSERT_EQ(rc, 0) << h.k->dmesg().back();
  // adjust_direct_map(): split to 4 KiB around the now-private page.
  EXPECT_EQ(h.k->page_tables().lookup_address(*va)->level, PgLevel::Pte);
  const auto e = h.m->rmp().table().read(pfn.addr());
  EXPECT_TRUE(e.assigned);
  EXPECT_EQ(e.asid, 3u);
  EXPECT_EQ(e.gpa, 0x5000u);
  EXPECT_FALSE(e.validated);
  EXPECT_EQ(h.k->snp().rmp_make_shared(pfn, PG_LEVEL_4K), 0);
  EXPECT_FALSE(h.m->rmp().table().read(pfn.addr()).assigned);
  // A 2 MiB assignment at a pfn that is not 2 MiB-aligned: adjust_direct_map refuses it and
  // rmpupdate() answers -EFAULT, as Linux, before any RMPUPDATE.
  EXPECT_EQ(h.k->snp().rmp_make_private(Pfn(pfn.value | 1), 0, PG_LEVEL_2M, 3, false), -EFAULT);
}

TEST(SnpHost, CcpInitialisesSnpBeforeSevAndPrintsTheApiLine) {
  SnpHost h(true);
  SevDev dev(*h.k, *h.m);
  int error = 0;
  const int rc = dev.sev_platform_init(&error);
  if (!h.m->rmp().enabled()) GTEST_SKIP() << "SYSCFG.SNP_EN does not enable the RMP yet (h-rmp-hw)";
  ASSERT_EQ(rc, 0) << error << " " << (dev.log().empty() ? "" : dev.log().back());
  EXPECT_TRUE(dev.snp_initialized());
  EXPECT_TRUE(h.dmesg_has(fmt::format("SEV-SNP API:{}.{} build:{}", dev.snp_api_major(),
                                      dev.snp_api_minor(), dev.snp_build())));
  // SNP_INIT_EX, then the SEV INIT: the order the firmware insists on.
  sev_user_data_snp_status st{};
  ASSERT_EQ(dev.snp_platform_status(&st, &error), 0);
  EXPECT_EQ(st.state, 1);
  EXPECT_EQ(st.is_rmp_initialized & 1, 1);
  // The TMR is 2 MiB of firmware pages with SNP.
  ASSERT_TRUE(dev.sev_es_tmr());
  EXPECT_TRUE(hw::rmp::firmware_owned(h.m->rmp().table().read(*dev.sev_es_tmr())));
}

}  // namespace
}  // namespace cbit::sw::host

namespace cbit::sw::hv {
namespace {

TEST(GuestMemfd, PrivatePagesReadAsZerosInTheHostsViewSharedOnesDoNot) {
  hw::MachineConfig cfg;
  cfg.cpu = hw::cpu_model_by_name("genoa");
  cfg.dram_bytes = 64ull << 20;
  cfg.seed = 3;
  hw::Machine m(cfg);
  host::HostKernel k(m, {});
  k.boot();
  VmMemory mem(k);
  mem.add_slot("ram", GuestPhysAddr(0), 1ull << 20);
  const Bytes secret(4096, 0x5a);
  mem.write(GuestPhysAddr(0x3000), secret);
  mem.write(GuestPhysAddr(0x4000), secret);
  mem.enable_guest_memfd();
  mem.set_memory_attributes(GuestPhysAddr(0), 1ull << 20, true);
  mem.set_memory_attributes(GuestPhysAddr(0x4000), 4096, false);  // control: shared
  Bytes out(8192);
  mem.read(GuestPhysAddr(0x3000), out);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 4096), Bytes(4096, 0));  // private: zeros
  EXPECT_EQ(Bytes(out.begin() + 4096, out.end()), secret);            // shared: the bytes
  EXPECT_THROW(mem.write(GuestPhysAddr(0x3000), secret), InputError);
  EXPECT_NO_THROW(mem.write(GuestPhysAddr(0x4000), secret));
  EXPECT_THROW(mem.set_memory_attributes(GuestPhysAddr(0x123), 4096, true), InputError);
}

}  // namespace
}  // namespace cbit::sw::hv
