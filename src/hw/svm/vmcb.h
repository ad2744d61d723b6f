// The Virtual Machine Control Block: the fields of the control area and the save area the model
// uses, at the offsets of APM Vol. 2 Appendix B (Linux arch/x86/include/asm/svm.h struct
// vmcb_control_area, vmcb_save_area, sev_es_save_area), the intercept bits and the exit codes
// (Linux arch/x86/include/uapi/asm/svm.h SVM_EXIT_*).
//
// The VMCB is a 4 KiB page of host memory: the hypervisor writes it through its own mapping and
// VMRUN reads it through the memory port with the C-bit of its address (KVM passes
// __sme_page_pa(vmcb)). Under SEV-ES the register state lives in a separate page, the VMSA,
// whose layout is the save area's and which is always accessed with the guest's key.
#pragma once
#include <cstdint>

namespace cbit::hw::svm {

inline constexpr uint64_t kVmcbSize = 4096;

// Control area (offsets from the start of the VMCB).
namespace ctl {
inline constexpr uint64_t kInterceptCr = 0x000;     // u32: reads 15:0, writes 31:16
inline constexpr uint64_t kInterceptExc = 0x008;    // u32: one bit per exception vector
inline constexpr uint64_t kInterceptWord3 = 0x00C;  // u32 (INTERCEPT_* 96..127 in Linux)
inline constexpr uint64_t kInterceptWord4 = 0x010;  // u32 (VMRUN, VMMCALL, ...)
inline constexpr uint64_t kIopmBasePa = 0x040;
inline constexpr uint64_t kMsrpmBasePa = 0x048;
inline constexpr uint64_t kTscOffset = 0x050;
inline constexpr uint64_t kAsid = 0x058;    // u32
inline constexpr uint64_t kTlbCtl = 0x05C;  // u8
inline constexpr uint64_t kExitCode = 0x070;
inline constexpr uint64_t kExitInfo1 = 0x078;
inline constexpr uint64_t kExitInfo2 = 0x080;
inline constexpr uint64_t kExitIntInfo = 0x088;
inline constexpr uint64_t kNestedCtl = 0x090;  // bit 0 NP_ENABLE, 1 SEV_ENABLE, 2 SEV_ES_ENABLE
inline constexpr uint64_t kGhcbGpa = 0x0A0;    // SEV-ES: the guest's GHCB MSR at VMGEXIT
inline constexpr uint64_t kEventInj = 0x0A8;
inline constexpr uint64_t kNestedCr3 = 0x0B0;
inline constexpr uint64_t kVmcbClean = 0x0C0;
inline constexpr uint64_t kNextRip = 0x0C8;
inline constexpr uint64_t kInsnLen = 0x0D0;
inline constexpr uint64_t kVmsaPa = 0x108;  // SEV-ES: system physical address of the VMSA
}  // namespace ctl

namespace nested_ctl {
inline constexpr uint64_t kNpEnable = 1ull << 0;
inline constexpr uint64_t kSevEnable = 1ull << 1;
inline constexpr uint64_t kSevEsEnable = 1ull << 2;
}  // namespace nested_ctl

// Intercept bits of word 3 (offset 0x0C) and word 4 (offset 0x10), APM Table B-1.
namespace intercept3 {
inline constexpr uint32_t kIntr = 1u << 0;
inline constexpr uint32_t kCpuid = 1u << 18;
inline constexpr uint32_t kInvd = 1u << 22;
inline constexpr uint32_t kHlt = 1u << 24;
inline constexpr uint32_t kIoioProt = 1u << 27;
inline constexpr uint32_t kMsrProt = 1u << 28;
inline constexpr uint32_t kShutdown = 1u << 31;
}  // namespace intercept3
namespace intercept4 {
inline constexpr uint32_t kVmrun = 1u << 0;
inline constexpr uint32_t kVmmcall = 1u << 1;
inline constexpr uint32_t kWbinvd = 1u << 9;
}  // namespace intercept4

// The save area: at 0x400 in the VMCB (non-ES), at 0 in the VMSA (SEV-ES). Offsets are relative
// to the start of the save area (APM Table B-2 / B-4; SPEC-FACTS "SEV-ES, GHCB").
namespace save {
inline constexpr uint64_t kInVmcb = 0x400;
inline constexpr uint64_t kCs = 0x010;
inline constexpr uint64_t kVmpl = 0x0CA;  // u8: SNP, the VMPL this VMSA runs at (Linux `vmpl`)
inline constexpr uint64_t kCpl = 0x0CB;   // u8
inline constexpr uint64_t kEfer = 0x0D0;
inline constexpr uint64_t kCr4 = 0x148;
inline constexpr uint64_t kCr3 = 0x150;
inline constexpr uint64_t kCr0 = 0x158;
inline constexpr uint64_t kRflags = 0x170;
inline constexpr uint64_t kRip = 0x178;
inline constexpr uint64_t kRsp = 0x1D8;
inline constexpr uint64_t kRax = 0x1F8;
inline constexpr uint64_t kCr2 = 0x240;
// The GPRs beyond RAX/RSP exist only in the SEV-ES save area (struct sev_es_save_area).
inline constexpr uint64_t kRcx = 0x308, kRdx = 0x310, kRbx = 0x318, kRbp = 0x328;
inline constexpr uint64_t kRsi = 0x330, kRdi = 0x338, kR8 = 0x340, kR9 = 0x348;
inline constexpr uint64_t kR10 = 0x350, kR11 = 0x358, kR12 = 0x360, kR13 = 0x368;
inline constexpr uint64_t kR14 = 0x370, kR15 = 0x378;
inline constexpr uint64_t kSevFeatures = 0x3B0;
}  // namespace save

// SEV_FEATURES (VMSA 0x3B0; APM Vol. 2 §15.35-15.36, Table 15-36; SNP-FACTS.md §5.4).
namespace sev_features {
inline constexpr uint64_t kSnpActive = 1ull << 0;
inline constexpr uint64_t kRestrictedInjection = 1ull << 3;  // only #HV (28) may be injected
inline constexpr uint64_t kAlternateInjection = 1ull << 4;
}  // namespace sev_features

// EVENTINJ (VMCB 0x0A8; APM Vol. 2 §15.20): the event VMRUN delivers to the guest.
namespace event_inj {
inline constexpr uint64_t kVectorMask = 0xff;
inline constexpr unsigned kTypeShift = 8;  // bits 10:8
inline constexpr uint64_t kTypeException = 3;
inline constexpr uint64_t kErrorCodeValid = 1ull << 11;
inline constexpr uint64_t kValid = 1ull << 31;
inline constexpr unsigned kErrorCodeShift = 32;  // bits 63:32
inline constexpr uint8_t kVectorVc = 29;         // #VC
inline constexpr uint8_t kVectorHv = 28;         // #HV, the one vector restricted injection allows
// An exception with an error code, as the hypervisor writes it.
constexpr uint64_t exception(uint8_t vector, uint32_t error_code) {
  return kValid | kErrorCodeValid | kTypeException << kTypeShift | vector |
         uint64_t{error_code} << kErrorCodeShift;
}
}  // namespace event_inj

// #VC error codes of SNP (APM §15.36.10; Linux SVM_EXIT_*).
namespace vc_code {
inline constexpr uint64_t kPageNotValidated = 0x404;  // PAGE_NOT_VALIDATED, CR2 = the guest VA
}  // namespace vc_code

// Exit codes (SVM_EXIT_*).
namespace exit_code {
inline constexpr uint64_t kExceptionBase = 0x040;  // + vector
inline constexpr uint64_t kIntr = 0x060;
inline constexpr uint64_t kCpuid = 0x072;
inline constexpr uint64_t kHlt = 0x078;
inline constexpr uint64_t kIoio = 0x07B;
inline constexpr uint64_t kMsr = 0x07C;
inline constexpr uint64_t kShutdown = 0x07F;
inline constexpr uint64_t kVmrun = 0x080;
inline constexpr uint64_t kVmmcall = 0x081;
inline constexpr uint64_t kWbinvd = 0x089;
inline constexpr uint64_t kNpf = 0x400;
inline constexpr uint64_t kVmgexit = 0x403;
inline constexpr uint64_t kInvalid = ~0ull;  // VMEXIT_INVALID (-1): VMRUN's consistency checks
}  // namespace exit_code
const char* exit_code_name(uint64_t code);

// EXITINFO1 of an IOIO intercept (APM Figure 15-2).
namespace ioio {
inline constexpr uint64_t kIn = 1ull << 0;
inline constexpr uint64_t kSz8 = 1ull << 4, kSz16 = 1ull << 5, kSz32 = 1ull << 6;
inline constexpr unsigned kPortShift = 16;
// EXITINFO1 of an access: port, operand size (1, 2 or 4 bytes), direction.
constexpr uint64_t info(uint16_t port, unsigned size, bool in) {
  return uint64_t{port} << kPortShift |
         (size == 1   ? kSz8
          : size == 2 ? kSz16
                      : kSz32) |
         (in ? kIn : 0);
}
constexpr uint16_t port(uint64_t info1) { return static_cast<uint16_t>(info1 >> kPortShift); }
constexpr unsigned size(uint64_t info1) { return info1 & kSz8 ? 1 : info1 & kSz16 ? 2 : 4; }
}  // namespace ioio

// EXITINFO1 of #NPF (APM §15.25.6): the #PF error-code bits, plus where the walk faulted.
namespace npf {
inline constexpr uint64_t kGuestFinal = 1ull << 32;  // translating the final guest physical address
inline constexpr uint64_t kGuestPage = 1ull << 33;   // translating a guest page-table access
// SNP (APM §15.36.10; Linux PFERR_GUEST_*): bit 31 an RMP check failed, 34 the guest's effective
// C-bit was 1, 35 a 4 KiB PVALIDATE / RMPADJUST on a 2 MiB RMP entry, 36 VMPL permission,
// 37 the VMPL's supervisor-shadow-stack permission (with VmplSSS).
inline constexpr uint64_t kRmp = 1ull << 31;
inline constexpr uint64_t kEnc = 1ull << 34;
inline constexpr uint64_t kSizeM = 1ull << 35;
inline constexpr uint64_t kVmpl = 1ull << 36;
inline constexpr uint64_t kSss = 1ull << 37;
}  // namespace npf

// The MSR and I/O permission maps (APM §15.10, §15.11).
inline constexpr uint64_t kMsrpmSize = 8192;
inline constexpr uint64_t kIopmSize = 12288;

}  // namespace cbit::hw::svm
