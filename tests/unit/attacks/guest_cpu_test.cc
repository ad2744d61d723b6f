// The victim guest's CPU in the attack files (attacks/fn_guest.h) is usable only while that guest
// runs in guest mode: kept and called from the hypervisor's side (an exit hook, or after the run)
// it stops the program instead of handing an attack the core. Control: inside the run it works.
#include <gtest/gtest.h>

#include "attacks/fn_guest.h"
#include "hw/svm/vmcb.h"
#include "testbed/sev_host.h"

namespace cbit::attacks {
namespace {

constexpr uint64_t kPage = 0x205000;

TEST(GuestCpu, WorksInsideTheGuestRun) {
  testbed::SevHost h;
  auto vm = h.make_vm(sw::hv::SevMode::Sev);
  uint64_t back = 0;
  FnGuest g([&](GuestCpu& cpu) {
    cpu.write<uint64_t>(VirtAddr(kPage), 0x1122334455667788);
    back = cpu.read<uint64_t>(VirtAddr(kPage));
    cpu.regs().rbx = back;
  });
  ASSERT_EQ(vm->run(g).code, hw::svm::exit_code::kHlt);
  EXPECT_EQ(back, 0x1122334455667788u);
  hw::GprFile regs{};
  ASSERT_EQ(vm->vcpu().get_regs(&regs), 0);
  EXPECT_EQ(regs.rbx, back);
}

TEST(GuestCpuDeathTest, KeptAfterTheRunStops) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  testbed::SevHost h;
  auto vm = h.make_vm(sw::hv::SevMode::Sev);
  GuestCpu* kept = nullptr;
  FnGuest g([&](GuestCpu& cpu) { kept = &cpu; });
  ASSERT_EQ(vm->run(g).code, hw::svm::exit_code::kHlt);
  ASSERT_NE(kept, nullptr);
  EXPECT_DEATH(kept->regs().rax = 1, "GuestCpu used outside its guest's run");
  EXPECT_DEATH(kept->read<uint64_t>(VirtAddr(kPage)), "GuestCpu used outside its guest's run");
}

TEST(GuestCpuDeathTest, CalledFromAnExitHookStops) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  testbed::SevHost h;
  auto vm = h.make_vm(sw::hv::SevMode::Sev);
  vm->npt().unmap_page(GuestPhysAddr(kPage));
  GuestCpu* kept = nullptr;
  bool hook_ran = false;
  FnGuest g([&](GuestCpu& cpu) {
    kept = &cpu;
    cpu.write<uint64_t>(VirtAddr(kPage), 1);  // #NPF: the hypervisor's hook runs in host mode
  });
  // Control: a hook that does not touch the guest's CPU runs, and the run goes on to HLT.
  const SysPhysAddr spa = *vm->memory().gpa_to_spa(GuestPhysAddr(kPage));
  vm->on_npf = [&](sw::hv::Vcpu&, uint64_t, uint64_t) {
    hook_ran = true;
    vm->npt().map_page(GuestPhysAddr(kPage), spa, true, true);
    return true;
  };
  ASSERT_EQ(vm->run(g).code, hw::svm::exit_code::kHlt);
  EXPECT_TRUE(hook_ran);
  vm->npt().unmap_page(GuestPhysAddr(kPage));
  vm->on_npf = [&](sw::hv::Vcpu&, uint64_t, uint64_t) {
    kept->regs().rax = 0xbad;  // the breach: the guest's registers from the host side
    return false;
  };
  EXPECT_DEATH(vm->run(g), "GuestCpu used outside its guest's run");
}

}  // namespace
}  // namespace cbit::attacks
