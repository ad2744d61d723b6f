#include "hw/cpu/cpuid.h"

namespace cbit::hw {

namespace {
// "AuthenticAMD" in EBX, EDX, ECX order.
constexpr uint32_t kAuth = 0x68747541, kEnti = 0x69746e65, kCamd = 0x444d4163;
constexpr uint32_t kMaxStdLeaf = cpuid_leaf::kFeatures;
constexpr uint32_t kMaxExtLeaf = cpuid_leaf::kMemEncrypt;

// Fn8000_0002..4: the brand string, 48 bytes, space-padded and NUL-terminated as the dumps of
// real parts show ("AMD EPYC 7742 64-Core Processor" + 16 spaces + NUL).
CpuidResult brand_leaf(const std::string& brand, uint32_t index) {
  char s[48];
  for (size_t i = 0; i < sizeof s - 1; ++i) s[i] = i < brand.size() ? brand[i] : ' ';
  s[sizeof s - 1] = '\0';
  uint32_t r[4] = {};
  for (int reg = 0; reg < 4; ++reg)
    for (int b = 0; b < 4; ++b) r[reg] |= uint32_t(uint8_t(s[index * 16 + reg * 4 + b])) << (8 * b);
  return {r[0], r[1], r[2], r[3]};
}
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
    case cpuid_leaf::kBrand0:
    case cpuid_leaf::kBrand1:
    case cpuid_leaf::kBrand2:
      r = brand_leaf(m.brand, leaf - cpuid_leaf::kBrand0);
      break;
    case cpuid_leaf::kAddrSizes:
      // The unreduced width: the SME reduction is reported only in Fn8000_001F EBX[11:6].
      // The linear width is the part's (57 from Zen 4); the MMU runs 4-level paging, and no
      // leaf offers LA57 (Fn0000_0007 reads zero), so software stays at 48 bits.
      r.eax = (m.maxphyaddr & 0xFF) | (m.linear_bits & 0xFF) << 8;
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
