// The Guest-Hypervisor Communication Block of SEV-ES (GHCB specification; Linux
// arch/x86/include/asm/svm.h struct ghcb, arch/x86/include/asm/sev-common.h GHCB_MSR_*).
//
// Both sides use this file: the guest kernel's #VC handler (sw/guest/) fills a GHCB in a shared
// page and executes VMGEXIT; the hypervisor (sw/hv/) reads it, handles the exit and writes the
// results back. Before a GHCB page exists, the two talk through the GHCB MSR itself (the "MSR
// protocol"): a request code in bits 11:0, data above.
#pragma once
#include <cstdint>

#include "common/page_lines.h"

namespace cbit::sw::ghcb {

inline constexpr uint64_t kGhcbSize = 4096;
// The page in 64-byte lines, as the guest and the hypervisor move it (bit i of a mask: line i;
// common/page_lines.h).
inline constexpr uint64_t kGhcbLine = kPageLine;
static_assert(kGhcbSize == 64 * kGhcbLine);
using cbit::for_each_line_run;
constexpr uint64_t line_mask(uint64_t off, uint64_t len) { return page_line_mask(off, len); }
inline constexpr uint16_t kProtocolMin = 1, kProtocolMax = 2;  // GHCB_PROTOCOL_MIN / _MAX

// Offsets inside the GHCB page (struct ghcb, struct ghcb_save_area).
namespace off {
inline constexpr uint64_t kCpl = 0x0CB;
inline constexpr uint64_t kRip = 0x178;
inline constexpr uint64_t kRsp = 0x1D8;
inline constexpr uint64_t kRax = 0x1F8;
inline constexpr uint64_t kRcx = 0x308;
inline constexpr uint64_t kRdx = 0x310;
inline constexpr uint64_t kRbx = 0x318;
inline constexpr uint64_t kSwExitCode = 0x390;
inline constexpr uint64_t kSwExitInfo1 = 0x398;
inline constexpr uint64_t kSwExitInfo2 = 0x3A0;
inline constexpr uint64_t kSwScratch = 0x3A8;
inline constexpr uint64_t kXcr0 = 0x3E8;
inline constexpr uint64_t kValidBitmap = 0x3F0;  // 16 bytes: bit n = the u64 at offset 8*n is valid
inline constexpr uint64_t kSharedBuffer = 0x800;
inline constexpr uint64_t kSharedBufferSize = 2032;
inline constexpr uint64_t kProtocolVersion = 0xFFA;  // u16
inline constexpr uint64_t kGhcbUsage = 0xFFC;        // u32 (0 = GHCB_DEFAULT_USAGE)
}  // namespace off

// The valid-bitmap bit of a save-area field.
constexpr unsigned valid_bit(uint64_t field_offset) {
  return static_cast<unsigned>(field_offset / 8);
}

// MSR protocol (GHCB MSR 0xC0010130), request/response codes in bits 11:0.
namespace msr_proto {
inline constexpr uint64_t kInfoMask = 0xfff;
inline constexpr uint64_t kSevInfoResp = 0x001;  // [63:48] max, [47:32] min, [31:24] C-bit
inline constexpr uint64_t kSevInfoReq = 0x002;
inline constexpr uint64_t kCpuidReq = 0x004;   // [31:30] register (0 EAX .. 3 EDX), [63:32] fn
inline constexpr uint64_t kCpuidResp = 0x005;  // [63:32] value
inline constexpr uint64_t kRegGpaReq = 0x012;  // [63:12] GHCB GFN
inline constexpr uint64_t kRegGpaResp = 0x013;
inline constexpr uint64_t kPscReq = 0x014;  // [51:12] GFN, [55:52] op (1 private, 2 shared)
inline constexpr uint64_t kPscResp = 0x015;
inline constexpr uint64_t kHvFeaturesReq = 0x080;
inline constexpr uint64_t kHvFeaturesResp = 0x081;
inline constexpr uint64_t kTermReq = 0x100;  // [15:12] reason set, [23:16] reason code
// SEV-SNP additions (GHCB spec 2.0 §2.3; Linux sev-common.h).
inline constexpr uint64_t kApResetHoldReq = 0x006;
inline constexpr uint64_t kApResetHoldResp = 0x007;
inline constexpr uint64_t kPreferredGpaReq = 0x010;   // GHCB_MSR_PREF_GPA_REQ
inline constexpr uint64_t kPreferredGpaResp = 0x011;  // [63:12] GFN, kPreferredGpaNone if none
inline constexpr uint64_t kPreferredGpaNone = 0xfffffffffffffull;
inline constexpr uint64_t kVmplReq = 0x016;   // [39:32] VMPL to run at (GHCB_MSR_VMPL_REQ)
inline constexpr uint64_t kVmplResp = 0x017;  // [63:32] error, 0 = done

// HV_FEATURES response [63:12] (GHCB_HV_FT_*).
inline constexpr uint64_t kHvFtSnp = 1ull << 0;
inline constexpr uint64_t kHvFtSnpApCreation = 1ull << 1;
inline constexpr uint64_t kHvFtSnpRestrictedInjection = 1ull << 2;
inline constexpr uint64_t kHvFtSnpRestrictedInjectionTimer = 1ull << 3;
inline constexpr uint64_t kHvFtApicIdList = 1ull << 4;
inline constexpr uint64_t kHvFtSnpMultiVmpl = 1ull << 5;

// Termination: reason set 0 (GHCB spec) and 1 (Linux, SEV_TERM_SET_LINUX).
inline constexpr unsigned kTermSetGen = 0;
inline constexpr unsigned kTermSetLinux = 1;
inline constexpr unsigned kTermGenReq = 0;              // GHCB_SEV_ES_GEN_REQ
inline constexpr unsigned kTermGenProtUnsupported = 1;  // GHCB_SEV_ES_PROT_UNSUPPORTED
inline constexpr unsigned kTermGenSnpUnsupported = 2;   // GHCB_SNP_UNSUPPORTED
inline constexpr unsigned kTermLinuxRegister = 0;       // GHCB_TERM_REGISTER
inline constexpr unsigned kTermLinuxPsc = 1;            // GHCB_TERM_PSC
inline constexpr unsigned kTermLinuxPvalidate = 2;      // GHCB_TERM_PVALIDATE
inline constexpr unsigned kTermLinuxNotVmpl0 = 3;       // GHCB_TERM_NOT_VMPL0
inline constexpr unsigned kTermLinuxCpuid = 4;          // GHCB_TERM_CPUID
inline constexpr unsigned kTermLinuxCpuidHv = 5;        // GHCB_TERM_CPUID_HV
inline constexpr unsigned kTermLinuxSecretsPage = 6;    // GHCB_TERM_SECRETS_PAGE
inline constexpr unsigned kTermLinuxNoSvsm = 7;         // GHCB_TERM_NO_SVSM
inline constexpr unsigned kTermLinuxSvsmVmpl0 = 8;      // GHCB_TERM_SVSM_VMPL0
inline constexpr unsigned kTermLinuxSvsmCaa = 9;        // GHCB_TERM_SVSM_CAA

constexpr uint64_t code(uint64_t msr) { return msr & kInfoMask; }
constexpr uint64_t sev_info(uint16_t max, uint16_t min, unsigned cbit) {
  return uint64_t{max} << 48 | uint64_t{min} << 32 | uint64_t{cbit} << 24 | kSevInfoResp;
}
constexpr uint64_t cpuid_req(uint32_t fn, unsigned reg) {
  return uint64_t{fn} << 32 | uint64_t{reg & 3} << 30 | kCpuidReq;
}
constexpr uint64_t cpuid_resp(uint32_t value) { return uint64_t{value} << 32 | kCpuidResp; }
constexpr uint64_t reg_gpa(uint64_t gfn, bool resp) {
  return gfn << 12 | (resp ? kRegGpaResp : kRegGpaReq);
}
constexpr uint64_t term(unsigned set, unsigned reason) {
  return uint64_t{reason & 0xff} << 16 | uint64_t{set & 0xf} << 12 | kTermReq;
}
constexpr unsigned term_set(uint64_t msr) { return (msr >> 12) & 0xf; }
constexpr unsigned term_reason(uint64_t msr) { return (msr >> 16) & 0xff; }
constexpr uint64_t hv_features_resp(uint64_t features) { return features << 12 | kHvFeaturesResp; }
constexpr uint64_t hv_features(uint64_t msr) { return msr >> 12; }
constexpr uint64_t vmpl_req(unsigned vmpl) { return uint64_t{vmpl & 0xff} << 32 | kVmplReq; }
constexpr uint64_t vmpl_resp(uint32_t error) { return uint64_t{error} << 32 | kVmplResp; }
}  // namespace msr_proto

// Non-automatic-exit codes the GHCB carries besides the SVM exit codes (SVM_VMGEXIT_*).
namespace vmgexit {
inline constexpr uint64_t kMmioRead = 0x80000001;
inline constexpr uint64_t kMmioWrite = 0x80000002;
inline constexpr uint64_t kNmiComplete = 0x80000003;
inline constexpr uint64_t kApHltLoop = 0x80000004;
inline constexpr uint64_t kApJumpTable = 0x80000005;
inline constexpr uint64_t kPsc = 0x80000010;              // buffer: sw/ghcb/psc.h
inline constexpr uint64_t kGuestRequest = 0x80000011;     // EXITINFO1 req GPA, EXITINFO2 rsp GPA
inline constexpr uint64_t kExtGuestRequest = 0x80000012;  // + RAX cert buffer GPA, RBX pages
inline constexpr uint64_t kApCreation = 0x80000013;       // SVM_VMGEXIT_AP_CREATION
inline constexpr uint64_t kHvDoorbellPage = 0x80000014;   // restricted injection
inline constexpr uint64_t kHvFeatures = 0x8000FFFD;
inline constexpr uint64_t kTermRequest = 0x8000FFFE;
inline constexpr uint64_t kUnsupportedEvent = 0x8000FFFF;

// AP creation: SW_EXITINFO1 = APIC ID [63:32] | VMPL [19:16] | request [15:0]; SW_EXITINFO2 =
// the new VMSA's GPA; RAX = its SEV_FEATURES (SEV_STATUS >> 2).
inline constexpr uint16_t kApCreateOnInit = 0;  // SVM_VMGEXIT_AP_CREATE_ON_INIT
inline constexpr uint16_t kApCreate = 1;
inline constexpr uint16_t kApDestroy = 2;
constexpr uint64_t ap_creation_info1(uint32_t apic_id, unsigned vmpl, uint16_t request) {
  return uint64_t{apic_id} << 32 | uint64_t{vmpl & 0xf} << 16 | request;
}
constexpr uint32_t ap_apic_id(uint64_t info1) { return static_cast<uint32_t>(info1 >> 32); }
constexpr unsigned ap_vmpl(uint64_t info1) { return (info1 >> 16) & 0xf; }
constexpr uint16_t ap_request(uint64_t info1) { return info1 & 0xffff; }

// Guest requests: SW_EXITINFO2 on return = firmware error [31:0] | VMM error [63:32].
inline constexpr uint32_t kGuestReqErrInvalidLen = 1;  // SNP_GUEST_VMM_ERR_INVALID_LEN: RBX = pages
inline constexpr uint32_t kGuestReqErrBusy = 2;        // SNP_GUEST_VMM_ERR_BUSY: retry
}  // namespace vmgexit

// A GHCB the hypervisor cannot act on: SW_EXITINFO1 = 2, SW_EXITINFO2 = one of these
// (GHCB_ERR_*; GHCB spec 2.0 Table 6).
namespace ghcb_err {
inline constexpr uint64_t kExitInfo1Error = 2;
inline constexpr uint64_t kNotRegistered = 1;
inline constexpr uint64_t kInvalidUsage = 2;
inline constexpr uint64_t kInvalidScratchArea = 3;
inline constexpr uint64_t kMissingInput = 4;
inline constexpr uint64_t kInvalidInput = 5;
inline constexpr uint64_t kInvalidEvent = 6;
}  // namespace ghcb_err

// #HV, the only vector a hypervisor may inject with restricted injection (SEV_FEATURES bit 3).
inline constexpr unsigned kHvVector = 28;

}  // namespace cbit::sw::ghcb
