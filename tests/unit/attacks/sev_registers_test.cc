// Register read/write at an exit: off and SEV give the hypervisor the guest's registers; SEV-ES
// refuses, shows only ciphertext, and a write into the VMSA fails the next VMRUN.
#include <gtest/gtest.h>

#include "attacks/fn_guest.h"
#include "attacks/hv_register_access.h"
#include "hw/svm/vmcb.h"
#include "testbed/sev_host.h"

namespace cbit::attacks {
namespace {

TEST(SevAttack, RegistersOffAndSevReadTheKeyAndSteerTheGuest) {
  for (SevMode m : {SevMode::None, SevMode::Sev}) {
    testbed::SevHost h;
    const auto r = hv_register_access(h.attacker(), m);
    EXPECT_EQ(r.verdict, Verdict::Succeeded) << mode_flag(m) << ": " << r.detail;
    EXPECT_EQ(r.evidence["get_regs_rc"].get<int>(), 0);
    EXPECT_EQ(r.evidence["set_regs_rc"].get<int>(), 0);
    EXPECT_EQ(r.evidence["r12_read"].get<std::string>(), "0x5ec12e7c0ffee123");
    EXPECT_TRUE(r.evidence["guest_took_privileged_path"].get<bool>());
    EXPECT_EQ(r.evidence["guest_rbx_after_exit"].get<uint64_t>(), 1u);
  }
}

TEST(SevAttack, RegistersSevEsRefusedCiphertextAndDenialOfService) {
  testbed::SevHost h;
  const auto r = hv_register_access(h.attacker(), SevMode::SevEs);
  EXPECT_EQ(r.verdict, Verdict::Blocked) << r.detail;
  EXPECT_EQ(r.evidence["get_regs_rc"].get<int>(), -EINVAL);
  EXPECT_EQ(r.evidence["set_regs_rc"].get<int>(), -EINVAL);
  EXPECT_FALSE(r.evidence["key_in_vmsa_view"].get<bool>());
  uint8_t key[8];
  store_le<uint64_t>(key, 0x5EC12E7C0FFEE123);
  EXPECT_NE(r.evidence["vmsa_r12_via_hv_mapping"].get<std::string>(), to_hex(key));
  // Control: the untouched VMSA runs and the guest finds its registers as it left them.
  EXPECT_EQ(r.evidence["second_exit"].get<std::string>(), "HLT");
  EXPECT_TRUE(r.evidence["guest_r12_intact"].get<bool>());
  EXPECT_FALSE(r.evidence["guest_took_privileged_path"].get<bool>());
  // The write into the VMSA: VMRUN refuses it, the guest never runs again.
  EXPECT_EQ(r.evidence["exit_after_vmsa_write"].get<std::string>(), "INVALID");
  EXPECT_FALSE(r.evidence["guest_ran_after_vmsa_write"].get<bool>());
  EXPECT_EQ(r.got, "-EINVAL; DoS only");
}

// Rome has no SME_COHERENT: the host-key write and the guest-key line are separate cache lines,
// so the attack flushes around its write. The verdict is the same as on Milan.
TEST(SevAttack, RegistersSevEsDenialOfServiceOnRome) {
  testbed::SevHost h({"rome", 2});
  ASSERT_FALSE(h.m.cpu_model().fn8000_001f.has(hw::SevFeature::SmeCoherent));
  const auto r = hv_register_access(h.attacker(), SevMode::SevEs);
  EXPECT_EQ(r.verdict, Verdict::Blocked) << r.detail;
  EXPECT_EQ(r.evidence["exit_after_vmsa_write"].get<std::string>(), "INVALID");
  EXPECT_FALSE(r.evidence["guest_ran_after_vmsa_write"].get<bool>());
}

// Replaying an older VMSA ciphertext (raw DRAM, by DMA) is refused as well: the integrity value
// is of the state saved at the last #VMEXIT. Control: writing back the current bytes runs.
TEST(SevAttack, RegistersSevEsVmsaReplayIsRefused) {
  testbed::SevHost h;
  auto vm = h.make_vm(SevMode::SevEs);
  int step = 0;
  FnGuest g([&](GuestCpu& cpu) { cpu.regs().rbx = static_cast<uint64_t>(++step); });
  ASSERT_EQ(vm->run(g).code, hw::svm::exit_code::kHlt);
  const SysPhysAddr vmsa = vm->vcpu().vmsa_pa();
  const Bytes old = h.attacker().read_as_stored(vmsa, kPageSize);
  ASSERT_EQ(vm->run(g).code, hw::svm::exit_code::kHlt);
  const Bytes current = h.attacker().read_as_stored(vmsa, kPageSize);
  ASSERT_NE(old, current);
  h.attacker().write_as_stored(vmsa, current);  // control: the same bytes again
  ASSERT_EQ(vm->run(g).code, hw::svm::exit_code::kHlt);
  EXPECT_EQ(step, 3);
  h.attacker().write_as_stored(vmsa, old);
  EXPECT_EQ(vm->run(g).code, hw::svm::exit_code::kInvalid);
  EXPECT_EQ(step, 3);
}

}  // namespace
}  // namespace cbit::attacks
