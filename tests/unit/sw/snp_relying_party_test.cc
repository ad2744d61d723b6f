// The SNP relying party (sw/owner/snp_relying_party.h): each check refuses its bad case and
// passes its control, the nonce is single use, and the wrapped secret opens only for the key
// and the report it was wrapped to. Reports come from tests/unit/sw/snp_attest_rig.h, which
// fills them as the firmware does and signs them with the simulated chip's VCEK.
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/file.h"
#include "psp/certs/chain_check.h"
#include "sw/attest/report_binding.h"
#include "sw/attest/secret_wrap.h"
#include "tools/measure/measure.h"
#include "unit/sw/snp_attest_rig.h"

namespace cbit::sw::owner {
namespace {

using attest::SnpEvidence;
using guest::AttestAgent;
using testutil::report_source;
using testutil::rp_policy;
using testutil::SimGuest;

const Bytes kSecret = {'d', 'i', 's', 'k', '-', 'k', 'e', 'y'};

SnpEvidence answer(SnpRelyingParty& rp, AttestAgent& agent) {
  auto ev = agent.respond(rp.challenge());
  EXPECT_TRUE(ev.has_value());
  return ev.value_or(SnpEvidence{});
}

// Evaluates the evidence of guest `g` under `policy`; returns the verdict.
RpVerdict verdict_for(const SimGuest& g, SnpRpPolicy policy = rp_policy()) {
  SnpRelyingParty rp(std::move(policy));
  AttestAgent agent(report_source(g));
  return rp.evaluate(answer(rp, agent));
}

void expect_refused_at(const RpVerdict& v, const std::string& check) {
  EXPECT_FALSE(v.accepted) << v.render();
  EXPECT_EQ(v.first_failure, check) << v.render();
  const RpCheck* c = v.find(check);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, RpCheck::Status::Fail);
}

TEST(SnpRelyingParty, ExpectedGuestPassesEveryCheckAndOpensTheSecret) {
  SnpRelyingParty rp(rp_policy());
  AttestAgent agent(report_source({}));
  const RpVerdict v = rp.evaluate(answer(rp, agent));
  ASSERT_TRUE(v.accepted) << v.render();
  for (const char* name :
       {"format", "signing-key", "certificates", "root", "chain", "signature", "vcek-binding",
        "report-data", "nonce", "tcb", "policy", "measurement", "vmpl"}) {
    const RpCheck* c = v.find(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->status, RpCheck::Status::Pass) << name << ": " << c->detail;
  }
  auto w = rp.release(kSecret);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(agent.unwrap(*w), kSecret);
  EXPECT_FALSE(rp.release(kSecret).has_value()) << "one release per accepted evidence";
}

TEST(SnpRelyingParty, PolicyWithoutRootOrMeasurementIsRefused) {
  SnpRpPolicy no_root = rp_policy();
  no_root.trusted_ark.reset();
  EXPECT_THROW(SnpRelyingParty{std::move(no_root)}, InputError);
  SnpRpPolicy no_measurement = rp_policy();
  no_measurement.expected_measurement.reset();
  EXPECT_THROW(SnpRelyingParty{std::move(no_measurement)}, InputError);
  EXPECT_NO_THROW(SnpRelyingParty{rp_policy()});
}

TEST(SnpRelyingParty, RefusedEvidenceReleasesNothing) {
  SnpRelyingParty rp(rp_policy());
  SimGuest g;
  g.measurement = testutil::image_b();
  AttestAgent agent(report_source(g));
  EXPECT_FALSE(rp.evaluate(answer(rp, agent)).accepted);
  EXPECT_FALSE(rp.release(kSecret).has_value());
}

TEST(SnpRelyingParty, MalformedReportIsAFormatFailureNotACrash) {
  SnpRelyingParty rp(rp_policy());
  AttestAgent agent(report_source({}));
  SnpEvidence ev = answer(rp, agent);
  ev.report.resize(0x100);
  const RpVerdict v = rp.evaluate(ev);
  expect_refused_at(v, "format");
  EXPECT_EQ(v.find("measurement")->status, RpCheck::Status::Skip);
  // Version 1 is not an SNP report.
  SnpEvidence ev2 = answer(rp, agent);
  ev2.report[0] = 1;
  expect_refused_at(rp.evaluate(ev2), "format");
}

TEST(SnpRelyingParty, HostileCertificateTablesAreRefusedByName) {
  SnpRelyingParty rp(rp_policy());
  AttestAgent agent(report_source({}));
  SnpEvidence ev = answer(rp, agent);
  ev.cert_table.clear();  // no terminator
  expect_refused_at(rp.evaluate(ev), "certificates");

  SnpEvidence ev2 = answer(rp, agent);
  store_le<uint32_t>(ev2.cert_table.data() + 20, 0xFFFFFFF0u);  // VCEK length past the blob
  expect_refused_at(rp.evaluate(ev2), "certificates");

  SnpEvidence ev3 = answer(rp, agent);
  store_le<uint32_t>(ev3.cert_table.data() + 16, 0);  // VCEK offset inside the header
  expect_refused_at(rp.evaluate(ev3), "certificates");

  SnpEvidence ev4 = answer(rp, agent);  // the ASK entry missing
  auto t = testutil::entries_of(ev4.cert_table);
  t.erase(t.begin() + 1);
  ev4.cert_table = psp::snp::cert_table_build(t);
  expect_refused_at(rp.evaluate(ev4), "certificates");

  SnpEvidence control = answer(rp, agent);
  EXPECT_TRUE(rp.evaluate(control).accepted);
}

TEST(SnpRelyingParty, UnsignedOrUnacceptedSigningKeyIsRefused) {
  SimGuest unsigned_report;
  unsigned_report.key_info = 7u << 2;  // SIGNING_KEY = none (MASK_CHIP_KEY)
  expect_refused_at(verdict_for(unsigned_report), "signing-key");
  SimGuest vlek;
  vlek.key_info = 1u << 2;  // says VLEK, which this policy does not accept
  expect_refused_at(verdict_for(vlek), "signing-key");
  EXPECT_TRUE(verdict_for({}).accepted);
}

// A VLEK-signed report (SIGNING_KEY 1) with the VLEK under its GUID: accepted only when the
// policy accepts VLEKs. (The simulated "VLEK" is a certificate with CSP_ID and no hwID around a
// chip key; the relying party cannot and need not tell how the key was provisioned.)
TEST(SnpRelyingParty, VlekOnlyWhenThePolicyAcceptsIt) {
  const psp::SimulatedChip& chip = testutil::rp_chip();
  SimGuest g;
  g.key_info = 1u << 2;
  psp::VcekExtensions ext = psp::vcek_extensions_for(chip.product(), g.tcb, {});
  ext.hwid.reset();
  ext.csp_id = "cbit-test-csp";
  const Bytes table = psp::snp::cert_table_build(
      {{psp::snp::cert_guid_vlek(), psp::certificate_der(chip.vcek_cert(g.tcb, ext).get())},
       {psp::snp::cert_guid_ask(), psp::certificate_der(chip.ask())}});
  auto source = [g, table](const attest::ReportData& rd) -> std::optional<guest::ReportResponse> {
    return guest::ReportResponse{testutil::firmware_report(g, rd), table};
  };
  SnpRpPolicy vcek_only = rp_policy();
  SnpRelyingParty strict(std::move(vcek_only));
  AttestAgent agent(source);
  expect_refused_at(strict.evaluate(answer(strict, agent)), "signing-key");

  SnpRpPolicy with_vlek = rp_policy();
  with_vlek.accept_vlek = true;
  SnpRelyingParty lax(std::move(with_vlek));
  const RpVerdict v = lax.evaluate(answer(lax, agent));
  EXPECT_TRUE(v.accepted) << v.render();
  EXPECT_NE(v.find("signature")->detail.find("VLEK"), std::string::npos)
      << v.find("signature")->detail;
}

TEST(SnpRelyingParty, AnArkFromTheEvidenceIsNeverTrusted) {
  // Another chip's root and ASK (its own RSA keys) around this chip's VCEK.
  const psp::ChipProduct& milan = psp::chip_product("milan");
  psp::PkeyPtr rogue_key = psp::load_or_generate_rsa4096(testutil::rp_key_path("rogue-ark.pem"));
  psp::X509Ptr rogue_ark = psp::make_ark_cert(rogue_key.get(), milan);
  SnpRelyingParty rp(rp_policy());
  AttestAgent agent(report_source({}));
  SnpEvidence ev = answer(rp, agent);
  auto t = testutil::entries_of(ev.cert_table);
  t[2].data = psp::certificate_der(rogue_ark.get());
  ev.cert_table = psp::snp::cert_table_build(t);
  const RpVerdict v = rp.evaluate(ev);
  expect_refused_at(v, "root");

  // An ASK signed by the rogue root, without any ARK in the table: the chain fails.
  psp::X509Ptr rogue_ask =
      psp::make_ask_cert(rogue_key.get(), rogue_ark.get(), rogue_key.get(), milan);
  SimGuest no_ark;
  no_ark.with_ark = false;
  AttestAgent agent2(report_source(no_ark));
  SnpEvidence ev2 = answer(rp, agent2);
  auto t2 = testutil::entries_of(ev2.cert_table);
  ASSERT_EQ(t2.size(), 2u);
  t2[1].data = psp::certificate_der(rogue_ask.get());
  ev2.cert_table = psp::snp::cert_table_build(t2);
  expect_refused_at(rp.evaluate(ev2), "chain");

  // Control: the table without an ARK is fine when the chain reaches the trusted one.
  SnpEvidence ok = answer(rp, agent2);
  const RpVerdict vok = rp.evaluate(ok);
  EXPECT_TRUE(vok.accepted) << vok.render();
}

TEST(SnpRelyingParty, ChangedReportByteFailsTheSignature) {
  SnpRelyingParty rp(rp_policy());
  AttestAgent agent(report_source({}));
  SnpEvidence ev = answer(rp, agent);
  ev.report[0xC0] ^= 1;  // HOST_DATA: signed, checked by nothing else
  expect_refused_at(rp.evaluate(ev), "signature");
}

TEST(SnpRelyingParty, EveryOneBitEditOfTheReportIsRefused) {
  SnpRelyingParty rp(rp_policy());
  AttestAgent agent(report_source({}));
  int edits = 0;
  for (size_t off = 0; off < psp::kReportSize; off += 11) {
    SnpEvidence ev = answer(rp, agent);  // fresh nonce: the edit is the only thing wrong
    ev.report[off] ^= 0x10;
    const RpVerdict v = rp.evaluate(ev);
    EXPECT_FALSE(v.accepted) << "offset " << off;
    ++edits;
  }
  EXPECT_GT(edits, 100);
  EXPECT_TRUE(rp.evaluate(answer(rp, agent)).accepted);  // control: unedited
}

TEST(SnpRelyingParty, VcekForAnotherTcbOrChipFailsTheBinding) {
  const psp::SimulatedChip& chip = testutil::rp_chip();
  SnpRelyingParty rp(rp_policy());
  AttestAgent agent(report_source({}));
  for (int which = 0; which < 2; ++which) {
    SnpEvidence ev = answer(rp, agent);
    psp::TcbVersion claimed = testutil::current_tcb();
    Bytes hwid(chip.chip_id().begin(), chip.chip_id().end());
    if (which == 0)
      claimed.snp = 15;  // the right key, extensions for another TCB
    else
      hwid[3] ^= 0xFF;  // the right key, extensions for another chip
    auto t = testutil::entries_of(ev.cert_table);
    t[0].data =
        psp::certificate_der(chip.vcek_cert(testutil::current_tcb(),
                                            psp::vcek_extensions_for(chip.product(), claimed, hwid))
                                 .get());
    ev.cert_table = psp::snp::cert_table_build(t);
    expect_refused_at(rp.evaluate(ev), "vcek-binding");
  }
}

TEST(SnpRelyingParty, ReportDataMustBindTheNonceAndTheKey) {
  SnpRelyingParty rp(rp_policy());
  AttestAgent agent(report_source({}));
  SnpEvidence ev = answer(rp, agent);
  psp::PkeyPtr other = attest::generate_p384_key();
  ev.guest_public_key = attest::spki_der(other.get());
  expect_refused_at(rp.evaluate(ev), "report-data");

  SnpEvidence garbage = answer(rp, agent);
  garbage.guest_public_key = {0x30, 0x03, 0x02, 0x01, 0x00};
  expect_refused_at(rp.evaluate(garbage), "report-data");

  // A P-256 key is not accepted even when REPORT_DATA binds it.
  psp::PkeyPtr p256(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  const Bytes p256_spki = attest::spki_der(p256.get());
  const Bytes nonce = rp.challenge();
  SnpEvidence weak{nonce, p256_spki,
                   testutil::firmware_report({}, attest::report_data_for(nonce, p256_spki)),
                   testutil::host_cert_table(testutil::current_tcb())};
  expect_refused_at(rp.evaluate(weak), "report-data");

  EXPECT_EQ(attest::report_data_for(ev.nonce, ev.guest_public_key).size(), 64u);
  EXPECT_TRUE(rp.evaluate(answer(rp, agent)).accepted);
}

TEST(SnpRelyingParty, NonceIsSingleUseIssuedAndExpires) {
  auto now = std::chrono::steady_clock::time_point{};
  SnpRpPolicy p = rp_policy();
  p.nonce_lifetime = std::chrono::seconds(60);
  SnpRelyingParty rp(std::move(p), [&] { return now; });
  AttestAgent agent(report_source({}));

  const SnpEvidence ev = answer(rp, agent);
  EXPECT_TRUE(rp.evaluate(ev).accepted);
  const RpVerdict again = rp.evaluate(ev);
  expect_refused_at(again, "nonce");
  EXPECT_NE(again.reason.find("already used"), std::string::npos) << again.reason;

  // A nonce this relying party never issued, with a report that binds it correctly.
  const Bytes made_up(32, 0x42);
  auto own = agent.respond(made_up);
  ASSERT_TRUE(own);
  const RpVerdict unknown = rp.evaluate(*own);
  expect_refused_at(unknown, "nonce");
  EXPECT_NE(unknown.reason.find("never issued"), std::string::npos) << unknown.reason;

  // Expired: answered 61 s after the challenge. Control: 59 s.
  const SnpEvidence late = answer(rp, agent);
  now += std::chrono::seconds(61);
  const RpVerdict expired = rp.evaluate(late);
  expect_refused_at(expired, "nonce");
  EXPECT_NE(expired.reason.find("expired"), std::string::npos) << expired.reason;
  const SnpEvidence in_time = answer(rp, agent);
  now += std::chrono::seconds(59);
  EXPECT_TRUE(rp.evaluate(in_time).accepted);

  // Fresh nonces differ.
  EXPECT_NE(rp.challenge(), rp.challenge());
}

TEST(SnpRelyingParty, TcbBelowTheMinimumIsRefused) {
  SimGuest old;
  old.tcb = testutil::old_tcb();  // genuine: the VCEK for that TCB signs, its cert matches
  const RpVerdict v = verdict_for(old);
  expect_refused_at(v, "tcb");
  EXPECT_NE(v.reason.find("snp 8 < 14"), std::string::npos) << v.reason;
  EXPECT_EQ(v.find("signature")->status, RpCheck::Status::Pass);
  // Control: a relying party whose minimum is that TCB accepts the same platform.
  SnpRpPolicy lax = rp_policy();
  lax.min_tcb = testutil::old_tcb();
  EXPECT_TRUE(verdict_for(old, std::move(lax)).accepted);
}

TEST(SnpRelyingParty, PolicyBitsAreCheckedAsConfigured) {
  struct Case {
    uint64_t policy;
    const char* what;
    const char* first;  // reserved bits are refused by the verifier's format rules first
  };
  const Case bad[] = {{0x30000 | snp_policy::kDebug, "DEBUG", "policy"},
                      {0x30000 | snp_policy::kMigrateMa, "MIGRATE_MA", "policy"},
                      {0x10000, "bit 17", "format"},
                      {0x30000 | (1ull << 40), "reserved", "format"}};
  for (const Case& c : bad) {
    SimGuest g;
    g.policy = c.policy;
    const RpVerdict v = verdict_for(g);
    expect_refused_at(v, c.first);
    EXPECT_NE(v.reason.find(c.what), std::string::npos) << v.reason;
    EXPECT_EQ(v.find("policy")->status, RpCheck::Status::Fail) << c.what;
  }
  SimGuest debug;
  debug.policy = 0x30000 | snp_policy::kDebug;
  SnpRpPolicy allow_debug = rp_policy();
  allow_debug.allow_debug = true;
  EXPECT_TRUE(verdict_for(debug, std::move(allow_debug)).accepted);

  SnpRpPolicy no_smt = rp_policy();
  no_smt.allow_smt = false;
  expect_refused_at(verdict_for({}, std::move(no_smt)), "policy");
  SimGuest smt_off;
  smt_off.policy = 0x20000;
  SnpRpPolicy no_smt2 = rp_policy();
  no_smt2.allow_smt = false;
  EXPECT_TRUE(verdict_for(smt_off, std::move(no_smt2)).accepted);

  SnpRpPolicy abi = rp_policy();
  abi.min_abi_major = 1;
  abi.min_abi_minor = 51;
  expect_refused_at(verdict_for({}, std::move(abi)), "policy");
  SimGuest new_abi;
  new_abi.policy = 0x30000 | (1u << 8) | 55;
  SnpRpPolicy abi2 = rp_policy();
  abi2.min_abi_major = 1;
  abi2.min_abi_minor = 51;
  EXPECT_TRUE(verdict_for(new_abi, std::move(abi2)).accepted);

  SnpRpPolicy single = rp_policy();
  single.require_single_socket = true;
  expect_refused_at(verdict_for({}, std::move(single)), "policy");
}

TEST(SnpRelyingParty, MeasurementMustBeTheExpectedImage) {
  SimGuest other;
  other.measurement = testutil::image_b();
  expect_refused_at(verdict_for(other), "measurement");
  SnpRpPolicy expects_b = rp_policy();
  expects_b.expected_measurement = testutil::image_b();
  EXPECT_TRUE(verdict_for(other, std::move(expects_b)).accepted);
}

TEST(SnpRelyingParty, VmplMustBeAllowed) {
  SimGuest vmpl1;
  vmpl1.vmpl = 1;
  expect_refused_at(verdict_for(vmpl1), "vmpl");
  SnpRpPolicy allow1 = rp_policy();
  allow1.allowed_vmpls = {0, 1};
  EXPECT_TRUE(verdict_for(vmpl1, std::move(allow1)).accepted);
  SimGuest host;
  host.vmpl = kHostRequestedVmpl;
  SnpRpPolicy any = rp_policy();
  any.allowed_vmpls = {0, 1, 2, 3, kHostRequestedVmpl};
  const RpVerdict v = verdict_for(host, std::move(any));
  expect_refused_at(v, "format");  // the verifier flags a host-requested report first
  EXPECT_EQ(v.find("vmpl")->status, RpCheck::Status::Fail);
}

TEST(SnpRelyingParty, VerdictNamesEveryCheckInJson) {
  SimGuest other;
  other.measurement = testutil::image_b();
  const RpVerdict v = verdict_for(other);
  const auto j = v.to_json();
  EXPECT_FALSE(j["accepted"].get<bool>());
  EXPECT_EQ(j["first_failure"], "measurement");
  EXPECT_EQ(j["checks"].size(), v.checks.size());
  EXPECT_NE(v.render().find("REFUSED at 'measurement'"), std::string::npos);
}

TEST(SnpExpectedMeasurement, EqualsCbitMeasure) {
  testutil::SynthFirmware fw;
  fw.sections = testutil::standard_sections();
  const psp::digest::Ovmf ovmf(testutil::build_firmware(fw), "fw");
  for (uint64_t vcpus : {1, 4}) {
    psp::digest::LaunchConfig cfg;
    cfg.vcpus = vcpus;
    cfg.vcpu_sig = 0xA00F11;
    const auto plan = psp::digest::plan_launch(ovmf, cfg);
    const auto ours = expected_snp_measurement(plan);
    EXPECT_EQ(Bytes(ours.begin(), ours.end()), tools::measure::measure(plan, false).digest);
  }
  EXPECT_NE(testutil::image_a(), testutil::image_b());
}

}  // namespace
}  // namespace cbit::sw::owner

namespace cbit::sw::owner {
namespace {

// A real Milan report and its AMD chain (tests/data/report/NOTICE names the source): an RP that
// trusts the simulated ARK refuses AMD's root (the verifier pins it, the RP does not trust it);
// an RP that trusts AMD's Milan ARK passes every authenticity check on the same bytes.
TEST(SnpRelyingParty, RealAmdChainCountsOnlyUnderItsOwnRoot) {
  const std::string dir = std::string(CBIT_SOURCE_DIR) + "/tests/data/report/virtee-sev-milan/";
  const Bytes report = read_file(dir + "report.bin", inputs::kReport);
  psp::X509Ptr vcek = psp::load_certificate(dir + "vcek.der");
  psp::X509Ptr ask = psp::load_certificate(dir + "ask.pem");
  psp::X509Ptr ark = psp::load_certificate(dir + "ark.pem");
  const Bytes table =
      psp::snp::cert_table_build({{psp::snp::cert_guid_vcek(), psp::certificate_der(vcek.get())},
                                  {psp::snp::cert_guid_ask(), psp::certificate_der(ask.get())},
                                  {psp::snp::cert_guid_ark(), psp::certificate_der(ark.get())}});
  const auto parsed = psp::AttestationReport::parse(report, "real");

  auto evaluate_under = [&](const X509* root) {
    SnpRpPolicy p = rp_policy();
    p.trusted_ark.reset(X509_dup(const_cast<X509*>(root)));
    p.expected_measurement = parsed.measurement;
    p.min_tcb = {};
    SnpRelyingParty rp(std::move(p));
    psp::PkeyPtr k = attest::generate_p384_key();
    return rp.evaluate({rp.challenge(), attest::spki_der(k.get()), report, table});
  };
  const RpVerdict sim_root = evaluate_under(testutil::rp_chip().ark());
  EXPECT_EQ(sim_root.find("root")->status, RpCheck::Status::Fail) << sim_root.render();
  EXPECT_FALSE(sim_root.accepted);

  const RpVerdict amd_root = evaluate_under(ark.get());
  for (const char* c : {"root", "chain", "signature", "vcek-binding"})
    EXPECT_EQ(amd_root.find(c)->status, RpCheck::Status::Pass) << c << "\n" << amd_root.render();
  // Its REPORT_DATA was made for someone else's nonce: still refused.
  EXPECT_EQ(amd_root.find("report-data")->status, RpCheck::Status::Fail);
}

}  // namespace
}  // namespace cbit::sw::owner
