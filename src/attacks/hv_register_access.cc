#include "attacks/hv_register_access.h"

#include <fmt/format.h>

#include "attacks/fn_guest.h"
#include "hw/cpu/fault.h"
#include "hw/svm/vmcb.h"

namespace cbit::attacks {
namespace {
constexpr uint64_t kKey = 0x5EC12E7C0FFEE123;  // what the guest holds in R12
}  // namespace

SevAttackResult hv_register_access(HostAttacker& attacker, SevMode mode) {
  using hw::svm::exit_code_name;
  SevAttackResult r;
  r.attack = "hv-register-access";
  r.mode = mode;
  auto& hv = attacker.hypervisor();
  auto vm = hv.launch_vm(mode);
  int step = 0;
  uint64_t r12_after = 0, rbx_after = 0;
  bool privileged_path = false;
  FnGuest guest([&](GuestCpu& cpu) {
    if (step++ == 0) {
      cpu.regs().r12 = kKey;
      cpu.regs().rbx = 0;  // "not privileged": the guest relies on it after the exit
      return;              // HLT
    }
    r12_after = cpu.regs().r12;
    rbx_after = cpu.regs().rbx;
    privileged_path = rbx_after != 0;
  });
  const auto first = vm->run(guest);
  auto& ev = r.evidence;
  ev["first_exit"] = exit_code_name(first.code);

  hw::GprFile regs{};
  const int get_rc = vm->vcpu().get_regs(&regs);
  ev["get_regs_rc"] = get_rc;
  if (get_rc == 0) {
    ev["r12_read"] = fmt::format("{:#x}", regs.r12);
    regs.rbx = 1;
    const int set_rc = vm->vcpu().set_regs(regs);
    ev["set_regs_rc"] = set_rc;
    const auto second = vm->run(guest);
    ev["second_exit"] = exit_code_name(second.code);
    ev["guest_rbx_after_exit"] = rbx_after;
    ev["guest_took_privileged_path"] = privileged_path;
    const bool read_ok = regs.r12 == kKey;
    r.verdict = read_ok && privileged_path ? Verdict::Succeeded : Verdict::Blocked;
    r.got = read_ok ? (privileged_path ? "R12 read; RBX 0->1 obeyed" : "R12 read") : "no key";
    r.detail = fmt::format(
        "KVM_GET_REGS: R12 = {:#x} (the guest's key); KVM_SET_REGS RBX 0 -> 1: the guest {}",
        regs.r12, privileged_path ? "took its privileged branch" : "did not notice");
    return r;
  }

  // SEV-ES: the registers are in the VMSA. Try the other doors.
  hw::GprFile in{};
  in.rbx = 1;
  ev["set_regs_rc"] = vm->vcpu().set_regs(in);
  const VirtAddr vmsa = *vm->vcpu().vmsa();
  uint8_t r12_view[8];
  hv.memcpy_from(vmsa + hw::svm::save::kR12, r12_view);  // the HV's (host-key) mapping
  Bytes page(kPageSize);
  hv.memcpy_from(vmsa, page);
  uint8_t key_bytes[8];
  store_le(key_bytes, kKey);
  const bool key_in_view = count_occurrences(page, key_bytes) > 0;
  ev["vmsa_r12_via_hv_mapping"] = hex_of(r12_view);
  ev["key_in_vmsa_view"] = key_in_view;

  // Control: the untouched VMSA runs; the guest finds R12 intact and RBX unchanged.
  const auto second = vm->run(guest);
  ev["second_exit"] = exit_code_name(second.code);
  ev["guest_r12_intact"] = r12_after == kKey;
  ev["guest_took_privileged_path"] = privileged_path;

  // Write into the VMSA (RBX's bytes) through the host mapping, then VMRUN. On parts without
  // SME_COHERENT (Naples, Rome) the host-key line and the guest-key line of the same address
  // are separate cache lines: WBINVD before (the guest-key line goes to DRAM and leaves the
  // cache) and after (the write reaches DRAM) makes the write the one VMRUN reads, as Linux's
  // sev_clflush_pages() does for the opposite reason.
  hv.wbinvd();
  uint8_t b = 0;
  hv.memcpy_from(vmsa + hw::svm::save::kRbx, {&b, 1});
  b ^= 1;
  // SEV-SNP: the VMSA page is the guest's in the RMP; the host's store faults (#PF, RMP bit).
  std::string write_fault;
  try {
    hv.memcpy_to(vmsa + hw::svm::save::kRbx, {&b, 1});
  } catch (const hw::PageFault& pf) {
    write_fault = fmt::format("#PF {:#x}", pf.error_code());
  }
  ev["vmsa_write_fault"] = write_fault.empty() ? std::string("none") : write_fault;
  hv.wbinvd();
  const int steps_before = step;
  const auto third = vm->run(guest);
  ev["exit_after_vmsa_write"] = exit_code_name(third.code);
  ev["guest_ran_after_vmsa_write"] = step != steps_before;

  const bool dos = third.code == hw::svm::exit_code::kInvalid;
  r.verdict = key_in_view || privileged_path ? Verdict::Succeeded : Verdict::Blocked;
  r.got = !write_fault.empty() ? "-EINVAL; VMSA write " + write_fault
          : dos                ? "-EINVAL; DoS only"
                               : "-EINVAL";
  r.detail = fmt::format(
      "KVM_GET/SET_REGS {}; VMSA R12 via host mapping {} (ciphertext); VMSA write -> {}", get_rc,
      hex_of(r12_view), exit_code_name(third.code));
  return r;
}

}  // namespace cbit::attacks
