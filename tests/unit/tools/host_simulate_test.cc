// cbit host --simulate: the snapshot of a simulated host of each preset, judged by the same
// checklist as a real host's.
#include <gtest/gtest.h>

#include <algorithm>

#include "hw/cpu/cpuid.h"
#include "hw/cpu/msr.h"
#include "tools/host/checks.h"
#include "tools/host/probe.h"
#include "tools/host/simulate.h"

namespace cbit::tools::host {
namespace {

const CheckRow* row(const Checklist& c, const std::string& name) {
  for (const auto& r : c.rows)
    if (r.name == name) return &r;
  return nullptr;
}

Status status(const Checklist& c, const std::string& name) {
  const CheckRow* r = row(c, name);
  EXPECT_NE(r, nullptr) << name;
  return r ? r->status : Status::Fail;
}

TEST(HostSimulate, EveryPresetIsAHostWithNothingFailing) {
  for (const auto& m : hw::cpu_model_presets()) {
    SCOPED_TRACE(m.name);
    const HostSnapshot s = simulate_host(m);
    // The leaves the probe reads on a real host, as the simulated CPU answers them.
    for (uint32_t leaf : probed_cpuid_leaves()) {
      const auto r = hw::cpuid(m, leaf);
      EXPECT_EQ(s.leaf(leaf), (CpuidRegs{r.eax, r.ebx, r.ecx, r.edx})) << std::hex << leaf;
    }
    const Checklist c = run_checks(s);
    EXPECT_EQ(c.mode, "host");
    EXPECT_EQ(c.count(Status::Fail), 0);
    EXPECT_NE(c.headline.find(m.brand), std::string::npos) << c.headline;
    EXPECT_EQ(status(c, "SME active in the kernel"), Status::Pass);
    EXPECT_EQ(status(c, "SEV active in the kernel (KVM)"), Status::Pass);
    ASSERT_TRUE(s.syscfg.value);
    EXPECT_TRUE(*s.syscfg.value & hw::syscfg::kMemEncryptionModEn);
    const bool snp = m.fn8000_001f.has(hw::SevFeature::SevSnp);
    EXPECT_EQ(bool(*s.syscfg.value & hw::syscfg::kSnpEn), snp);
    EXPECT_EQ(status(c, "SEV-SNP active in the kernel (KVM)"), snp ? Status::Pass : Status::Skip);
  }
  // SEV-ES runs from Rome on (Naples: no SEV-ES firmware, and its BIOS leaves no ASIDs).
  EXPECT_EQ(status(run_checks(simulate_host(hw::cpu_model_by_name("naples"))),
                   "SEV-ES active in the kernel (KVM)"),
            Status::Skip);
  EXPECT_EQ(status(run_checks(simulate_host(hw::cpu_model_by_name("rome"))),
                   "SEV-ES active in the kernel (KVM)"),
            Status::Pass);
}

// Control: with the BIOS at the default every real dump shows (Fn8000_001F EDX = 1), KVM has no
// SEV-ES ASIDs, so SEV-ES and SNP guests cannot run: those rows FAIL (AMDSEV#84).
TEST(HostSimulate, BiosDefaultLeavesNoSevEsAsids) {
  hw::CpuModel m = hw::cpu_model_by_name("milan");
  hw::apply_cpu_override(m, "min-sev-asid=1");
  const HostSnapshot s = simulate_host(m);
  EXPECT_EQ(s.kvm_amd->at("sev_es"), "N");
  const Checklist c = run_checks(s);
  EXPECT_EQ(status(c, "SEV-ES active in the kernel (KVM)"), Status::Fail);
  EXPECT_EQ(status(c, "SEV-SNP active in the kernel (KVM)"), Status::Fail);
  EXPECT_EQ(status(c, "SEV active in the kernel (KVM)"), Status::Pass);
}

// A part without SME: the simulated BIOS cannot turn it on, and the checklist says so.
TEST(HostSimulate, PartWithoutSmeFailsSupported) {
  hw::CpuModel m = hw::cpu_model_by_name("rome");
  hw::apply_cpu_override(m, "features=-sme,-sev,-sev_es");
  const Checklist c = run_checks(simulate_host(m));
  EXPECT_EQ(status(c, "Secure Memory Encryption (SME)"), Status::Fail);
  EXPECT_EQ(status(c, "Secure Encrypted Virtualization (SEV)"), Status::Fail);
  EXPECT_EQ(status(c, "SME enabled by firmware"), Status::Skip);
}

}  // namespace
}  // namespace cbit::tools::host
