#include "attacks/hv_memory_scan.h"

#include <fmt/format.h>

#include "attacks/finding.h"
#include "attacks/fn_guest.h"
#include "hw/svm/vmcb.h"

namespace cbit::attacks {
namespace {
constexpr uint64_t kSecretGpa = 0x200000;
constexpr std::string_view kSecret = "guest-secret: db-password=Tr0ub4dor&3";
}  // namespace

SevAttackResult hv_memory_scan(HostAttacker& attacker, SevMode mode) {
  SevAttackResult r;
  r.attack = "hv-memory-scan";
  r.mode = mode;
  auto vm = attacker.hypervisor().launch_vm(mode);
  Bytes guest_view(kSecret.size());
  FnGuest guest([&](GuestCpu& cpu) {
    guest_accept_memory(cpu, {kSecretGpa});                   // SNP: PVALIDATE first
    cpu.write_virt(VirtAddr(kSecretGpa), as_bytes(kSecret));  // paging off: private under SEV
    cpu.read_virt(VirtAddr(kSecretGpa), guest_view);
  });
  const auto exit = vm->run(guest);

  // The attacker: every byte of guest RAM through the hypervisor's mapping.
  Bytes ram(vm->config().ram_bytes);
  vm->memory().read(GuestPhysAddr(0), ram);
  AttackReport hits{"hv-memory-scan", "", ram.size(), ram.size() / kPageSize, {}};
  search_into(hits, 0, ram, {std::string(kSecret)});
  const ByteSpan at(ram.data() + kSecretGpa, kSecret.size());

  const bool guest_ok = printable(guest_view) == kSecret;
  r.evidence = {{"guest_exit", hw::svm::exit_code_name(exit.code)},
                {"guest_reads_its_secret", guest_ok},
                {"bytes_scanned", ram.size()},
                {"hits", hits.hits.size()},
                {"hv_view_at_secret_gpa", hex_of(at.first(16))}};
  if (!hits.hits.empty()) {
    r.verdict = Verdict::Succeeded;
    r.got = "secret in plaintext";
    r.detail = fmt::format("found \"{}\" at GPA {:#x} in {} MiB of guest RAM", kSecret,
                           hits.hits.front().address, ram.size() >> 20);
  } else {
    r.verdict = Verdict::Blocked;
    r.got = "garbage (" + hex_of(at.first(4)) + "..)";
    r.detail = fmt::format("secret not in {} MiB of guest RAM; at its GPA the host key reads {}",
                           ram.size() >> 20, hex_of(at.first(16)));
  }
  if (!guest_ok) {
    r.verdict = Verdict::Error;
    r.detail = "the guest could not read its own secret back: " + r.detail;
  }
  return r;
}

}  // namespace cbit::attacks
