// The launched VM runs (sw/hv/guest_run.h; `cbit launch --mode snp`): Debian's OVMF launched
// from the plan `cbit measure` walks (Vm::launch with an external plan), then the guest kernel
// model takes over in that VM and runs seed 004's program. Its failure paths: a guest that
// terminates (the hypervisor took the Validated bit of the CPUID page the launch placed: #VC
// 0x404 at the guest's first read) is a failure line, with the untouched run as control; plans
// that do not fit the VM, and bad program names, are refused.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "common/file.h"
#include "hw/machine.h"
#include "hw/rmp/rmp.h"
#include "hw/svm/vmcb.h"
#include "psp/digest/launch_plan.h"
#include "psp/digest/ovmf.h"
#include "psp/digest/vcpu_types.h"
#include "sw/host/sev_snp.h"
#include "sw/hv/guest_run.h"
#include "tools/measure/measure.h"
#include "unit/sw/hv_vm_rig.h"

namespace cbit::sw::hv::test {
namespace {

namespace digest = psp::digest;
constexpr const char* kOvmf = "/usr/share/ovmf/OVMF.fd";
constexpr uint64_t kRam = 16ull << 20;

struct OvmfSnpVm {
  explicit OvmfSnpVm(uint64_t vcpus = 1, unsigned plan_vcpus = 0)
      : host(true, "genoa", 7, /*snp=*/true),
        image(read_file(kOvmf, inputs::kFirmware)),
        ovmf(image, nullptr, "OVMF.fd"),
        plan(digest::plan_launch(ovmf,
                                 [&] {
                                   digest::LaunchConfig c;
                                   c.mode = digest::SevMode::Snp;
                                   c.vcpus = plan_vcpus ? plan_vcpus : vcpus;
                                   c.vcpu_sig = *digest::vcpu_sig_by_name("EPYC-v4");
                                   return c;
                                 }())),
        program(guest_program("secret 123")) {
    VmConfig cfg;
    cfg.mode = SevMode::Snp;
    cfg.ram_bytes = kRam;
    cfg.vcpus = static_cast<unsigned>(vcpus);
    cfg.firmware = image;
    cfg.disk = guest_program_disk(program);
    vm = std::make_unique<Vm>(host.m, host.k, &host.kvm, cfg);
  }
  VmHost host;
  Bytes image;
  digest::Ovmf ovmf;
  digest::LaunchPlan plan;
  GuestProgram program;
  std::unique_ptr<Vm> vm;
};

class GuestRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kOvmf)) GTEST_FAIL() << kOvmf << " is missing";
  }
};

TEST_F(GuestRun, OvmfLaunchedVmRunsSeed004ProgramWithCbitMeasuresDigest) {
  OvmfSnpVm v(2);
  const auto r = v.vm->launch(nullptr, &v.plan);
  ASSERT_EQ(r.rc, 0) << r.step << " " << r.fw_error;
  // The launch is OVMF's: the firmware's digest is the one `cbit measure` predicts.
  const auto ld = v.host.m.sev_firmware().snp_launch_digest(v.vm->snp()->gctx_paddr());
  ASSERT_TRUE(ld);
  EXPECT_EQ(to_hex(*ld), to_hex(tools::measure::measure(v.plan, false).digest));
  // OVMF's CC blob: the CPUID and secrets pages of its SNP metadata.
  ASSERT_TRUE(v.vm->snp_cc_blob().cpuid_page);
  ASSERT_TRUE(v.vm->snp_cc_blob().secrets_page);
  const auto g = run_guest_program(*v.vm, v.program);
  ASSERT_TRUE(g.ok()) << *g.failure;
  EXPECT_EQ(g.output, "My secret is 123\n");
  EXPECT_EQ(g.state, guest::ProgramRun::State::Paused);
  EXPECT_EQ(g.sev_status & 7, 7u);
  EXPECT_EQ(g.last_exit.code, hw::svm::exit_code::kHlt);
  const auto lines = sev_dmesg_lines(g.dmesg);
  const auto has = [&lines](std::string_view s) {
    for (const auto& l : lines)
      if (l.find(s) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("SEV: Using SNP CPUID table"));
  EXPECT_TRUE(has("Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP"));
  EXPECT_FALSE(has("Linux version"));  // only the encryption lines
}

// The hypervisor re-runs RMPUPDATE on the CPUID page after the launch (same owner and GPA): the
// Validated bit is gone, the guest's first read of its CPUID table is #VC 0x404 and Linux
// terminates. Control: the same VM without the RMPUPDATE runs to its end (the test above).
TEST_F(GuestRun, TerminationIsAFailure) {
  OvmfSnpVm v;
  ASSERT_EQ(v.vm->launch(nullptr, &v.plan).rc, 0);
  const GuestPhysAddr cpuid = *v.vm->snp_cc_blob().cpuid_page;
  const auto spa = v.vm->memory().gpa_to_spa(cpuid);
  ASSERT_TRUE(spa);
  ASSERT_TRUE(v.host.m.rmp().table().read(*spa).validated);
  ASSERT_EQ(v.host.k.snp().rmp_make_private(Pfn(spa->value >> kPageShift), cpuid.value,
                                            host::PG_LEVEL_4K, v.vm->asid(), false),
            0);
  ASSERT_FALSE(v.host.m.rmp().table().read(*spa).validated);
  const auto g = run_guest_program(*v.vm, v.program);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.failure->find("the guest terminated"), std::string::npos) << *g.failure;
  EXPECT_NE(g.failure->find("0x404"), std::string::npos) << *g.failure;
  EXPECT_EQ(g.failure->find('\n'), std::string::npos) << *g.failure;
  EXPECT_TRUE(g.output.empty());
}

TEST_F(GuestRun, PlanThatDoesNotFitTheVmIsRefused) {
  OvmfSnpVm more(1, /*plan_vcpus=*/2);  // the plan measures two VMSAs for one vCPU
  EXPECT_THROW(more.vm->launch(nullptr, &more.plan), InputError);
  OvmfSnpVm sev(1);
  sev.plan.mode = digest::SevMode::Sev;
  EXPECT_THROW(sev.vm->launch(nullptr, &sev.plan), InputError);
  // Control: the plan that fits launches.
  OvmfSnpVm fits(2, 2);
  EXPECT_EQ(fits.vm->launch(nullptr, &fits.plan).rc, 0);
}

TEST_F(GuestRun, ProgramCommandLines) {
  const auto p = guest_program("  secret.elf   7 ");
  EXPECT_EQ(p.argv, (std::vector<std::string>{"./secret.elf", "7"}));
  EXPECT_FALSE(p.elf.empty());
  EXPECT_EQ(guest_program("secret").argv, std::vector<std::string>{"./secret.elf"});
  EXPECT_THROW(guest_program(""), InputError);
  EXPECT_THROW(guest_program("   "), InputError);
  EXPECT_THROW(guest_program("bad!name"), InputError);
  EXPECT_THROW(guest_program(".hidden"), InputError);
  EXPECT_THROW(guest_program("nosuchprogram"), InputError);
  EXPECT_THROW(guest_program("/nonexistent/dir/x.elf"), InputError);
}

// A file that is not an ELF program: the guest's loader refuses it; a failure, not a crash.
TEST_F(GuestRun, BadExecutableIsAFailure) {
  OvmfSnpVm v;
  GuestProgram junk = v.program;
  junk.elf = Bytes(300, 0x41);
  VmConfig cfg = v.vm->config();
  cfg.disk = guest_program_disk(junk);
  v.vm.reset();
  v.vm = std::make_unique<Vm>(v.host.m, v.host.k, &v.host.kvm, cfg);
  ASSERT_EQ(v.vm->launch(nullptr, &v.plan).rc, 0);
  const auto g = run_guest_program(*v.vm, junk);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.failure->find("could not execute"), std::string::npos) << *g.failure;
}

}  // namespace
}  // namespace cbit::sw::hv::test
