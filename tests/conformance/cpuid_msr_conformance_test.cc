// cbit's CPUID feature bits, MSR addresses and SYSCFG bits against the tables generated from
// docs/SPEC-FACTS.md (gen_spec_tables.py). Every spec row must have a cbit constant of the same
// name and value, and every cbit constant must appear in the spec: a value typed wrongly on
// either side, or a name missing, fails here with the name.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

#include "hw/cpu/msr.h"
#include "hw/cpu_models.h"
#include "spec_tables.inc"

namespace cbit::hw {
namespace {

struct Named {
  const char* name;
  uint64_t value;
};
constexpr Named kSpecEax[] = {CBIT_SPEC_CPUID_8000001F_EAX};
constexpr Named kSpecMsrs[] = {CBIT_SPEC_MSRS};
constexpr Named kSpecSyscfg[] = {CBIT_SPEC_SYSCFG_BITS};

uint64_t bit(SevFeature f) { return static_cast<uint64_t>(f); }

// cbit's side, by the spec's names.
const std::map<std::string, uint64_t> kCbitEax = {
    {"SME", bit(SevFeature::Sme)},
    {"SEV", bit(SevFeature::Sev)},
    {"VM_PAGE_FLUSH_MSR", bit(SevFeature::VmPageFlush)},
    {"SEV_ES", bit(SevFeature::SevEs)},
    {"SNP", bit(SevFeature::SevSnp)},
    {"VMPL", bit(SevFeature::Vmpl)},
    {"RMPQUERY", bit(SevFeature::RmpQuery)},
    {"VMPL_SUPERVISOR_SHADOW_STACK", bit(SevFeature::VmplSss)},
    {"SECURETSC", bit(SevFeature::SecureTsc)},
    {"TSC_AUX_VIRTUALIZATION", bit(SevFeature::TscAuxVirtualization)},
    {"SME_COHERENT", bit(SevFeature::SmeCoherent)},
    {"REQUIRES_64_BIT_HYPERVISOR", bit(SevFeature::Req64BitHypervisor)},
    {"RESTRICTEDINJECTION", bit(SevFeature::RestrictedInjection)},
    {"ALTERNATEINJECTION", bit(SevFeature::AlternateInjection)},
    {"DEBUGSWAP", bit(SevFeature::DebugSwap)},
    {"PREVENTHOSTIBS", bit(SevFeature::PreventHostIbs)},
    {"VTE", bit(SevFeature::Vte)},
    {"VMGEXIT_PARAMETER", bit(SevFeature::VmgexitParameter)},
    {"VTOM_MSR", bit(SevFeature::VirtualTomMsr)},
    {"IBS_VIRTUALIZATION", bit(SevFeature::IbsVirtualization)},
    {"PMC_VIRTUALIZATION", bit(SevFeature::PmcVirtualization)},
    {"RMPREAD", bit(SevFeature::RmpRead)},
    {"GUESTINTERCEPTCTL", bit(SevFeature::GuestInterceptCtl)},
    {"SEGMENTED_RMP", bit(SevFeature::SegmentedRmp)},
    {"VMSA_REGISTER_PROTECTION", bit(SevFeature::VmsaRegProt)},
    {"SMT_PROTECTION", bit(SevFeature::SmtProtection)},
    {"SECUREAVIC", bit(SevFeature::SecureAvic)},
    {"ALLOWEDSEVFEATURES", bit(SevFeature::AllowedSevFeatures)},
    {"SVSM_COMM_PAGE_MSR", bit(SevFeature::SvsmCommPageMsr)},
    {"NESTEDVIRTSNPMSR", bit(SevFeature::NestedVirtSnpMsr)},
    {"HVINUSEWRALLOWED", bit(SevFeature::HvInUseWrAllowed)},
    {"IBPBONENTRY", bit(SevFeature::IbpbOnEntry)},
};

const std::map<std::string, uint64_t> kCbitMsrs = {
    {"SYSCFG", msr::kSyscfg},    {"SEV_STATUS", msr::kSevStatus},
    {"GHCB", msr::kGhcb},        {"VM_PAGE_FLUSH", msr::kVmPageFlush},
    {"RMP_BASE", msr::kRmpBase}, {"RMP_END", msr::kRmpEnd},
    {"RMP_CFG", msr::kRmpCfg},   {"SVSM_CAA", msr::kSvsmCaa},
};

const std::map<std::string, uint64_t> kCbitSyscfg = {
    {"MEMENCRYPTIONMODEN", syscfg::kMemEncryptionModEnBit},
    {"SNP_EN", syscfg::kSnpEnBit},
    {"SNP_VMPL_EN", syscfg::kSnpVmplEnBit},
    {"MFDM", syscfg::kMfdmBit},
};

template <size_t N>
void compare(const char* table, const Named (&spec)[N],
             const std::map<std::string, uint64_t>& cbit) {
  SCOPED_TRACE(table);
  ASSERT_GT(N, 0u) << "the generated table is empty";
  std::map<std::string, bool> seen;
  for (const auto& row : spec) {
    const auto it = cbit.find(row.name);
    if (it == cbit.end()) {
      ADD_FAILURE() << row.name << " is in SPEC-FACTS.md but has no cbit constant";
      continue;
    }
    EXPECT_EQ(it->second, row.value) << row.name;
    seen[row.name] = true;
  }
  for (const auto& [name, value] : cbit)
    EXPECT_TRUE(seen.count(name)) << name << " = " << value << " is not in SPEC-FACTS.md";
}

TEST(CpuidMsrConformance, Cpuid8000001FEaxBits) {
  compare("CPUID Fn8000_001F EAX", kSpecEax, kCbitEax);
}
TEST(CpuidMsrConformance, MsrAddresses) { compare("MSRs", kSpecMsrs, kCbitMsrs); }
TEST(CpuidMsrConformance, SyscfgBits) { compare("SYSCFG bits", kSpecSyscfg, kCbitSyscfg); }

TEST(CpuidMsrConformance, SyscfgMasksMatchTheirBitNumbers) {
  EXPECT_EQ(syscfg::kMemEncryptionModEn, 1ull << syscfg::kMemEncryptionModEnBit);
  EXPECT_EQ(syscfg::kSnpEn, 1ull << syscfg::kSnpEnBit);
  EXPECT_EQ(syscfg::kSnpVmplEn, 1ull << syscfg::kSnpVmplEnBit);
  EXPECT_EQ(syscfg::kMfdm, 1ull << syscfg::kMfdmBit);
}

}  // namespace
}  // namespace cbit::hw
