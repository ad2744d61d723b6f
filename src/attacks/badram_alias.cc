#include "attacks/badram_alias.h"

#include <fmt/format.h>

#include <stdexcept>

#include "attacks/fn_guest.h"
#include "attacks/guest_record.h"

namespace cbit::attacks {
namespace {
constexpr uint64_t kAccount = 0x20C000;
constexpr size_t kLen = 32;
Bytes record(std::string_view s) { return guest_record(s, kLen); }
}  // namespace

SevAttackResult badram_alias(HostAttacker& attacker, SevMode mode) {
  SevAttackResult r;
  r.attack = "badram-alias";
  r.mode = mode;
  std::unique_ptr<sw::hv::Vm> vm;
  try {
    vm = attacker.hypervisor().launch_vm(mode);
  } catch (const std::runtime_error& e) {
    // The platform refused the guest: with the alias check, SNP_INIT fails on this DIMM.
    r.verdict = mode == SevMode::Snp ? Verdict::Blocked : Verdict::Error;
    r.got = "platform refused SNP";
    r.detail = e.what();
    r.evidence["launch_error"] = e.what();
    return r;
  }
  int step = 0;
  Bytes after_update(kLen), after_replay(kLen);
  FnGuest guest([&](GuestCpu& cpu) {
    switch (step++) {
      case 0:
        guest_accept_memory(cpu, {kAccount});
        cpu.write_virt(VirtAddr(kAccount), record("balance=100"));
        break;
      case 1:
        cpu.write_virt(VirtAddr(kAccount), record("balance=0"));
        cpu.read_virt(VirtAddr(kAccount), after_update);
        break;
      default:
        cpu.read_virt(VirtAddr(kAccount), after_replay);
    }
  });
  const SysPhysAddr spa = *vm->memory().gpa_to_spa(GuestPhysAddr(kAccount));
  const uint64_t alias_bit = attacker.raw().dram_size();
  const SysPhysAddr ghost(spa.value | alias_bit);
  auto& dev = attacker.dma();
  const auto dma_read = [&](SysPhysAddr a) {
    Bytes b(kLen);
    dev.dma_read(attacker.bus(a, false), b);
    return b;
  };

  vm->run(guest);                  // balance=100
  attacker.hypervisor().wbinvd();  // the guest's dirty line to the cells (the alias is not snooped)
  const Bytes saved = dma_read(ghost);
  Bytes cells(kLen);
  attacker.raw().read(spa, cells);
  vm->run(guest);  // balance=0
  // A write the IOMMU refuses comes back as the device's DmaFault.
  const auto dma_write = [&](SysPhysAddr a) -> std::string {
    try {
      dev.dma_write(attacker.bus(a, false), saved);
      return "written";
    } catch (const hw::DmaFault& e) {
      return e.what();
    }
  };
  // Control first: the replay at the page's own address (SNP: the IOMMU refuses it).
  const std::string direct = dma_write(spa);
  const Bytes after_direct = dma_read(spa);
  const bool direct_landed = after_direct == saved;
  // The replay through the alias: first the guest's cached lines out (WBINVD), so the guest's
  // next read comes from the cells.
  attacker.hypervisor().wbinvd();
  const std::string via_alias = dma_write(ghost);
  vm->run(guest);

  const bool updated = printable(after_update) == "balance=0";
  const bool replayed = printable(after_replay) == "balance=100";
  r.evidence = {{"spa", fmt::format("{:#x}", spa.value)},
                {"alias", fmt::format("{:#x}", ghost.value)},
                {"alias_read_equals_cells", saved == cells},
                {"ciphertext_via_alias", hex_of(saved)},
                {"direct_write_landed", direct_landed},
                {"direct_write", direct},
                {"alias_write", via_alias},
                {"guest_after_update", printable(after_update)},
                {"guest_after_replay", printable(after_replay)}};
  r.verdict = !updated ? Verdict::Error : replayed ? Verdict::Succeeded : Verdict::Blocked;
  r.got = replayed         ? "replay via alias: balance=100"
          : saved == cells ? "alias read only"
                           : "no alias: guest reads " + printable(after_replay);
  r.detail = fmt::format(
      "captured {}.. at alias {:#x} of SPA {:#x}; direct replay {}; alias replay: the guest "
      "reads \"{}\"",
      hex_of(ByteSpan(saved).first(8)), ghost.value, spa.value,
      direct_landed ? "landed" : "refused", printable(after_replay));
  return r;
}

}  // namespace cbit::attacks
