#include "psp/report/report_bits.h"

namespace cbit::psp {

namespace {

constexpr ReportBit kPolicy[] = {
    {16, "SMT", "SMT Allowed"},
    {17, "RESERVED_MBO", "Reserved (must be 1)"},
    {18, "MIGRATE_MA", "Migrate MA"},
    {19, "DEBUG", "Debug Allowed"},
    {20, "SINGLE_SOCKET", "Single Socket"},
    {21, "CXL_ALLOW", "CXL Allowed"},
    {22, "MEM_AES_256_XTS", "AES 256 XTS"},
    {23, "RAPL_DIS", "RAPL Disabled"},
    {24, "CIPHERTEXT_HIDING_DRAM", "Ciphertext hiding"},
    {25, "PAGE_SWAP_DISABLE", "Page Swap Disable"},
};

constexpr ReportBit kPlatformInfo[] = {
    {0, "SMT_EN", "SMT Enabled"},
    {1, "TSME_EN", "TSME Enabled"},
    {2, "ECC_EN", "ECC Enabled"},
    {3, "RAPL_DIS", "RAPL Disabled"},
    {4, "CIPHERTEXT_HIDING_DRAM_EN", "Ciphertext Hiding Enabled"},
    {5, "ALIAS_CHECK_COMPLETE", "Alias Check Complete"},
    {6, "IOMMU_WRITE_SAFE", "IOMMU Write Safe"},
    {7, "TIO_EN", "SEV-TIO Enabled"},
};

}  // namespace

std::span<const ReportBit> policy_bits() { return kPolicy; }
std::span<const ReportBit> platform_info_bits() { return kPlatformInfo; }

}  // namespace cbit::psp
