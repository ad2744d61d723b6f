// Seed 004 in an SEV-SNP guest, end to end (issue 9 §3; docs/guest.md "SEV-SNP"): the KVM SNP
// launch places the CPUID and secrets pages, the guest kernel finds them through the CC blob,
// boots with SEV_STATUS bit 2, accepts its memory with PVALIDATE, reads its program from disk
// through shared bounce buffers (page-state changes through the GHCB) and the program prints
// "My secret is 123". Control: the same program in an SEV-ES guest on the same host.
#include <gtest/gtest.h>

#include "hw/machine.h"
#include "hw/rmp/rmp.h"
#include "hw/svm/vmcb.h"
#include "sw/ghcb/ghcb.h"
#include "unit/sw/snp_guest_rig.h"

namespace cbit::sw::guest {
namespace {

using hv::SevMode;
using test::SnpGuestVm;
namespace ec = hw::svm::exit_code;
namespace mp = ghcb::msr_proto;

class SnpGuestE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    elf_ = test::secret_elf();
    if (elf_.empty()) GTEST_FAIL() << "examples/guest/secret.elf was not built";
  }
  Bytes disk() const { return hv::make_cbit_disk(elf_, "secret.elf"); }
  Bytes elf_;
};

TEST_F(SnpGuestE2e, Seed004ProgramPrintsItsSecretInAnSnpGuest) {
  SnpGuestVm g(SevMode::Snp, disk());
  g.k->queue_program({"secret.elf", "123"});
  const auto exit = g.run();
  ASSERT_EQ(exit.code, ec::kHlt) << std::hex << exit.code << " " << exit.info1 << " " << exit.info2
                                 << "\n"
                                 << g.dmesg();
  ASSERT_TRUE(g.k->booted()) << g.dmesg();
  EXPECT_FALSE(g.k->panicked());
  EXPECT_FALSE(g.k->termination().has_value());
  EXPECT_TRUE(g.k->sev_snp_active());
  EXPECT_EQ(g.k->sev_status() & 7, 7u);
  EXPECT_TRUE(g.dmesg_has("Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP"));
  EXPECT_TRUE(g.dmesg_has("SEV: Using SNP CPUID table"));
  EXPECT_TRUE(g.dmesg_has("SEV: SNP running at VMPL0."));
  EXPECT_GT(g.k->snp_cpuid_count(), 0u);
  EXPECT_TRUE(g.k->snp_secrets_version().has_value());
  EXPECT_GT(g.k->pages_validated(), 0u);
  ASSERT_EQ(g.k->programs().size(), 1u);
  const ProgramRun& p = g.k->programs()[0];
  EXPECT_EQ(p.state, ProgramRun::State::Paused) << p.detail;
  EXPECT_EQ(p.output, "My secret is 123\n");
  EXPECT_NE(g.vm->console().text().find("My secret is 123\n"), std::string::npos);
  // CPUID came from the table: the hypervisor was never asked through the MSR protocol.
  EXPECT_EQ(g.vm->vcpu().vmgexits().count(mp::kCpuidReq), 0u);
  EXPECT_GE(g.vm->vcpu().vmgexits().count(mp::kHvFeaturesReq), 1u);
  // The bounce pool went shared through the PSC: hypervisor-owned in the RMP.
  const SwiotlbPool* pool = g.k->swiotlb();
  ASSERT_NE(pool, nullptr);
  const auto spa = g.vm->memory().gpa_to_spa(pool->start());
  ASSERT_TRUE(spa);
  EXPECT_FALSE(g.host.m.rmp().table().read(*spa).assigned);
  // The program's pages are the guest's: assigned, validated, this ASID.
  const auto uspa = g.vm->memory().gpa_to_spa(p.user_pages.front());
  ASSERT_TRUE(uspa);
  const auto e = g.host.m.rmp().table().read(*uspa);
  EXPECT_TRUE(e.assigned);
  EXPECT_TRUE(e.validated);
  EXPECT_EQ(e.asid, g.vm->asid());
}

TEST_F(SnpGuestE2e, ControlTheSameProgramInAnSevEsGuestOnTheSameHost) {
  SnpGuestVm g(SevMode::SevEs, disk());
  g.k->queue_program({"secret.elf", "123"});
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  EXPECT_FALSE(g.k->sev_snp_active());
  EXPECT_EQ(g.k->sev_status(), 3u);
  EXPECT_FALSE(g.dmesg_has("SEV-SNP"));
  EXPECT_EQ(g.k->programs().at(0).output, "My secret is 123\n");
  EXPECT_EQ(g.k->pages_validated(), 0u);
}

}  // namespace
}  // namespace cbit::sw::guest
