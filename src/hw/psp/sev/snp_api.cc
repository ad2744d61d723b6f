#include "hw/psp/sev/snp_api.h"

#include "hw/psp/sev/name_table.h"

namespace cbit::hw::psp::sev {
namespace {

template <typename E>
using Row = NameRow<E>;

constexpr Row<SnpPolicyBit> kPolicyBits[] = {
    {SnpPolicyBit::Smt, "SMT"},
    {SnpPolicyBit::Mbo, "MBO"},
    {SnpPolicyBit::MigrateMa, "MIGRATE_MA"},
    {SnpPolicyBit::Debug, "DEBUG"},
    {SnpPolicyBit::SingleSocket, "SINGLE_SOCKET"},
    {SnpPolicyBit::CxlAllow, "CXL_ALLOW"},
    {SnpPolicyBit::MemAes256Xts, "MEM_AES_256_XTS"},
    {SnpPolicyBit::RaplDis, "RAPL_DIS"},
    {SnpPolicyBit::CiphertextHiding, "CIPHERTEXT_HIDING"},
    {SnpPolicyBit::PageSwapDisable, "PAGE_SWAP_DISABLE"},
};

constexpr Row<SnpPageType> kPageTypes[] = {
    {SnpPageType::Normal, "NORMAL"},   {SnpPageType::Vmsa, "VMSA"},
    {SnpPageType::Zero, "ZERO"},       {SnpPageType::Unmeasured, "UNMEASURED"},
    {SnpPageType::Secrets, "SECRETS"}, {SnpPageType::Cpuid, "CPUID"},
};

constexpr Row<SnpGuestState> kGuestStates[] = {{SnpGuestState::Init, "INIT"},
                                               {SnpGuestState::Launch, "LAUNCH"},
                                               {SnpGuestState::Running, "RUNNING"}};
constexpr Row<SnpPlatformState> kPlatformStates[] = {{SnpPlatformState::Uninit, "UNINIT"},
                                                     {SnpPlatformState::Init, "INIT"}};

}  // namespace

std::string_view name(SnpPolicyBit b) { return find_name(kPolicyBits, b); }
std::string_view name(SnpPageType t) { return find_name(kPageTypes, t); }
std::string_view name(SnpGuestState s) { return find_name(kGuestStates, s); }
std::string_view name(SnpPlatformState s) { return find_name(kPlatformStates, s); }
std::optional<SnpPolicyBit> snp_policy_bit_by_name(std::string_view n) {
  return find_value<SnpPolicyBit>(kPolicyBits, n);
}
std::optional<SnpPageType> snp_page_type_by_name(std::string_view n) {
  return find_value<SnpPageType>(kPageTypes, n);
}

}  // namespace cbit::hw::psp::sev
