#include "attacks/ciphertext_replay.h"

#include <fmt/format.h>

#include "attacks/fn_guest.h"
#include "attacks/guest_record.h"
#include "hw/iommu/dma_device.h"

namespace cbit::attacks {
namespace {
constexpr uint64_t kAccount = 0x204000, kOther = 0x206000;
constexpr size_t kLen = 32;
Bytes record(std::string_view s) { return guest_record(s, kLen); }
}  // namespace

SevAttackResult ciphertext_replay(HostAttacker& attacker, SevMode mode) {
  SevAttackResult r;
  r.attack = "ciphertext-replay";
  r.mode = mode;
  auto vm = attacker.hypervisor().launch_vm(mode);
  int step = 0;
  Bytes after_update(kLen), after_replay(kLen), moved(kLen);
  FnGuest guest([&](GuestCpu& cpu) {
    switch (step++) {
      case 0:
        guest_accept_memory(cpu, {kAccount, kOther});
        cpu.write_virt(VirtAddr(kAccount), record("balance=100"));
        break;
      case 1:
        cpu.write_virt(VirtAddr(kAccount), record("balance=0"));
        cpu.read_virt(VirtAddr(kAccount), after_update);
        break;
      default:
        cpu.read_virt(VirtAddr(kAccount), after_replay);
        cpu.read_virt(VirtAddr(kOther), moved);
    }
  });
  const SysPhysAddr spa = *vm->memory().gpa_to_spa(GuestPhysAddr(kAccount));
  const SysPhysAddr spa_other = *vm->memory().gpa_to_spa(GuestPhysAddr(kOther));

  vm->run(guest);                                          // balance=100
  const Bytes saved = attacker.read_as_stored(spa, kLen);  // the attacker's copy of the ciphertext
  vm->run(guest);                                          // balance=0
  const Bytes current = attacker.read_as_stored(spa, kLen);
  // A write the IOMMU refuses (SNP: the page is the guest's in the RMP) is the device's
  // DmaFault.
  const auto replay = [&](SysPhysAddr a) -> std::string {
    try {
      attacker.write_as_stored(a, saved);
      return "written";
    } catch (const hw::DmaFault& e) {
      return e.what();
    }
  };
  const std::string replay_write = replay(spa);  // replay
  replay(spa_other);                             // control: the same bytes at another frame
  vm->run(guest);

  const bool updated = printable(after_update) == "balance=0";
  const bool replayed = printable(after_replay) == "balance=100";
  r.evidence = {{"ciphertext_saved", hex_of(saved)},
                {"ciphertext_after_update", hex_of(current)},
                {"guest_after_update", printable(after_update)},
                {"guest_after_replay", printable(after_replay)},
                {"replay_write", replay_write},
                {"same_bytes_other_frame", printable(moved)},
                {"other_frame_decrypts_to_old", printable(moved) == "balance=100"}};
  r.verdict = !updated ? Verdict::Error : replayed ? Verdict::Succeeded : Verdict::Blocked;
  r.got = replayed ? "guest reads balance=100" : "guest reads " + printable(after_replay);
  r.detail = fmt::format(
      "saved {}.. at SPA {:#x}, guest wrote balance=0, wrote the old bytes back: the guest reads "
      "\"{}\"",
      hex_of(ByteSpan(saved).first(8)), spa.value, printable(after_replay));
  return r;
}

}  // namespace cbit::attacks
