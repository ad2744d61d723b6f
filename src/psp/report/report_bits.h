// The named bits of an attestation report's POLICY and PLATFORM_INFO, and which bits are
// reserved. One table each, shared by `cbit report display` (text and JSON) and the parse rules.
//
// POLICY (SNP-FACTS.md §2.5; Linux psp-sev.h; go-sev-guest abi.go): 7:0 ABI minor, 15:8 ABI major,
// 16 SMT, 17 reserved must be one, 18 MIGRATE_MA, 19 DEBUG, 20 SINGLE_SOCKET, 21 CXL_ALLOW,
// 22 MEM_AES_256_XTS, 23 RAPL_DIS, 24 CIPHERTEXT_HIDING_DRAM, 25 PAGE_SWAP_DISABLE; 63:26 MBZ.
// PLATFORM_INFO (SNP-FACTS.md §4): 0 SMT_EN, 1 TSME_EN, 2 ECC_EN, 3 RAPL_DIS,
// 4 CIPHERTEXT_HIDING_DRAM_EN, 5 ALIAS_CHECK_COMPLETE, 6 IOMMU_WRITE_SAFE (snpverify and
// tinfoil-go decode it; go-sev-guest still calls it reserved), 7 TIO_EN; 63:8 reserved.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace cbit::psp {

struct ReportBit {
  int bit;
  std::string_view name;   // the spec's / Linux's name: "SINGLE_SOCKET"
  std::string_view label;  // snpguest's display label: "Single Socket"
};

std::span<const ReportBit> policy_bits();         // 16..25
std::span<const ReportBit> platform_info_bits();  // 0..7

inline constexpr int kPolicyMboBit = 17;
inline constexpr uint64_t kPolicyReservedMask = ~((uint64_t{1} << 26) - 1);       // 63:26
inline constexpr uint64_t kPlatformInfoReservedMask = ~((uint64_t{1} << 8) - 1);  // 63:8
inline constexpr int kPlatformInfoIommuWriteSafeBit = 6;

}  // namespace cbit::psp
