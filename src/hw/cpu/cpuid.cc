#include "hw/cpu/cpuid.h"

namespace cbit::hw {

namespace {
// "AuthenticAMD" in EBX, EDX, ECX order.
constexpr uint32_t kAuth = 0x68747541, kEnti = 0x69746e65, kCamd = 0x444d4163;
constexpr uint32_t kMaxStdLeaf = cpuid_leaf::kFeatures;
constexpr uint32_t kMaxExtLeaf = cpuid_leaf::kMemEncrypt;
constexpr uint32_t kLinearBits = 48;  // 4-level paging
}  // namespace

uint32_t encode_signature(uint32_t family, uint32_t model, uint32_t stepping) {
  uint32_t base_family = family, ext_family = 0;
  if (family >= 0xF) {
    base_family = 0xF;
    ext_family = family - 0xF;
  }
  const uint32_t base_model = model & 0xF;
  // The extended model field is only used by family 0Fh and later.
  const uint32_t ext_model = family >= 0xF ? (model >> 4) & 0xF : 0;
  return (stepping & 0xF) | base_model << 4 | base_family << 8 | ext_model << 16 |
         (ext_family & 0xFF) << 20;
}

bool model_has_wbnoinvd(const CpuModel& m) {
  return m.family > 0x17 || (m.family == 0x17 && m.model >= 0x30);
}

CpuidResult cpuid(const CpuModel& m, uint32_t leaf, uint32_t /*subleaf*/) {
  CpuidResult r;
  switch (leaf) {
    case cpuid_leaf::kVendor:
      r = {kMaxStdLeaf, kAuth, kCamd, kEnti};
      break;
    case cpuid_leaf::kFeatures:
      r.eax = encode_signature(m.family, m.model, m.stepping);
      // EBX[15:8] CLFLUSH line size in quadwords (8 = 64 bytes); [23:16] logical processors.
      r.ebx = 8u << 8 | 1u << 16;
      r.ecx = 1u << 0;  // SSE3; bit 31 (hypervisor present) clear: this is bare metal
      // FPU, PSE, TSC, MSR, PAE, CX8, APIC, PGE, CMOV, PAT, CLFSH, MMX, FXSR, SSE, SSE2.
      r.edx = 1u << 0 | 1u << 3 | 1u << 4 | 1u << 5 | cpuid_bit::kPae | 1u << 8 | 1u << 9 |
              cpuid_bit::kPge | 1u << 15 | 1u << 16 | cpuid_bit::kClflush | 1u << 23 | 1u << 24 |
              1u << 25 | 1u << 26;
      break;
    case cpuid_leaf::kExtMax:
      r = {kMaxExtLeaf, kAuth, kCamd, kEnti};
      break;
    case cpuid_leaf::kExtFeatures:
      r.eax = encode_signature(m.family, m.model, m.stepping);
      r.ecx = 1u << 0 | cpuid_bit::kSvm;  // LAHF/SAHF in long mode, SVM
      // SYSCALL (11), NX (20), 1 GiB pages (26), RDTSCP (27), LM (29).
      r.edx = 1u << 11 | cpuid_bit::kNx | cpuid_bit::kPage1Gb | 1u << 27 | cpuid_bit::kLm;
      break;
    case cpuid_leaf::kAddrSizes:
      // The unreduced width: the SME reduction is reported only in Fn8000_001F EBX[11:6].
      r.eax = (m.maxphyaddr & 0xFF) | kLinearBits << 8;
      r.ebx = model_has_wbnoinvd(m) ? cpuid_bit::kWbnoinvd : 0;
      break;
    case cpuid_leaf::kMemEncrypt:
      r = {m.fn8000_001f.eax, m.fn8000_001f.ebx, m.fn8000_001f.ecx, m.fn8000_001f.edx};
      break;
    default:
      break;
  }
  return r;
}

}  // namespace cbit::hw
