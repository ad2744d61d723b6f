// The relying party end to end (issue 10 §3): Debian's OVMF launched as an SNP guest from the
// plan `cbit measure` walks; the attest agent runs as a task of the guest kernel and asks for
// its report through /dev/sev-guest (the guest driver, the GHCB, KVM, the firmware's
// SNP_GUEST_REQUEST, signed by the VCEK of the firmware's REPORTED_TCB); the certificates come
// from the KDS stand-in of that machine (hw/psp/sev/sim_kds.h), as `snpguest fetch vcek` gets
// them; the relying party trusts that chain's ARK and expects `cbit measure`'s digest. It
// releases the secret, which a second guest task unwraps. Controls: a relying party expecting
// another image refuses the same guest, and the same evidence sent again is refused.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/file.h"
#include "hw/machine.h"
#include "hw/psp/sev/sim_kds.h"
#include "hw/svm/vmcb.h"
#include "psp/certs/cert_io.h"
#include "psp/digest/launch_plan.h"
#include "psp/digest/ovmf.h"
#include "psp/digest/vcpu_types.h"
#include "psp/report/attestation_report.h"
#include "psp/snp/cert_table.h"
#include "psp/snp/guest_msg.h"
#include "sw/guest/attest_agent.h"
#include "sw/guest/kernel.h"
#include "sw/guest/sev_guest.h"
#include "sw/hv/snp_cc_blob.h"
#include "sw/hv/vm.h"
#include "sw/owner/snp_expected_measurement.h"
#include "sw/owner/snp_relying_party.h"
#include "unit/sw/hv_vm_rig.h"
#include "unit/sw/snp_attest_rig.h"

namespace cbit::sw::owner {
namespace {

namespace digest = psp::digest;
constexpr const char* kOvmf = "/usr/share/ovmf/OVMF.fd";
constexpr uint64_t kRam = 16ull << 20, kSeed = 7;

struct AttestedGuest {
  AttestedGuest()
      : host(true, "genoa", kSeed, /*snp=*/true),
        image(read_file(kOvmf, inputs::kFirmware)),
        ovmf(image, nullptr, "OVMF.fd"),
        plan(digest::plan_launch(ovmf,
                                 [] {
                                   digest::LaunchConfig c;
                                   c.mode = digest::SevMode::Snp;
                                   c.vcpu_sig = *digest::vcpu_sig_by_name("EPYC-v4");
                                   return c;
                                 }())),
        kds(hw::psp::sev::sim_kds_chip(
            kSeed, host.m.cpu_model(),
            psp::load_or_generate_rsa4096(testutil::rp_key_path("kds-ark.pem")),
            psp::load_or_generate_rsa4096(testutil::rp_key_path("kds-ask.pem")))) {
    hv::VmConfig cfg;
    cfg.mode = hv::SevMode::Snp;
    cfg.ram_bytes = kRam;
    cfg.firmware = image;
    vm = std::make_unique<hv::Vm>(host.m, host.k, &host.kvm, cfg);
    const auto r = vm->launch(nullptr, &plan);
    EXPECT_EQ(r.rc, 0) << r.step << " fw_error " << r.fw_error;
    guest::GuestKernelConfig kc;
    kc.ram_bytes = kRam;
    hv::apply_cc_blob(vm->snp_cc_blob(), kc);
    k = std::make_unique<guest::GuestKernel>(kc);
  }

  // SNP_GET_REPORT from the guest kernel's driver; the certificate table from the KDS for the
  // report's REPORTED_TCB. Runs inside a guest task.
  guest::GetReportFn report_source() {
    return [this](const attest::ReportData& rd) -> std::optional<guest::ReportResponse> {
      guest::SevGuestDevice* d = k->sev_guest();
      if (!d) return std::nullopt;
      Bytes req(guest::kSnpReportReqSize, 0);
      std::copy(rd.begin(), rd.end(), req.begin());
      Bytes resp;
      uint64_t exitinfo2 = 0;
      if (d->get_report(1, req, &resp, &exitinfo2) != 0) return std::nullopt;
      const size_t at = psp::snp::kMsgReportRspHeaderSize;
      if (resp.size() < at + psp::kReportSize || load_le<uint32_t>(resp.data()) != 0)
        return std::nullopt;
      Bytes report(resp.begin() + at, resp.begin() + at + psp::kReportSize);
      const auto parsed = psp::AttestationReport::parse(report, "report");
      const psp::TcbVersion tcb = parsed.tcb(parsed.reported_tcb);
      Bytes table = psp::snp::cert_table_build(
          {{psp::snp::cert_guid_vcek(), psp::certificate_der(kds->vcek_cert(tcb).get())},
           {psp::snp::cert_guid_ask(), psp::certificate_der(kds->ask())},
           {psp::snp::cert_guid_ark(), psp::certificate_der(kds->ark())}});
      return guest::ReportResponse{std::move(report), std::move(table)};
    };
  }

  // Runs `task` in the guest; the guest must come back to its idle HLT.
  void in_guest(guest::GuestKernel::Task task) {
    k->queue(std::move(task));
    const auto exit = vm->run(*k);
    std::string log;
    for (const auto& l : k->dmesg()) log += l + "\n";
    ASSERT_EQ(exit.code, hw::svm::exit_code::kHlt) << std::hex << exit.code << "\n" << log;
  }

  SnpRpPolicy policy(const std::array<uint8_t, 48>& measurement) const {
    SnpRpPolicy p;
    p.trusted_ark.reset(X509_dup(const_cast<X509*>(kds->ark())));
    p.expected_measurement = measurement;
    return p;
  }

  hv::test::VmHost host;
  Bytes image;
  digest::Ovmf ovmf;
  digest::LaunchPlan plan;
  std::optional<psp::SimulatedChip> kds;
  std::unique_ptr<hv::Vm> vm;
  std::unique_ptr<guest::GuestKernel> k;
};

class SnpRpEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kOvmf)) GTEST_FAIL() << kOvmf << " is missing";
  }
};

TEST_F(SnpRpEndToEnd, GuestAttestsThroughTheFirmwareAndOpensTheSecret) {
  AttestedGuest g;
  ASSERT_TRUE(g.kds.has_value());
  SnpRelyingParty rp(g.policy(expected_snp_measurement(g.plan)));
  guest::AttestAgent agent(g.report_source());
  const Bytes nonce = rp.challenge();
  std::optional<attest::SnpEvidence> evidence;
  g.in_guest([&](guest::GuestKernel&) { evidence = agent.respond(nonce); });
  ASSERT_TRUE(evidence.has_value()) << "the guest's report request failed";

  const RpVerdict v = rp.evaluate(*evidence);
  ASSERT_TRUE(v.accepted) << v.render();
  const Bytes secret = {'l', 'u', 'k', 's', '-', 'k', 'e', 'y'};
  const auto wrapped = rp.release(secret);
  ASSERT_TRUE(wrapped.has_value());
  std::optional<Bytes> opened;
  g.in_guest([&](guest::GuestKernel& k) {
    opened = agent.unwrap(*wrapped);
    if (opened)
      k.printk("attest: the relying party released " + std::to_string(opened->size()) +
               " secret bytes");
  });
  EXPECT_EQ(opened, secret);

  // Control: the same evidence again is a replay.
  EXPECT_EQ(rp.evaluate(*evidence).first_failure, "nonce");
}

TEST_F(SnpRpEndToEnd, RelyingPartyExpectingAnotherImageRefusesTheSameGuest) {
  AttestedGuest g;
  ASSERT_TRUE(g.kds.has_value());
  SnpRelyingParty rp(g.policy(testutil::image_b()));
  guest::AttestAgent agent(g.report_source());
  const Bytes nonce = rp.challenge();
  std::optional<attest::SnpEvidence> evidence;
  g.in_guest([&](guest::GuestKernel&) { evidence = agent.respond(nonce); });
  ASSERT_TRUE(evidence.has_value());
  const RpVerdict v = rp.evaluate(*evidence);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(v.first_failure, "measurement") << v.render();
  EXPECT_EQ(v.find("signature")->status, RpCheck::Status::Pass) << v.render();
  EXPECT_FALSE(rp.release(Bytes{1}).has_value());
}

}  // namespace
}  // namespace cbit::sw::owner
