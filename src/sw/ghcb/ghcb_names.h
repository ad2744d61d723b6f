// Names of the GHCB protocol's requests, as Linux spells them (arch/x86/include/asm/sev-common.h
// GHCB_MSR_*, arch/x86/include/uapi/asm/svm.h SVM_VMGEXIT_*): for the trace (docs/trace.md) and
// messages.
#pragma once
#include <cstdint>
#include <string>

namespace cbit::sw::ghcb {

// The MSR protocol's request or response code (GHCB MSR bits 11:0): "GHCB_MSR_CPUID_REQ".
std::string msr_protocol_name(uint64_t code);
// A GHCB's SW_EXITCODE: an SVM exit code ("SVM_EXIT_IOIO") or a non-automatic exit
// ("SVM_VMGEXIT_PSC").
std::string nae_name(uint64_t sw_exit_code);

}  // namespace cbit::sw::ghcb
