// The Guest-Hypervisor Communication Block of SEV-ES (GHCB specification; Linux
// arch/x86/include/asm/svm.h struct ghcb, arch/x86/include/asm/sev-common.h GHCB_MSR_*).
//
// Both sides use this file: the guest kernel's #VC handler (sw/guest/) fills a GHCB in a shared
// page and executes VMGEXIT; the hypervisor (sw/hv/) reads it, handles the exit and writes the
// results back. Before a GHCB page exists, the two talk through the GHCB MSR itself (the "MSR
// protocol"): a request code in bits 11:0, data above.
#pragma once
#include <cstdint>

namespace cbit::sw::ghcb {

inline constexpr uint64_t kGhcbSize = 4096;
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
}  // namespace msr_proto

// Non-automatic-exit codes the GHCB carries besides the SVM exit codes (SVM_VMGEXIT_*).
namespace vmgexit {
inline constexpr uint64_t kMmioRead = 0x80000001;
inline constexpr uint64_t kMmioWrite = 0x80000002;
inline constexpr uint64_t kNmiComplete = 0x80000003;
inline constexpr uint64_t kApHltLoop = 0x80000004;
inline constexpr uint64_t kApJumpTable = 0x80000005;
inline constexpr uint64_t kPsc = 0x80000010;
inline constexpr uint64_t kUnsupportedEvent = 0x8000FFFF;
}  // namespace vmgexit

}  // namespace cbit::sw::ghcb
