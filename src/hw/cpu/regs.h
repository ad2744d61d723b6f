// The general-purpose register file of one logical processor, plus RIP and RFLAGS.
//
// Outside SVM these are simply the core's registers. In SVM terms (APM Vol. 2 §15.5, §15.35):
// VMRUN loads RAX, RSP, RIP and RFLAGS from the VMCB save area and leaves the other GPRs as the
// hypervisor left them (KVM keeps them in vcpu->arch.regs); under SEV-ES the whole file lives in
// the encrypted VMSA and the hypervisor never sees it. Real x86-64 code run under Unicorn
// (src/x86/) copies to and from this struct at every exit.
#pragma once
#include <cstdint>

namespace cbit::hw {

struct GprFile {
  uint64_t rax = 0, rbx = 0, rcx = 0, rdx = 0, rsi = 0, rdi = 0, rsp = 0, rbp = 0;
  uint64_t r8 = 0, r9 = 0, r10 = 0, r11 = 0, r12 = 0, r13 = 0, r14 = 0, r15 = 0;
  uint64_t rip = 0, rflags = 0x2;
  constexpr bool operator==(const GprFile&) const = default;
};

}  // namespace cbit::hw
