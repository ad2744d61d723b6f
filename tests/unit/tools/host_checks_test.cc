// `cbit host` checks on recorded snapshots (tests/data/host/*.json): a Milan SNP host, a Rome
// host, a BIOS with SME off (sevctl#130), SEV guests (sevctl#186), an EPYC VM whose hypervisor
// hides Fn8000_001F, and an Intel VM; none assumes anything about the machine under the test.
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "common/error.h"
#include "tools/host/bits.h"
#include "tools/host/checks.h"
#include "tools/host/cpu_identity.h"
#include "tools/host/probe.h"
#include "tools/host/render.h"
#include "tools/host/snapshot.h"

namespace cbit::tools::host {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

HostSnapshot load(const std::string& name) {
  const std::string path = std::string(CBIT_SOURCE_DIR) + "/tests/data/host/" + name + ".json";
  return snapshot_from_json(read_text(path), path);
}

const CheckRow& row(const Checklist& c, const std::string& name) {
  for (const auto& r : c.rows)
    if (r.name == name) return r;
  ADD_FAILURE() << "no row " << name;
  static CheckRow none;
  return none;
}

void every_fail_has_a_hint(const Checklist& c) {
  for (const auto& r : c.rows)
    if (r.status == Status::Fail) {
      EXPECT_FALSE(r.hint.empty()) << r.name;
    }
}

const char* kAll[] = {"milan_snp_host",  "rome_host",      "milan_bios_sme_off",  "sev_snp_guest",
                      "sev_guest_plain", "epyc_vm_no_sme", "intel_xeon_kvm_guest"};

TEST(HostChecks, MilanSnpHostPassesEverything) {
  const Checklist c = run_checks(load("milan_snp_host"));
  EXPECT_EQ(c.mode, "host");
  EXPECT_EQ(c.count(Status::Fail), 0);
  EXPECT_EQ(c.count(Status::Skip), 0);
  EXPECT_EQ(row(c, "Secure Nested Paging (SEV-SNP)").status, Status::Pass);
  EXPECT_EQ(row(c, "SEV-SNP active in the kernel (KVM)").status, Status::Pass);
  EXPECT_EQ(row(c, "C-bit location").detail, "51");
  EXPECT_EQ(row(c, "Physical address bit reduction").detail, "5");
  EXPECT_EQ(row(c, "Number of encrypted guests supported simultaneously").detail, "509");
  EXPECT_EQ(row(c, "Minimum ASID value for SEV-enabled, SEV-ES disabled guest").detail, "256");
  EXPECT_EQ(row(c, "Number of VMPLs").detail, "4");
}

TEST(HostChecks, RomeSkipsSnpInsteadOfFailing) {  // sevctl#93
  const Checklist c = run_checks(load("rome_host"));
  EXPECT_EQ(c.count(Status::Fail), 0);
  const CheckRow& snp = row(c, "Secure Nested Paging (SEV-SNP)");
  EXPECT_EQ(snp.status, Status::Skip);
  EXPECT_NE(snp.hint.find("Rome"), std::string::npos);
  EXPECT_EQ(row(c, "Encrypted State (SEV-ES)").status, Status::Pass);
  // Control: the same snapshot claiming a Milan CPU runs the SNP row, and it fails (no SNP bit).
  HostSnapshot milan = load("rome_host");
  milan.cpuid[1].eax = milan.cpuid[0x80000001].eax = 0x00a00f11;
  const Checklist m = run_checks(milan);
  EXPECT_EQ(row(m, "Secure Nested Paging (SEV-SNP)").status, Status::Fail);
}

TEST(HostChecks, NaplesSkipsSevEs) {
  HostSnapshot naples = load("rome_host");
  naples.cpuid[1].eax = naples.cpuid[0x80000001].eax = 0x00800f12;  // family 0x17 model 0x01
  EXPECT_EQ(identify_cpu(naples).generation, Generation::Naples);
  const Checklist c = run_checks(naples);
  EXPECT_EQ(row(c, "Encrypted State (SEV-ES)").status, Status::Skip);
}

TEST(HostChecks, BiosWithSmeOffIsSupportedButNotEnabled) {  // sevctl#130
  const Checklist c = run_checks(load("milan_bios_sme_off"));
  EXPECT_EQ(row(c, "Secure Memory Encryption (SME)").status, Status::Pass);
  EXPECT_EQ(row(c, "SME enabled by firmware").status, Status::Fail);
  EXPECT_EQ(row(c, "SME active in the kernel").status, Status::Skip);
  EXPECT_EQ(row(c, "Secure Encrypted Virtualization (SEV)").status, Status::Pass);
  EXPECT_EQ(row(c, "SEV enabled by firmware").status, Status::Fail);
  EXPECT_NE(row(c, "SEV enabled by firmware").hint.find("BIOS"), std::string::npos);
  every_fail_has_a_hint(c);
}

TEST(HostChecks, FirmwareRowFallsBackWhenSyscfgIsUnreadable) {
  HostSnapshot s = load("milan_bios_sme_off");
  s.syscfg = MsrReading{std::nullopt, "/dev/cpu/0/msr: Permission denied"};
  // 1. the ccp driver's kernel log line decides
  EXPECT_EQ(row(run_checks(s), "SEV enabled by firmware").status, Status::Fail);
  // 2. without it, Linux's cleared CPU flags decide
  s.kernel_log = std::vector<std::string>{};
  EXPECT_EQ(row(run_checks(s), "SME enabled by firmware").status, Status::Fail);
  s.cpu_flags = std::vector<std::string>{"sme", "sev"};
  EXPECT_EQ(row(run_checks(s), "SME enabled by firmware").status, Status::Pass);
  // 3. with neither, cbit says it cannot tell rather than guess
  s.cpu_flags.reset();
  EXPECT_EQ(row(run_checks(s), "SME enabled by firmware").status, Status::Skip);
}

TEST(HostChecks, SnpGuestRunsGuestChecks) {  // sevctl#186
  const Checklist c = run_checks(load("sev_snp_guest"));
  EXPECT_EQ(c.mode, "guest");
  EXPECT_EQ(c.count(Status::Fail), 0);
  EXPECT_EQ(row(c, "Secure Nested Paging (SEV-SNP)").status, Status::Pass);
  EXPECT_EQ(row(c, "C-bit location").detail, "51");
  // Control: SEV_STATUS without the SNP bit fails the SNP row.
  HostSnapshot es = load("sev_snp_guest");
  es.sev_status.value = 0x3;
  const Checklist e = run_checks(es);
  EXPECT_EQ(row(e, "Secure Nested Paging (SEV-SNP)").status, Status::Fail);
  EXPECT_EQ(row(e, "Encrypted State (SEV-ES)").status, Status::Pass);
  every_fail_has_a_hint(e);
}

TEST(HostChecks, PlainSevGuestFromTheKernelLog) {
  const Checklist c = run_checks(load("sev_guest_plain"));
  EXPECT_EQ(c.mode, "guest");
  EXPECT_EQ(row(c, "Secure Encrypted Virtualization (SEV) guest").status, Status::Pass);
  EXPECT_EQ(row(c, "Encrypted State (SEV-ES)").status, Status::Fail);
  EXPECT_EQ(row(c, "C-bit location").detail, "47");
  every_fail_has_a_hint(c);
}

TEST(HostChecks, PlainVmSaysSoTruthfully) {
  // An SEV-capable EPYC guest stripped of every SEV sign: host checks, Fn8000_001F all zero.
  HostSnapshot s = load("sev_snp_guest");
  s.cpuid[0x8000001F] = CpuidRegs{};
  s.sev_status = MsrReading{std::nullopt, "/dev/cpu/0/msr: no such file"};
  s.devices["/dev/sev-guest"] = NodeAccess::Absent;
  s.kernel_log = std::vector<std::string>{};
  const Checklist c = run_checks(s);
  EXPECT_EQ(c.mode, "host");
  EXPECT_EQ(row(c, "Bare metal (not a virtual machine)").status, Status::Fail);
  const CheckRow& sme = row(c, "Secure Memory Encryption (SME)");
  EXPECT_EQ(sme.status, Status::Fail);
  EXPECT_NE(sme.detail.find("hypervisor"), std::string::npos);
  every_fail_has_a_hint(c);
}

// A recorded Intel VM (the project's CI machine): the checklist says "not AMD" and stops there.
TEST(HostChecks, IntelCpuFailsTheAmdRowAndSkipsEverythingUnderIt) {
  const HostSnapshot s = load("intel_xeon_kvm_guest");
  const CpuIdentity id = identify_cpu(s);
  EXPECT_EQ(id.vendor, "GenuineIntel");
  EXPECT_FALSE(id.is_amd());
  // Intel leaves Fn8000_0001 EAX zero; family/model come from leaf 1 (family 6 uses the
  // extended model): 0x000a0671 is family 0x6, model 0xa7, stepping 1.
  EXPECT_EQ(s.leaf(0x80000001).eax, 0u);
  EXPECT_EQ(id.family, 0x6u);
  EXPECT_EQ(id.model, 0xa7u);
  EXPECT_EQ(id.stepping, 1u);
  const Checklist c = run_checks(s);
  EXPECT_EQ(c.mode, "host");
  const CheckRow& amd = row(c, "AMD CPU");
  EXPECT_EQ(amd.status, Status::Fail);
  EXPECT_NE(amd.detail.find("GenuineIntel"), std::string::npos) << amd.detail;
  EXPECT_NE(amd.detail.find("family 0x6, model 0xa7"), std::string::npos) << amd.detail;
  for (const auto& r : c.rows) {
    if (r.depth > 0) {
      EXPECT_EQ(r.status, Status::Skip) << r.name;
    }
  }
  EXPECT_EQ(c.count(Status::Fail), 1);
  EXPECT_NE(c.headline.find("not an AMD processor"), std::string::npos) << c.headline;
  ASSERT_EQ(c.syscfg_lines.size(), 1u);  // no "modprobe msr" advice for an MSR Intel lacks
  EXPECT_NE(c.syscfg_lines[0].find("an AMD register"), std::string::npos) << c.syscfg_lines[0];
  // Control: the same leaves under an AMD vendor string pass the AMD row.
  HostSnapshot amd_vendor = s;
  amd_vendor.cpuid[0] = load("rome_host").leaf(0);
  EXPECT_EQ(row(run_checks(amd_vendor), "AMD CPU").status, Status::Pass);
}

// Fn8000_001F beyond the maximum extended leaf means nothing (Intel answers it with its highest
// basic leaf), so a set bit there is not support.
TEST(HostChecks, LeafBeyondTheMaximumExtendedLeafIsNotRead) {
  HostSnapshot s = load("intel_xeon_kvm_guest");
  s.cpuid[0] = load("rome_host").leaf(0);  // claim AMD to reach the SME row
  s.cpuid[0x8000001F].eax = 0x1;           // garbage that looks like SME
  const CheckRow sme = row(run_checks(s), "Secure Memory Encryption (SME)");
  EXPECT_EQ(sme.status, Status::Fail);
  EXPECT_NE(sme.detail.find("maximum extended leaf is 0x80000008"), std::string::npos)
      << sme.detail;
  // Control: with the leaf in range the same bit passes.
  s.cpuid[0x80000000].eax = 0x8000001F;
  EXPECT_EQ(row(run_checks(s), "Secure Memory Encryption (SME)").status, Status::Pass);
}

// A recorded AMD EPYC VM whose hypervisor hides Fn8000_001F (a cloud VM that is not an SEV
// guest): the rows say what the VM sees and point at the bare-metal host.
TEST(HostChecks, EpycVmWithoutSmeExposedSaysSo) {
  const HostSnapshot s = load("epyc_vm_no_sme");
  const Checklist c = run_checks(s);
  EXPECT_EQ(c.mode, "host");
  EXPECT_EQ(row(c, "AMD CPU").status, Status::Pass);
  EXPECT_EQ(identify_cpu(s).generation, Generation::Milan);
  EXPECT_EQ(row(c, "Bare metal (not a virtual machine)").status, Status::Fail);
  for (const char* name :
       {"Secure Memory Encryption (SME)", "Secure Encrypted Virtualization (SEV)"}) {
    const CheckRow& r = row(c, name);
    EXPECT_EQ(r.status, Status::Fail) << name;
    EXPECT_NE(r.detail.find("the hypervisor does not expose it"), std::string::npos) << r.detail;
  }
  EXPECT_EQ(row(c, "SME enabled by firmware").status, Status::Skip);
  const CheckRow& kvm = row(c, "KVM supported");
  EXPECT_EQ(kvm.status, Status::Fail);
  EXPECT_NE(kvm.hint.find("nested"), std::string::npos) << kvm.hint;
  every_fail_has_a_hint(c);
  // Control: the same machine on bare metal with the leaf exposed passes those rows.
  HostSnapshot metal = s;
  metal.cpuid[1].ecx &= ~(1u << 31);
  metal.cpuid[0x8000001F] = load("milan_snp_host").leaf(0x8000001F);
  const Checklist m = run_checks(metal);
  EXPECT_EQ(row(m, "Bare metal (not a virtual machine)").status, Status::Pass);
  EXPECT_EQ(row(m, "Secure Memory Encryption (SME)").status, Status::Pass);
}

TEST(HostChecks, EveryFailHasAHintInEverySnapshot) {
  for (const char* name : kAll) every_fail_has_a_hint(run_checks(load(name)));
}

TEST(HostChecks, SyscfgDecodedWithWords) {
  const Checklist c = run_checks(load("milan_snp_host"));
  const std::string text = render_text(c);
  EXPECT_NE(text.find("bit 23 MemEncryptionModEn = 1"), std::string::npos);
  EXPECT_NE(text.find("bit 24 SNP_EN = 1"), std::string::npos);
  EXPECT_NE(text.find("bit 25 SNP_VMPL_EN = 1"), std::string::npos);
  EXPECT_NE(text.find("[ PASS ]     - C-bit location: 51"), std::string::npos);  // indentation
  // Set bits the table does not name are still shown.
  const auto lines = decode_bits(uint64_t{1} << 5, syscfg_bits(), 64);
  EXPECT_EQ(lines.back(), "bit  5 = 1: not decoded by cbit");
}

TEST(HostChecks, JsonShapeAsSevctl) {
  const Checklist c = run_checks(load("milan_bios_sme_off"));
  const auto j = nlohmann::json::parse(render_json(c));
  EXPECT_EQ(j["summary"]["failed"], c.count(Status::Fail));
  EXPECT_EQ(j["summary"]["total"], c.rows.size());
  EXPECT_EQ(j["failures"].size(), static_cast<size_t>(c.count(Status::Fail)));
  EXPECT_TRUE(j["failures"][0].contains("hint"));
  EXPECT_TRUE(j["tests"].is_array());
  EXPECT_TRUE(j["skipped"].is_array());
}

TEST(HostSnapshot, JsonRoundTrip) {
  for (const char* name : kAll) {
    const HostSnapshot s = load(name);
    EXPECT_EQ(snapshot_from_json(snapshot_to_json(s), name), s) << name;
  }
}

TEST(HostSnapshot, BadInputNamesTheFileAndTheKey) {
  const std::string good =
      read_text(std::string(CBIT_SOURCE_DIR) + "/tests/data/host/rome_host.json");
  auto expect_error = [](const std::string& text, const std::string& needle) {
    try {
      snapshot_from_json(text, "snap.json");
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind("snap.json", 0), 0u) << msg;
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  };
  expect_error("{", "not valid JSON");
  expect_error("[]", "expected a JSON object");
  expect_error(R"({"format": "other"})", "format");
  expect_error(R"({"format": "cbit-host-snapshot-1"})", "cpuid");
  expect_error(R"({"format": "cbit-host-snapshot-1", "cpuid": {"0x0": ["0x1","0x2","0x3"]}})",
               "cpuid.0x0");
  expect_error(
      R"({"format": "cbit-host-snapshot-1", "cpuid": {"0x0": ["0x1","0x2","0x3","0xZZ"]}})",
      "cpuid.0x0.edx");
  expect_error(
      R"({"format": "cbit-host-snapshot-1", "cpuid": {"0x0": ["0x1","0x2","0x3","0x100000000"]}})",
      "32-bit");
  expect_error(
      R"({"format": "cbit-host-snapshot-1", "cpuid": {"0x0": ["0x1","0x2","0x3","0x4"]}, "msr": {"EFER": "0x1"}})",
      "msr.EFER");
  expect_error(
      R"({"format": "cbit-host-snapshot-1", "cpuid": {"0x0": ["0x1","0x2","0x3","0x4"]}, "devices": {"/dev/sev": "yes"}})",
      "devices./dev/sev");
  expect_error(
      R"({"format": "cbit-host-snapshot-1", "cpuid": {"0x0": ["0x1","0x2","0x3","0x4"]}, "cpuid_typo": 1})",
      "unknown key");
  EXPECT_NO_THROW(snapshot_from_json(good, "rome_host.json"));
}

// The names cbit prints are SPEC-FACTS.md's ("CPUID/MSR bit names must match").
TEST(HostBits, NamesMatchSpecFacts) {
  const std::string spec = read_text(std::string(CBIT_SOURCE_DIR) + "/docs/SPEC-FACTS.md");
  ASSERT_FALSE(spec.empty());
  for (const auto& b : cpuid_8000001f_eax_bits())
    EXPECT_NE(spec.find(std::to_string(b.bit) + " " + b.name), std::string::npos) << b.name;
  for (const auto& b : sev_status_bits())
    EXPECT_NE(spec.find(std::to_string(b.bit) + " " + b.name), std::string::npos) << b.name;
  for (int bit : {kSyscfgMfdm, kSyscfgMemEncryptionModEn, kSyscfgSnpEn, kSyscfgSnpVmplEn}) {
    const auto& t = syscfg_bits();
    const auto it =
        std::find_if(t.begin(), t.end(), [&](const BitInfo& b) { return b.bit == bit; });
    ASSERT_NE(it, t.end());
    std::string name = it->name;
    name = name.substr(0, name.find(' '));  // "MFDM (MtrrFixDramModEn)" -> "MFDM"
    EXPECT_NE(spec.find("bit " + std::to_string(bit) + " " + name), std::string::npos) << name;
  }
}

TEST(HostProbe, LiveSnapshotIsConsistentWithTheCpuidInstruction) {
  // Read on the CPU the probe reads on: leaf 1 differs between CPUs (the APIC ID), and an
  // unpinned thread may move between the probe's read and this one (the flaky failure).
  const ScopedCpuPin pin(probe_cpu());
  ASSERT_TRUE(pin.pinned());
  const HostSnapshot s = probe_host();
  for (uint32_t leaf : probed_cpuid_leaves()) EXPECT_EQ(s.leaf(leaf), read_cpuid(leaf)) << leaf;
  EXPECT_FALSE(identify_cpu(s).vendor.empty());
  const Checklist c = run_checks(s);
  EXPECT_FALSE(c.rows.empty());
  every_fail_has_a_hint(c);
  // And a live snapshot survives --save / --from.
  EXPECT_EQ(snapshot_from_json(snapshot_to_json(s), "live"), s);
}

// Why the probe pins itself: CPUID leaf 1 EBX[31:24] is the initial APIC ID of the CPU that
// runs the instruction, so two CPUs answer leaf 1 differently.
TEST(HostProbe, LeafOneDependsOnTheCpuThatRunsIt) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(::sched_getaffinity(0, sizeof(set), &set), 0);
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < 2; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  if (cpus.size() < 2) GTEST_SKIP() << "this thread may run on one CPU only";
  auto leaf1_on = [](int cpu) {
    const ScopedCpuPin pin(cpu);
    EXPECT_TRUE(pin.pinned()) << cpu;
    return read_cpuid(1);
  };
  const CpuidRegs a = leaf1_on(cpus[0]), b = leaf1_on(cpus[1]);
  EXPECT_NE(a.ebx >> 24, b.ebx >> 24) << "CPUs " << cpus[0] << " and " << cpus[1];
  EXPECT_EQ(a.eax, b.eax);  // same family/model/stepping
  // And the pin holds: the probe and a read under the same pin agree on leaf 1.
  const ScopedCpuPin pin(cpus[1]);
  EXPECT_EQ(probe_host().leaf(1), read_cpuid(1));
  EXPECT_EQ(read_cpuid(1).ebx >> 24, b.ebx >> 24);
}

}  // namespace
}  // namespace cbit::tools::host
