// CPUID as a CpuModel answers it: the leaves software uses to find memory encryption
// (APM Vol. 3 Appendix E; Linux tools/arch/x86/kcpuid/cpuid.csv, cpufeatures.h).
// Implemented: 0, 1, 0x80000000..0x80000004, 0x80000008, 0x8000001F; the values a preset takes
// from its part's dump (signature, brand string, address sizes, Fn8000_001F) are the real ones,
// the feature bits of leaves 1 and 0x80000001 are those the model implements. Any other leaf
// reads as zeros, as AMD parts answer leaves they do not implement.
#pragma once
#include <cstdint>

#include "hw/cpu_models.h"

namespace cbit::hw {

struct CpuidResult {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
  constexpr bool operator==(const CpuidResult&) const = default;
};

namespace cpuid_leaf {
inline constexpr uint32_t kVendor = 0x00000000;
inline constexpr uint32_t kFeatures = 0x00000001;
inline constexpr uint32_t kExtMax = 0x80000000;
inline constexpr uint32_t kExtFeatures = 0x80000001;
inline constexpr uint32_t kBrand0 = 0x80000002;  // brand string bytes 0..15
inline constexpr uint32_t kBrand1 = 0x80000003;
inline constexpr uint32_t kBrand2 = 0x80000004;
inline constexpr uint32_t kAddrSizes = 0x80000008;
inline constexpr uint32_t kMemEncrypt = 0x8000001F;
}  // namespace cpuid_leaf

// Feature bits the model reports (bit numbers from Linux cpufeatures.h).
namespace cpuid_bit {
// Fn0000_0001 EDX
inline constexpr uint32_t kPae = 1u << 6;
inline constexpr uint32_t kPge = 1u << 13;
inline constexpr uint32_t kClflush = 1u << 19;
// Fn8000_0001 ECX / EDX
inline constexpr uint32_t kSvm = 1u << 2;       // ECX[2]
inline constexpr uint32_t kNx = 1u << 20;       // EDX[20]
inline constexpr uint32_t kPage1Gb = 1u << 26;  // EDX[26]
inline constexpr uint32_t kLm = 1u << 29;       // EDX[29]
// Fn8000_0008 EBX
inline constexpr uint32_t kWbnoinvd = 1u << 9;
}  // namespace cpuid_bit

// Leaf 1 EAX as AMD encodes it: stepping[3:0], model[7:4], family[11:8], ext model[19:16],
// ext family[27:20]; family = base + ext when base is 0xF, model = ext:base (APM Vol. 3 E.3.2).
uint32_t encode_signature(uint32_t family, uint32_t model, uint32_t stepping);

// WBNOINVD appeared with Zen 2 (family 17h model 30h+); on Zen 1 the encoding F3 0F 09 runs as
// WBINVD (the REP prefix is ignored).
bool model_has_wbnoinvd(const CpuModel& model);

CpuidResult cpuid(const CpuModel& model, uint32_t leaf, uint32_t subleaf = 0);

}  // namespace cbit::hw
