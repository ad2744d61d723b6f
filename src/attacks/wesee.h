// WeSee (Schlüter, Sridhara, Bertschi, Shinde, IEEE S&P 2024; CVE-2024-25742): the hypervisor
// injects #VC (vector 29) into an SEV-ES / SEV-SNP guest through the VMCB's EVENTINJ field
// (APM Vol. 2 §15.20), with an error code -- the exit code the guest's #VC handler dispatches
// on -- of its choosing. The handler believes the hardware raised it for an instruction the
// guest executed and emulates that instruction with the hypervisor's answers from the GHCB.
//
// The victim's #VC handler is Linux's before the fix (vc_handle_exitcode -> vc_handle_vmmcall:
// RAX and CPL to the GHCB, VMGEXIT, RAX back from the GHCB into the interrupted context; the
// 2024 fix checks the opcode bytes at RIP first, which this victim does not). The guest has
// computed "authenticated = 0" in RAX and halts; the hypervisor injects #VC(VMMCALL = 0x81) at
// the next VMRUN; KVM answers the VMMCALL (-KVM_ENOSYS for hypercall 0) and the handler writes
// that into RAX. Verdict: the guest resumes with RAX != 0 and takes its "authenticated" branch.
//  - off, SEV: the registers are the hypervisor's anyway (KVM_SET_REGS); that is the control.
//  - SEV-SNP with Restricted Injection (the guest's SEV_FEATURES bit 3, APM §15.36.16): VMRUN
//    refuses any injected event but #HV (28) with VMEXIT_INVALID: denial of service only.
#pragma once
#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

SevAttackResult wesee_vc_injection(HostAttacker& attacker, SevMode mode);

}  // namespace cbit::attacks
