#include "attacks/hv_write_private.h"

#include <fmt/format.h>

#include "attacks/fn_guest.h"
#include "attacks/guest_record.h"
#include "hw/cpu/fault.h"

namespace cbit::attacks {
namespace {
constexpr uint64_t kConfig = 0x20D000;
constexpr std::string_view kMine = "admin=0 ; trusted-key=guest";
constexpr std::string_view kTheirs = "admin=1 ; trusted-key=attacker";
constexpr size_t kLen = 32;
Bytes record(std::string_view s) { return guest_record(s, kLen); }
}  // namespace

SevAttackResult hv_write_private(HostAttacker& attacker, SevMode mode) {
  SevAttackResult r;
  r.attack = "hv-write-private";
  r.mode = mode;
  auto& hv = attacker.hypervisor();
  auto vm = hv.launch_vm(mode);
  int step = 0;
  Bytes seen(kLen);
  FnGuest guest([&](GuestCpu& cpu) {
    if (step++ == 0) {
      guest_accept_memory(cpu, {kConfig});
      cpu.write_virt(VirtAddr(kConfig), record(kMine));
    } else {
      cpu.read_virt(VirtAddr(kConfig), seen);
    }
  });
  vm->run(guest);
  const SysPhysAddr spa = *vm->memory().gpa_to_spa(GuestPhysAddr(kConfig));
  const VirtAddr va = hv.direct_map(spa);
  std::string fault;
  uint32_t error_code = 0;
  try {
    hv.memcpy_to(va, record(kTheirs));
    hv.wbinvd();  // the store reaches memory (the host key's line and the guest's are apart)
  } catch (const hw::PageFault& pf) {
    error_code = pf.error_code();
    fault = fmt::format("#PF error code {:#x}", error_code);
  }
  vm->run(guest);

  const bool injected = printable(seen) == kTheirs;
  const bool intact = printable(seen) == kMine;
  const bool rmp_fault = error_code & hw::pf_err::kRmp;
  r.evidence = {{"spa", fmt::format("{:#x}", spa.value)},
                {"host_va", fmt::format("{:#x}", va.value)},
                {"host_write_fault", fault.empty() ? std::string("none") : fault},
                {"rmp_bit", rmp_fault},
                {"guest_reads", printable(seen)},
                {"guest_reads_hex", hex_of(ByteSpan(seen).first(16))},
                {"guest_data_intact", intact}};
  r.verdict = step < 2 ? Verdict::Error : injected ? Verdict::Succeeded : Verdict::Blocked;
  if (injected)
    r.got = "guest reads admin=1";
  else if (rmp_fault)
    r.got = fmt::format("#PF {:#x} (RMP)", error_code);
  else
    r.got = intact ? "guest data intact" : "guest reads garbage";
  std::string shown = hex_of(ByteSpan(seen).first(8)) + "..";
  if (injected || intact) shown = fmt::format("\"{}\"", printable(seen));
  const std::string fault_text = fault.empty() ? std::string("no fault") : fault;
  r.detail = fmt::format("host write of \"{}\" at VA {:#x} (SPA {:#x}): {}; the guest reads {}",
                         kTheirs, va.value, spa.value, fault_text, shown);
  return r;
}

}  // namespace cbit::attacks
