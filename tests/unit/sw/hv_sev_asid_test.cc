// KVM's SEV ASIDs: ranges from CPUID Fn8000_001F (ES below min_sev_asid, SEV at or above), and
// a destroyed guest's ASID reused only after WBINVD on every core and DF_FLUSH.
#include <gtest/gtest.h>

#include <cerrno>

#include "hv_sev_rig.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv::test {
namespace {

namespace sev = hw::psp::sev;
using psp::digest::SevMode;

TEST(HvSev, AsidRangesComeFromCpuid) {
  HostRig r("milan");
  EXPECT_EQ(r.kvm.min_sev_asid(), 256u);  // Fn8000_001F EDX
  EXPECT_EQ(r.kvm.max_sev_asid(), 509u);  // Fn8000_001F ECX
  EXPECT_TRUE(r.kvm.sev_enabled());
  EXPECT_TRUE(r.kvm.sev_es_enabled());
  for (int i = 0; i < 3; ++i) {
    const int es = r.kvm.sev_asid_new(true);
    EXPECT_GE(es, 1);
    EXPECT_LT(es, 256);
    const int plain = r.kvm.sev_asid_new(false);
    EXPECT_GE(plain, 256);
    EXPECT_LE(plain, 509);
  }
  // Naples: min_sev_asid = 1 leaves no ASID for SEV-ES.
  HostRig n("naples");
  EXPECT_TRUE(n.kvm.sev_enabled());
  EXPECT_FALSE(n.kvm.sev_es_enabled());
  EXPECT_EQ(n.kvm.sev_asid_new(true), -ENOTTY);
  VmMemory mem(n.k);
  KvmSevVm vm(n.kvm, mem);
  int error = 0;
  EXPECT_EQ(vm.sev_guest_init(true, &error), -ENOTTY);
  EXPECT_EQ(vm.sev_guest_init(false, &error), 0);
  EXPECT_EQ(vm.asid(), 1u);
  EXPECT_EQ(vm.sev_guest_init(false, &error), -EBUSY);  // already an SEV VM
}

// A VM launched to RUNNING (so its ASID is in use in the firmware) on a tiny ASID space.
struct Running {
  Running(HostRig& r, bool es) : mem(r.k), vm(r.kvm, mem) {
    mem.add_slot("ram", GuestPhysAddr(0), 64 * 1024);
    int error = 0;
    EXPECT_EQ(vm.sev_guest_init(es, &error), 0);
    EXPECT_EQ(vm.sev_launch_start(es ? 0x4 : 0x0, std::nullopt, &error), 0) << error;
    const Bytes page(kPageSize, 0x5a);
    mem.write(GuestPhysAddr(0), page);
    EXPECT_EQ(vm.sev_launch_update_data(GuestPhysAddr(0), kPageSize, &error), 0) << error;
    uint32_t len = 48;
    Bytes m;
    EXPECT_EQ(vm.sev_launch_measure(&m, &len, &error), 0) << error;
    EXPECT_EQ(vm.sev_launch_finish(&error), 0) << error;
  }
  VmMemory mem;
  KvmSevVm vm;
};

TEST(HvSev, AsidReuseForcesWbinvdAndDfFlush) {
  // ES guests get ASID 1, SEV guests 2 and 3.
  HostRig r("milan", {"asids=3", "min-sev-asid=2"});
  ASSERT_TRUE(r.kvm.sev_es_enabled());
  auto a = std::make_unique<Running>(r, false);
  auto b = std::make_unique<Running>(r, false);
  EXPECT_EQ(a->vm.asid(), 2u);
  EXPECT_EQ(b->vm.asid(), 3u);
  EXPECT_TRUE(r.fw().asid_runnable(Asid(2)));
  {
    VmMemory mem(r.k);
    KvmSevVm c(r.kvm, mem);
    int error = 0;
    EXPECT_EQ(c.sev_guest_init(false, &error), -EBUSY);  // both SEV ASIDs taken
  }

  a.reset();  // sev_vm_destroy: DEACTIVATE, DECOMMISSION, ASID 2 to the reclaim bitmap
  EXPECT_EQ(r.fw().asid_state(Asid(2)), sev::AsidState::Dirty);
  EXPECT_FALSE(r.fw().asid_runnable(Asid(2)));
  EXPECT_TRUE(r.kvm.asid_reclaimable(2));
  EXPECT_TRUE(r.kvm.asid_in_use(2));  // not handed out again before a flush

  // Control, straight to the firmware: the dirty ASID cannot be activated, and DF_FLUSH is
  // refused until every core has done a WBINVD since the DEACTIVATE.
  {
    int error = 0;
    host::sev_data_launch_start start{};
    ASSERT_EQ(r.dev.sev_do_cmd(host::SevCmd::LaunchStart, &start, &error), 0);
    host::sev_data_activate act{start.handle, 2};
    EXPECT_EQ(r.dev.sev_guest_activate(&act, &error), -EIO);
    EXPECT_EQ(error, static_cast<int>(sev::SevStatus::DfflushRequired));
    EXPECT_EQ(r.dev.sev_guest_df_flush(&error), -EIO);
    EXPECT_EQ(error, static_cast<int>(sev::SevStatus::WbinvdRequired));
    r.m.cpu(0).wbinvd();  // one core is not enough
    EXPECT_EQ(r.dev.sev_guest_df_flush(&error), -EIO);
    EXPECT_EQ(error, static_cast<int>(sev::SevStatus::WbinvdRequired));
    host::sev_data_decommission d{start.handle};
    ASSERT_EQ(r.dev.sev_guest_decommission(&d, &error), 0);
  }

  // KVM: the SEV range is exhausted, so sev_asid_new recycles: WBINVD on all CPUs, DF_FLUSH.
  const uint64_t flushes = r.kvm.flushes();
  VmMemory mem(r.k);
  KvmSevVm c(r.kvm, mem);
  int error = 0;
  ASSERT_EQ(c.sev_guest_init(false, &error), 0);
  EXPECT_EQ(c.asid(), 2u);
  EXPECT_EQ(r.kvm.flushes(), flushes + 1);
  EXPECT_EQ(r.fw().asid_state(Asid(2)), sev::AsidState::Clean);
  EXPECT_FALSE(r.kvm.asid_reclaimable(2));
  EXPECT_EQ(c.sev_launch_start(0x0, std::nullopt, &error), 0) << error;  // ACTIVATE succeeds
  EXPECT_EQ(r.fw().asid_state(Asid(2)), sev::AsidState::Allocated);
}

TEST(HvSev, EsAsidRangeIsSeparateFromSev) {
  HostRig r("milan", {"asids=3", "min-sev-asid=2"});
  auto e = std::make_unique<Running>(r, true);
  EXPECT_EQ(e->vm.asid(), 1u);
  {
    VmMemory mem(r.k);
    KvmSevVm e2(r.kvm, mem);
    int error = 0;
    EXPECT_EQ(e2.sev_guest_init(true, &error), -EBUSY);  // the only ES ASID is taken
    ASSERT_EQ(e2.sev_guest_init(false, &error), 0);      // SEV ASIDs are still free
    EXPECT_EQ(e2.asid(), 2u);
  }
  e.reset();
  EXPECT_TRUE(r.kvm.asid_reclaimable(1));
  Running again(r, true);  // recycled after a flush
  EXPECT_EQ(again.vm.asid(), 1u);
  EXPECT_TRUE(r.fw().asid_runnable(Asid(1)));
}

TEST(HvSev, DestroyReturnsTheAsidAndTheHandle) {
  HostRig r("milan", {"asids=3", "min-sev-asid=2"});
  int error = 0;
  host::sev_user_data_status s{};
  {
    Running g(r, false);
    ASSERT_EQ(r.dev.sev_platform_status(&s, &error), 0);
    EXPECT_EQ(s.guest_count, 1u);
    EXPECT_EQ(s.state, host::SEV_STATE_WORKING);
  }
  ASSERT_EQ(r.dev.sev_platform_status(&s, &error), 0);
  EXPECT_EQ(s.guest_count, 0u);
  EXPECT_EQ(s.state, host::SEV_STATE_INIT);
  EXPECT_TRUE(r.kvm.asid_reclaimable(2));
  // A VM destroyed before LAUNCH_START gives its ASID back too (no handle to decommission).
  {
    VmMemory mem(r.k);
    KvmSevVm v(r.kvm, mem);
    ASSERT_EQ(v.sev_guest_init(false, &error), 0);
    EXPECT_EQ(v.asid(), 3u);
  }
  EXPECT_TRUE(r.kvm.asid_reclaimable(3));
}

}  // namespace
}  // namespace cbit::sw::hv::test
