#include "attacks/npt_remap.h"

#include <fmt/format.h>

#include <optional>
#include <string>

#include "attacks/fn_guest.h"
#include "hw/cpu/fault.h"
#include "hw/cpu/msr.h"
#include "hw/svm/vmcb.h"
#include "sw/ghcb/ghcb.h"

namespace cbit::attacks {
namespace {
constexpr uint64_t kSecretA = 0x200000, kPublicB = 0x201000, kShared = 0x202000;
constexpr uint64_t kTables = 0x300000;
constexpr size_t kLen = 48;
constexpr std::string_view kSecret = "SECRET-A: ssh-ed25519 private key 0x9f3c...";
constexpr std::string_view kPublic = "PUBLIC-B: hello from the guest's web server";

Bytes padded(std::string_view s) {
  Bytes b(kLen, 0);
  std::copy(s.begin(), s.end(), b.begin());
  return b;
}
}  // namespace

SevAttackResult npt_remap(HostAttacker& attacker, SevMode mode) {
  SevAttackResult r;
  r.attack = "npt-remap";
  r.mode = mode;
  auto vm = attacker.hypervisor().launch_vm(mode);
  int requests = 0;
  bool vc_not_validated = false;
  FnGuest guest([&](GuestCpu& cpu) {
    if (requests++ == 0) {
      const uint64_t c = guest_cbit_mask(cpu);
      guest_identity_paging(cpu, kTables, {{kSecretA, true}, {kPublicB, true}, {kShared, false}},
                            c);
      cpu.write_virt(VirtAddr(kSecretA), padded(kSecret));
      cpu.write_virt(VirtAddr(kPublicB), padded(kPublic));
    }
    // Serve one request: the public page goes out through the shared page.
    Bytes b(kLen);
    try {
      cpu.read_virt(VirtAddr(kPublicB), b);
    } catch (const hw::VmmCommunication& vc) {
      if (vc.exit_code() != hw::svm::vc_code::kPageNotValidated) throw;
      // An SNP guest's own page is no longer validated: the hypervisor changed the RMP under
      // it. The guest refuses to go on (its #VC handler panics; the GHCB termination request).
      vc_not_validated = true;
      namespace mp = sw::ghcb::msr_proto;
      cpu.wrmsr(hw::msr::kGhcb, mp::term(mp::kTermSetLinux, mp::kTermLinuxPvalidate));
      cpu.vmgexit();
      return;
    }
    cpu.write_virt(VirtAddr(kShared), b);
  });
  const auto hv_reads_shared = [&] {
    Bytes b(kLen);
    vm->memory().read(GuestPhysAddr(kShared), b);
    return b;
  };

  vm->run(guest);
  const Bytes before = hv_reads_shared();  // control: the channel hands out B
  const SysPhysAddr spa_a = *vm->memory().gpa_to_spa(GuestPhysAddr(kSecretA));
  const SysPhysAddr spa_b = *vm->memory().gpa_to_spa(GuestPhysAddr(kPublicB));
  const auto leaf = vm->npt().lookup(GuestPhysAddr(kPublicB));
  vm->npt().map_page(GuestPhysAddr(kPublicB), spa_a, true, leaf ? leaf->c_bit : true);
  const auto remapped = vm->run(guest);
  // SNP: the guest did not run past the reverse-map check. The hypervisor makes the RMP agree
  // with its NPT (A's frame assigned to B's GPA) and runs the guest again.
  constexpr uint64_t kNpfRmp = 1ull << 31;
  const bool npf_rmp = remapped.code == hw::svm::exit_code::kNpf && (remapped.info1 & kNpfRmp);
  std::optional<int> rmpupdate_rc;
  std::string exit_after_rmpupdate;
  if (npf_rmp) {
    rmpupdate_rc = attacker.hypervisor().rmp_make_private(spa_a, kPublicB, vm->asid());
    exit_after_rmpupdate = hw::svm::exit_code_name(vm->run(guest).code);
  }
  const Bytes after = hv_reads_shared();

  const bool channel_ok = printable(before) == kPublic;
  const bool leaked = printable(after) == kSecret;
  r.evidence = {{"shared_page_before_remap", printable(before)},
                {"shared_page_after_remap", printable(after)},
                {"spa_a", fmt::format("{:#x}", spa_a.value)},
                {"spa_b", fmt::format("{:#x}", spa_b.value)},
                {"requests_served", requests},
                {"exit_after_remap", hw::svm::exit_code_name(remapped.code)},
                {"npf_rmp_bit", npf_rmp}};
  if (npf_rmp) {
    r.evidence["npf_exitinfo1"] = fmt::format("{:#x}", remapped.info1);
    r.evidence["rmpupdate_rc"] = *rmpupdate_rc;
    r.evidence["exit_after_rmpupdate"] = exit_after_rmpupdate;
    r.evidence["guest_vc_0x404"] = vc_not_validated;
  }
  r.verdict = !channel_ok ? Verdict::Error : leaked ? Verdict::Succeeded : Verdict::Blocked;
  r.got = leaked ? "page A via B's GPA" : "B's GPA gives garbage";
  r.detail = fmt::format("NPT: GPA {:#x} -> SPA {:#x} (A's frame); the guest then served \"{}\"",
                         kPublicB, spa_a.value, printable(after));
  if (npf_rmp) {
    r.got = vc_not_validated ? "#NPF (RMP), then #VC 0x404: guest stops" : "#NPF (RMP)";
    r.detail = fmt::format(
        "NPT: GPA {:#x} -> SPA {:#x} (A's frame): #NPF with the RMP bit (EXITINFO1 {:#x}, "
        "reverse map); RMPUPDATE of A's frame to GPA {:#x} -> {}, then {}",
        kPublicB, spa_a.value, remapped.info1, kPublicB, *rmpupdate_rc,
        vc_not_validated ? "the guest took #VC 0x404 (page not validated) and terminated"
                         : "exit " + exit_after_rmpupdate);
  }
  if (!channel_ok) r.detail = "the public channel did not work: \"" + printable(before) + "\"";
  return r;
}

}  // namespace cbit::attacks
