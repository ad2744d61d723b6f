// The hypervisor's VMs on the simulated core: VMRUN's checks against the Secure Processor, exits
// and the registers KVM sees, SEV-ES's #VC / GHCB MSR protocol and the VMSA integrity check.
#include <gtest/gtest.h>

#include "hv_vm_rig.h"
#include "hw/cpu/fault.h"
#include "hw/svm/vmcb.h"
#include "sw/ghcb/ghcb.h"
#include "sw/hv/vm.h"

namespace cbit::sw::hv::test {
namespace {

using hw::svm::exit_code::kHlt;
using hw::svm::exit_code::kInvalid;
constexpr uint64_t kSecretGpa = 0x200000;
constexpr std::string_view kSecret = "HV-VM-TEST-SECRET-42";
ByteSpan secret() {
  return ByteSpan(reinterpret_cast<const uint8_t*>(kSecret.data()), kSecret.size());
}

bool hv_finds(Vm& vm, std::string_view s) {
  Bytes ram(vm.config().ram_bytes);
  vm.memory().read(GuestPhysAddr(0), ram);
  return contains(ram, s);
}

TEST(HvVm, PlainGuestIsReadableAndSeesNoSev) {
  VmHost h;
  auto vm = h.make_vm(SevMode::None);
  hw::CpuidResult leaf{};
  uint64_t status = 99;
  FnGuest g([&](hw::Cpu& cpu) {
    cpu.write_virt(VirtAddr(kSecretGpa), secret());
    leaf = cpu.cpuid(0x8000001F);
    status = cpu.rdmsr(hw::msr::kSevStatus);
  });
  const auto exit = vm->run(g);
  EXPECT_EQ(exit.code, kHlt);
  EXPECT_EQ(vm->vcpu().exits().at(hw::svm::exit_code::kCpuid), 1u);
  EXPECT_EQ(leaf, hw::CpuidResult{});
  EXPECT_EQ(status, 0u);
  EXPECT_TRUE(hv_finds(*vm, kSecret));
}

TEST(HvVm, SevGuestMemoryIsCiphertextToTheHypervisor) {
  VmHost h(true, "naples");
  auto vm = h.make_vm(SevMode::Sev);
  ASSERT_EQ(vm->launch(nullptr).rc, 0);
  hw::CpuidResult leaf{};
  uint64_t status = 0;
  Bytes back(kSecret.size());
  FnGuest g([&](hw::Cpu& cpu) {
    cpu.write_virt(VirtAddr(kSecretGpa), secret());
    cpu.read_virt(VirtAddr(kSecretGpa), back);
    leaf = cpu.cpuid(0x8000001F);
    status = cpu.rdmsr(hw::msr::kSevStatus);
  });
  EXPECT_EQ(vm->run(g).code, kHlt);
  EXPECT_EQ(back, Bytes(secret().begin(), secret().end()));
  // Seed 004's read-out inside an SEV guest on a first-generation EPYC.
  EXPECT_EQ(leaf.eax, 0x00000002u);
  EXPECT_EQ(leaf.ebx, 0x0000006fu);
  EXPECT_EQ(status, 1u);
  EXPECT_FALSE(hv_finds(*vm, kSecret));
}

TEST(HvVm, VmrunRefusesAnSevGuestBeforeTheFirmwareActivatesIt) {
  VmHost h;
  auto vm = h.make_vm(SevMode::Sev);  // KVM_SEV_INIT only: no LAUNCH_START, no ACTIVATE
  bool ran = false;
  FnGuest g([&](hw::Cpu&) { ran = true; });
  EXPECT_EQ(vm->run(g).code, kInvalid);
  EXPECT_FALSE(ran);
  // Control: the same VM after its launch runs.
  ASSERT_EQ(vm->launch(nullptr).rc, 0);
  EXPECT_EQ(vm->run(g).code, kHlt);
  EXPECT_TRUE(ran);
}

TEST(HvVm, SevHypervisorReadsAndWritesRegistersSevEsCannot) {
  for (SevMode mode : {SevMode::Sev, SevMode::SevEs}) {
    VmHost h;
    auto vm = h.make_vm(mode);
    ASSERT_EQ(vm->launch(nullptr).rc, 0);
    uint64_t r12_after = 0;
    int step = 0;
    FnGuest g([&](hw::Cpu& cpu) {
      if (step++ == 0) {
        cpu.regs().r12 = 0x5EC12E7;  // a key held in a register across an exit
        cpu.hlt();
      }
      r12_after = cpu.regs().r12;
    });
    EXPECT_EQ(vm->run(g).code, kHlt);
    hw::GprFile regs{};
    if (mode == SevMode::Sev) {
      ASSERT_EQ(vm->vcpu().get_regs(&regs), 0);
      EXPECT_EQ(regs.r12, 0x5EC12E7u);
      regs.r12 = 0xBAD;
      ASSERT_EQ(vm->vcpu().set_regs(regs), 0);
      vm->run(g);
      EXPECT_EQ(r12_after, 0xBADu);  // the hypervisor changed the guest's register
    } else {
      EXPECT_EQ(vm->vcpu().get_regs(&regs), -EINVAL);
      EXPECT_EQ(h.m.cpu().regs(), hw::GprFile{});  // scrubbed at #VMEXIT
      vm->run(g);
      EXPECT_EQ(r12_after, 0x5EC12E7u);  // restored from the VMSA
    }
  }
}

TEST(HvVm, SevEsInterceptsBecomeVcAndTheMsrProtocolAnswers) {
  VmHost h;
  auto vm = h.make_vm(SevMode::SevEs);
  ASSERT_EQ(vm->launch(nullptr).rc, 0);
  uint64_t vc_code = 0, info = 0, cpuid_ebx = 0;
  FnGuest g([&](hw::Cpu& cpu) {
    try {
      cpu.cpuid(0x8000001F);
    } catch (const hw::VmmCommunication& vc) {
      vc_code = vc.exit_code();
    }
    namespace mp = ghcb::msr_proto;
    cpu.wrmsr(hw::msr::kGhcb, mp::kSevInfoReq);
    cpu.vmgexit();
    info = cpu.rdmsr(hw::msr::kGhcb);
    cpu.wrmsr(hw::msr::kGhcb, mp::cpuid_req(0x8000001F, 1));
    cpu.vmgexit();
    cpuid_ebx = cpu.rdmsr(hw::msr::kGhcb) >> 32;
  });
  EXPECT_EQ(vm->run(g).code, kHlt);
  EXPECT_EQ(vc_code, hw::svm::exit_code::kCpuid);
  EXPECT_EQ(ghcb::msr_proto::code(info), ghcb::msr_proto::kSevInfoResp);
  EXPECT_EQ((info >> 24) & 0xff, h.m.cpu_model().fn8000_001f.cbit_position());
  EXPECT_EQ(cpuid_ebx & 0x3f, h.m.cpu_model().fn8000_001f.cbit_position());
  EXPECT_EQ(vm->vcpu().exits().count(hw::svm::exit_code::kCpuid), 0u);  // never a CPUID exit
  EXPECT_EQ(vm->vcpu().exits().at(hw::svm::exit_code::kVmgexit), 2u);
}

TEST(HvVm, SevEsVmsaWrittenByTheHypervisorFailsVmrun) {
  VmHost h;
  auto vm = h.make_vm(SevMode::SevEs);
  ASSERT_EQ(vm->launch(nullptr).rc, 0);
  int runs = 0;
  FnGuest g([&](hw::Cpu&) { ++runs; });
  EXPECT_EQ(vm->run(g).code, kHlt);
  // Control: an untouched VMSA runs again.
  EXPECT_EQ(vm->run(g).code, kHlt);
  EXPECT_EQ(runs, 2);
  // The hypervisor flips one byte of the (encrypted) VMSA through its own mapping.
  const VirtAddr vmsa = *vm->vcpu().vmsa();
  uint8_t b = 0;
  h.k.memcpy_from(vmsa + hw::svm::save::kRip, MutByteSpan(&b, 1));
  b ^= 1;
  h.k.memcpy_to(vmsa + hw::svm::save::kRip, ByteSpan(&b, 1));
  EXPECT_EQ(vm->run(g).code, kInvalid);
  EXPECT_EQ(runs, 2);
}

TEST(HvVm, NestedPageFaultGoesToTheHypervisorAndResumes) {
  VmHost h;
  auto vm = h.make_vm(SevMode::Sev);
  ASSERT_EQ(vm->launch(nullptr).rc, 0);
  const SysPhysAddr spa = *vm->memory().gpa_to_spa(GuestPhysAddr(kSecretGpa));
  vm->npt().unmap_page(GuestPhysAddr(kSecretGpa));
  uint64_t seen_gpa = 0;
  vm->on_npf = [&](Vcpu&, uint64_t gpa, uint64_t info1) {
    seen_gpa = gpa;
    EXPECT_TRUE(info1 & hw::svm::npf::kGuestFinal);
    vm->npt().map_page(GuestPhysAddr(gpa & ~0xfffull), spa, true, true);
    return true;
  };
  Bytes back(kSecret.size());
  FnGuest g([&](hw::Cpu& cpu) {
    cpu.write_virt(VirtAddr(kSecretGpa), secret());
    cpu.read_virt(VirtAddr(kSecretGpa), back);
  });
  EXPECT_EQ(vm->run(g).code, kHlt);
  EXPECT_EQ(seen_gpa, kSecretGpa);
  EXPECT_EQ(vm->vcpu().exits().at(hw::svm::exit_code::kNpf), 1u);
  EXPECT_EQ(back, Bytes(secret().begin(), secret().end()));
}

}  // namespace
}  // namespace cbit::sw::hv::test
