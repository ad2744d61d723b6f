// The simulated core's trace events (common/trace.h; docs/trace.md "CPU n"): VMRUN, #VMEXIT with
// its SVM_EXIT_* name, the guest-mode span between them, #VC, #PF and #NPF with their error
// codes decoded bit by bit (APM Vol. 2 §8.4.2, §15.25.6, §15.35.5, §15.36.10), the RMP checks
// that fail (APM Table 15-39's names) and the cache-control instructions. Each function is called
// only when trace::on(); raise_vc() always throws, note_vc() records the same event without it.
#pragma once
#include <cstdint>
#include <string>

#include "hw/rmp/rmp_check.h"

namespace cbit::hw::cpu_trace {

// "P|W|U|RMP": the set bits of a #PF error code, or of #NPF's EXITINFO1 (which adds the
// walk's place and SNP's ENC, SIZEM, VMPL, SSS bits).
std::string pf_error_bits(uint64_t code);
std::string npf_error_bits(uint64_t info1);
// SVM_EXIT_NPF, SVM_EXIT_EXCP_BASE+14, SVM_EXIT_ERR (VMEXIT_INVALID).
std::string svm_exit_name(uint64_t code);
// A #VC error code: the exit code of the intercepted instruction, or SNP's 0x404.
std::string vc_name(uint64_t error_code);

void vmrun(unsigned core, uint32_t asid, const char* mode, uint64_t vmcb_pa, bool entered);
// Ends the guest-mode span begun at `guest_since` and marks the exit.
void vmexit(unsigned core, uint64_t guest_since, uint32_t asid, uint64_t code, uint64_t info1,
            uint64_t info2);
void page_fault(unsigned core, uint64_t va, uint64_t error_code, bool guest);
void rmp_fail(unsigned core, const char* who, rmp::RmpCheck check, uint64_t spa, uint64_t gpa);
void cache_op(unsigned core, const char* insn, uint64_t va, uint64_t len);

// #VC (vector 29) in the guest running on `core`: traced, then thrown as VmmCommunication.
[[noreturn]] void raise_vc(unsigned core, uint64_t error_code, uint64_t cr2 = 0);
// The trace event alone, for a caller that hands the #VC to its handler itself (Cpu::out_or_vc).
void note_vc(unsigned core, uint64_t error_code, uint64_t cr2 = 0);

}  // namespace cbit::hw::cpu_trace
