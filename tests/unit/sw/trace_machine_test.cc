// What the trace (common/trace.h, docs/trace.md) shows of the model's own runs: an SEV-ES
// guest's launch as the Secure Processor's commands in the spec's order, each SUCCESS; the
// guest's #VC, its handler and the VMGEXIT KVM decodes, between VMRUN and #VMEXIT; a host write
// into an SNP guest's private page as the failed RMP check and the #PF with its RMP bit. Each
// with its control (a plain SEV guest takes no #VC; on an SEV guest the same write passes the
// RMP), and every track's timestamps non-decreasing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "attacks/hv_write_private.h"
#include "common/file.h"
#include "hw/svm/vmcb.h"
#include "sw/guest/kernel.h"
#include "sw/hv/devices.h"
#include "sw/hv/vm.h"
#include "testbed/sev_host.h"
#include "unit/sw/hv_sev_rig.h"
#include "unit/sw/hv_vm_rig.h"
#include "unit/trace_util.h"
#include "x86/guest_programs.h"

namespace cbit::sw::hv::test {
namespace {

namespace tk = trace::track;
using testutil::events_on;
using testutil::named;
using testutil::names_on;

constexpr uint64_t kRam = 32ull << 20;

// A guest of `mode` launched on a Milan host and run with cbit's guest kernel (which prints and
// runs seed 004's program: console bytes through port I/O, CPUID, MSRs).
struct TracedGuest {
  explicit TracedGuest(SevMode mode) : k(guest::GuestKernelConfig{kRam}) {
    VmConfig cfg;
    cfg.mode = mode;
    cfg.ram_bytes = kRam;
    cfg.policy = mode == SevMode::SevEs ? 0x4 : 0x0;
    cfg.disk =
        make_cbit_disk(read_file(x86::find_guest_program("secret"), 64ull << 20), "secret.elf");
    vm = std::make_unique<Vm>(host.m, host.k, mode == SevMode::None ? nullptr : &host.kvm, cfg);
    const auto r = vm->launch(nullptr);
    EXPECT_EQ(r.rc, 0) << r.step;
    k.queue_program({"secret.elf", "123"});
    exit = vm->run(k);
  }
  VmHost host;
  std::unique_ptr<Vm> vm;
  guest::GuestKernel k;
  hw::svm::VmExit exit;
};

void expect_tracks_ordered(const nlohmann::json& doc) {
  std::map<std::pair<int, int>, uint64_t> last;
  size_t n = 0;
  for (const auto& e : doc.at("traceEvents")) {
    if (e.at("ph") == "M") continue;
    const auto key = std::make_pair(e.at("pid").get<int>(), e.at("tid").get<int>());
    const uint64_t ts = e.at("ts");
    EXPECT_GE(ts, last[key]) << e.dump();
    last[key] = ts;
    ++n;
  }
  EXPECT_GT(n, 0u);
}

uint64_t first_ts(const std::vector<nlohmann::json>& ev) {
  return ev.empty() ? UINT64_MAX : ev.front().at("ts").get<uint64_t>();
}

// QEMU's SEV-ES launch of Debian's OVMF, as `cbit launch --mode sev-es` runs it.
TEST(TraceMachine, SevEsLaunchIsTheFirmwaresCommandsInOrder) {
  if (!std::filesystem::exists(kOvmf)) GTEST_FAIL() << kOvmf << " is missing";
  const Bytes image = ovmf_image();
  testutil::Recording rec;
  HostRig r;
  OwnedLaunch l(r, psp::digest::SevMode::SevEs, 1, image, 0x5);
  l.launch.sev_launch_finish();
  const auto doc = rec.parse();
  expect_tracks_ordered(doc);
  std::vector<std::string> launch;
  for (const auto& e : events_on(doc, tk::kSecureProcessor)) {
    EXPECT_EQ(e.at("ph"), "X");
    EXPECT_GE(e.at("dur").get<uint64_t>(), 1u);
    const std::string n = e.at("name");
    if (n.rfind("LAUNCH_", 0) != 0) continue;
    const std::string status = e.at("args").at("status");
    launch.push_back(n + " " + status);
  }
  // SEV-API §6: the pages, the VMSA, the measurement (KVM first asks for its length: the
  // firmware answers INVALID_LEN, 0x4, with the length), the finish.
  const std::vector<std::string> want = {"LAUNCH_START SUCCESS",       "LAUNCH_UPDATE_DATA SUCCESS",
                                         "LAUNCH_UPDATE_VMSA SUCCESS", "LAUNCH_MEASURE INVALID_LEN",
                                         "LAUNCH_MEASURE SUCCESS",     "LAUNCH_FINISH SUCCESS"};
  EXPECT_EQ(launch, want);
  const auto finish = named(doc, "LAUNCH_FINISH");
  ASSERT_EQ(finish.size(), 1u);
  EXPECT_EQ(finish[0].at("args").at("code"), "0x0");
  EXPECT_EQ(finish[0].at("args").at("cmd_id"), "0x35");  // SEV-API Table 4
  // The host kernel issued each of them (sev_do_cmd), and the guest key went into a slot when
  // the ASID was activated.
  const auto do_cmd = named(doc, "sev_do_cmd(LAUNCH_START)");
  ASSERT_EQ(do_cmd.size(), 1u);
  EXPECT_EQ(do_cmd[0].at("pid"), tk::kHostKernel.pid);
  EXPECT_EQ(do_cmd[0].at("tid"), tk::kHostKernel.tid);
  const auto activate = named(doc, "ACTIVATE");
  ASSERT_EQ(activate.size(), 1u);
  bool key_loaded_in_activate = false;
  for (const auto& e : named(doc, "key slot loaded"))
    key_loaded_in_activate |=
        e.at("ts") > activate[0].at("ts") &&
        e.at("ts") < activate[0].at("ts").get<uint64_t>() + activate[0].at("dur").get<uint64_t>();
  EXPECT_TRUE(key_loaded_in_activate);
}

// The VM model's launch, then its guest runs: VMRUN only after LAUNCH_FINISH.
TEST(TraceMachine, GuestRunsAfterItsLaunch) {
  testutil::Recording rec;
  TracedGuest g(SevMode::SevEs);
  ASSERT_EQ(g.exit.code, hw::svm::exit_code::kHlt);
  const auto doc = rec.parse();
  expect_tracks_ordered(doc);
  const auto vmrun = named(doc, "VMRUN");
  ASSERT_FALSE(vmrun.empty());
  EXPECT_EQ(vmrun[0].at("args").at("guest"), "SEV-ES");
  EXPECT_GT(first_ts(vmrun), first_ts(named(doc, "LAUNCH_FINISH")));
  EXPECT_NE(first_ts(named(doc, "LAUNCH_FINISH")), UINT64_MAX);
}

TEST(TraceMachine, SevEsGuestTakesVcAndAsksThroughTheGhcb) {
  testutil::Recording rec;
  TracedGuest g(SevMode::SevEs);
  ASSERT_EQ(g.exit.code, hw::svm::exit_code::kHlt);
  const auto doc = rec.parse();
  expect_tracks_ordered(doc);
  // #VC for CPUID, I/O and MSRs on the core's row, with the exit code as the error code.
  const auto vc_cpuid = named(doc, "#VC SVM_EXIT_CPUID");
  const auto vc_ioio = named(doc, "#VC SVM_EXIT_IOIO");
  ASSERT_FALSE(vc_cpuid.empty());
  ASSERT_FALSE(vc_ioio.empty());
  EXPECT_EQ(vc_cpuid[0].at("args").at("error_code"), "0x72");
  EXPECT_EQ(vc_ioio[0].at("args").at("error_code"), "0x7b");
  EXPECT_EQ(vc_cpuid[0].at("pid"), tk::cpu(0).pid);
  EXPECT_EQ(vc_cpuid[0].at("tid"), tk::cpu(0).tid);
  // The guest kernel's handler, the VMGEXIT (MSR protocol first, then the GHCB), KVM's side.
  EXPECT_FALSE(named(doc, "#VC handler: vc_handle_ioio").empty());
  const auto msr = named(doc, "VMGEXIT GHCB_MSR_SEV_INFO_REQ");
  ASSERT_EQ(msr.size(), 1u);
  EXPECT_EQ(msr[0].at("args").at("protocol"), "MSR");
  EXPECT_EQ(msr[0].at("tid"), tk::vcpu(0).tid);
  EXPECT_EQ(named(doc, "VMGEXIT GHCB_MSR_REG_GPA_REQ").size(), 1u);
  const auto io = named(doc, "VMGEXIT SVM_EXIT_IOIO");
  ASSERT_FALSE(io.empty());
  EXPECT_EQ(io[0].at("args").at("protocol"), "GHCB");
  EXPECT_EQ(io[0].at("args").at("sw_exit_code"), "SVM_EXIT_IOIO");
  // In order: #VC, then the #VMEXIT of the VMGEXIT, KVM's decoding of it, and VMRUN again.
  const uint64_t vc = first_ts(vc_ioio);
  uint64_t exit = UINT64_MAX, gexit = UINT64_MAX, rerun = UINT64_MAX;
  for (const auto& e : doc.at("traceEvents")) {
    if (e.at("ph") == "M" || e.at("ts").get<uint64_t>() <= vc) continue;
    const std::string n = e.at("name");
    const uint64_t ts = e.at("ts");
    if (exit == UINT64_MAX && n == "#VMEXIT SVM_EXIT_VMGEXIT") exit = ts;
    if (exit != UINT64_MAX && gexit == UINT64_MAX && n == "VMGEXIT SVM_EXIT_IOIO") gexit = ts;
    if (gexit != UINT64_MAX && rerun == UINT64_MAX && n == "VMRUN") rerun = ts;
  }
  EXPECT_LT(vc, exit);
  EXPECT_LT(exit, gexit);
  EXPECT_LT(gexit, rerun);
  EXPECT_NE(rerun, UINT64_MAX);
  // The guest-mode spans on the core's row: one per entry, VMRUN to #VMEXIT.
  const auto spans = named(doc, "guest ASID ");
  EXPECT_EQ(spans.size(), named(doc, "#VMEXIT").size());
  // Every event but a guest-mode span took one tick; the program's x86 instructions (under
  // Unicorn) moved the clock on top of that.
  const uint64_t ticks = doc.at("otherData").at("events").get<uint64_t>() - spans.size();
  EXPECT_GT(trace::now(), ticks + 100);
}

TEST(TraceMachine, PlainSevGuestExitsWithoutVc) {
  testutil::Recording rec;
  TracedGuest g(SevMode::Sev);
  ASSERT_EQ(g.exit.code, hw::svm::exit_code::kHlt);
  const auto doc = rec.parse();
  EXPECT_TRUE(named(doc, "#VC").empty());
  EXPECT_TRUE(named(doc, "VMGEXIT").empty());
  // The same instructions exit directly: #VMEXIT with the intercept's own code.
  EXPECT_FALSE(named(doc, "#VMEXIT SVM_EXIT_CPUID").empty());
  EXPECT_FALSE(named(doc, "#VMEXIT SVM_EXIT_IOIO").empty());
  EXPECT_EQ(named(doc, "VMRUN")[0].at("args").at("guest"), "SEV");
}

attacks::SevAttackResult write_private(SevMode mode) {
  testbed::SevHostOptions o;
  o.cpu = "milan";
  testbed::SevHost host(o);
  return attacks::hv_write_private(host.attacker(), mode);
}

TEST(TraceMachine, SnpHostWriteToPrivatePageFailsTheRmpCheck) {
  testutil::Recording rec;
  const auto r = write_private(SevMode::Snp);
  ASSERT_EQ(r.verdict, attacks::Verdict::Blocked) << r.detail;
  const auto doc = rec.parse();
  expect_tracks_ordered(doc);
  const auto fail = named(doc, "RMP check failed: Hypervisor-Owned");
  ASSERT_FALSE(fail.empty());
  EXPECT_EQ(fail[0].at("args").at("access"), "host write");
  EXPECT_EQ(fail[0].at("cat"), "rmp");
  // The #PF that follows carries the RMP bit (APM Table 15-39), decoded.
  std::vector<nlohmann::json> rmp_pf;
  for (const auto& e : named(doc, "#PF"))
    if (e.at("ts") > fail[0].at("ts") &&
        e.at("args").at("bits").get<std::string>().find("RMP") != std::string::npos)
      rmp_pf.push_back(e);
  ASSERT_FALSE(rmp_pf.empty());
  EXPECT_EQ(rmp_pf[0].at("args").at("bits"), "P|W|RMP");
  EXPECT_EQ(rmp_pf[0].at("args").at("error_code"), "0x80000003");
  // The attacker's steps are on its row.
  EXPECT_FALSE(named(doc, "hypervisor: launch a VM").empty());
  EXPECT_EQ(named(doc, "hypervisor: launch a VM")[0].at("pid"), tk::kAttacker.pid);
  // The SNP launch: SNP_LAUNCH_UPDATE with its status.
  const auto upd = named(doc, "SNP_LAUNCH_UPDATE");
  ASSERT_FALSE(upd.empty());
  EXPECT_EQ(upd[0].at("args").at("status"), "SUCCESS");
}

TEST(TraceMachine, SevHostWritePassesTheRmp) {
  testutil::Recording rec;
  const auto r = write_private(SevMode::Sev);
  EXPECT_NE(r.verdict, attacks::Verdict::Error) << r.detail;
  const auto doc = rec.parse();
  EXPECT_TRUE(named(doc, "RMP check failed").empty());
  EXPECT_FALSE(named(doc, "hypervisor: write through the direct map").empty());
}

}  // namespace
}  // namespace cbit::sw::hv::test
