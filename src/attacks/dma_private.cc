#include "attacks/dma_private.h"

#include <fmt/format.h>

#include "attacks/fn_guest.h"

namespace cbit::attacks {
namespace {
constexpr uint64_t kPage = 0x205000;
constexpr std::string_view kSecret = "guest-secret: api-token=7Hc1-9aaQ";
constexpr std::string_view kInject = "ATTACKER-BYTES: uid=0 role=admin";
}  // namespace

SevAttackResult dma_private(HostAttacker& attacker, SevMode mode) {
  SevAttackResult r;
  r.attack = "dma-private";
  r.mode = mode;
  auto vm = attacker.hypervisor().launch_vm(mode);
  int step = 0;
  Bytes guest_reads(kInject.size());
  FnGuest guest([&](GuestCpu& cpu) {
    if (step++ == 0) {
      guest_accept_memory(cpu, {kPage});  // SNP: PVALIDATE first
      cpu.write_virt(VirtAddr(kPage), as_bytes(kSecret));
    } else {
      cpu.read_virt(VirtAddr(kPage), guest_reads);
    }
  });
  vm->run(guest);
  const SysPhysAddr spa = *vm->memory().gpa_to_spa(GuestPhysAddr(kPage));
  auto& dev = attacker.dma();
  Bytes with_c(kSecret.size()), without_c(kSecret.size());
  dev.dma_read(attacker.bus(spa, true), with_c);
  dev.dma_read(attacker.bus(spa, false), without_c);
  const bool read_leak = printable(with_c) == kSecret || printable(without_c) == kSecret;
  std::string write_result = "written";
  try {
    dev.dma_write(attacker.bus(spa, true), as_bytes(kInject));
  } catch (const hw::DmaFault& e) {  // SNP: the IOMMU checks the RMP
    write_result = e.what();
  }
  vm->run(guest);
  const bool injected = printable(guest_reads) == kInject;

  r.evidence = {{"dma_read_with_cbit", hex_of(with_c)},
                {"dma_read_without_cbit", hex_of(without_c)},
                {"read_found_secret", read_leak},
                {"dma_write", write_result},
                {"guest_reads_after_dma_write", hex_of(guest_reads)},
                {"guest_got_attacker_bytes", injected}};
  r.verdict = read_leak || injected ? Verdict::Succeeded : Verdict::Blocked;
  r.got = std::string(read_leak ? "secret" : "ciphertext") + "; " +
          (injected ? "write injected" : "write -> garbage");
  r.detail = fmt::format(
      "DMA read (C-bit) at SPA {:#x}: {}; DMA write of \"{}\": the guest reads {}", spa.value,
      read_leak ? "\"" + std::string(kSecret) + "\"" : hex_of(ByteSpan(with_c).first(8)) + "..",
      kInject, injected ? "the attacker's bytes" : hex_of(ByteSpan(guest_reads).first(8)) + "..");
  return r;
}

}  // namespace cbit::attacks
