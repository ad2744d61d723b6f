// Names of the bits `cbit host` decodes, as SPEC-FACTS.md lists them:
//  - CPUID Fn8000_001F EAX (Linux cpufeatures.h / kcpuid cpuid.csv), EBX fields;
//  - SYSCFG MSR 0xC0010010 (Linux msr-index.h; MTRR bits from Linux mtrr code and the APM);
//  - SEV_STATUS MSR 0xC0010131 (Linux msr-index.h), read inside a guest.
// Every bit is decoded with words (AMDSEV#292, fwupd#4176: SME/TSME state misread from raw hex).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cbit::tools::host {

inline constexpr uint32_t kMsrSyscfg = 0xC0010010;
inline constexpr uint32_t kMsrSevStatus = 0xC0010131;

// Fn8000_001F EAX feature bits.
inline constexpr int kFeatSme = 0, kFeatSev = 1, kFeatPageFlushMsr = 2, kFeatSevEs = 3,
                     kFeatSnp = 4, kFeatVmpl = 5;
// SYSCFG bits.
inline constexpr int kSyscfgMfdm = 19, kSyscfgMemEncryptionModEn = 23, kSyscfgSnpEn = 24,
                     kSyscfgSnpVmplEn = 25;
// SEV_STATUS bits.
inline constexpr int kSevStatusSev = 0, kSevStatusSevEs = 1, kSevStatusSnp = 2;

struct BitInfo {
  int bit;
  const char* name;
  const char* meaning;
};

const std::vector<BitInfo>& cpuid_8000001f_eax_bits();
const std::vector<BitInfo>& syscfg_bits();
const std::vector<BitInfo>& sev_status_bits();

// One line per named bit ("bit 23 MemEncryptionModEn = 1: ..."), then one per set bit the
// table does not name ("bit 5 = 1: not decoded by cbit").
std::vector<std::string> decode_bits(uint64_t value, const std::vector<BitInfo>& table, int width);

inline bool bit(uint64_t v, int n) { return (v >> n) & 1; }

}  // namespace cbit::tools::host
