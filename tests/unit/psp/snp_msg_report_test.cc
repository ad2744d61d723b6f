// MSG_REPORT_REQ (hw/psp/sev/commands/snp_msg_report.cc): every field of the report the firmware
// writes, the request's checks (each STATUS beside the request that passes), and the signature:
// the report verifies under the KDS stand-in's VCEK certificate for its REPORTED_TCB, and that
// certificate under the simulated ASK and ARK, but not under the certificate for another TCB.
#include <gtest/gtest.h>

#include <filesystem>

#include "hw/cpu_models.h"
#include "hw/psp/sev/sim_kds.h"
#include "psp/certs/chain_check.h"
#include "psp/certs/vcek_extensions.h"
#include "psp/report/report_signature.h"
#include "snp_msg_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

using ::cbit::psp::AttestationReport;
using ::cbit::psp::TcbLayout;
using ::cbit::psp::TcbVersion;

constexpr uint64_t kSeed = 11;

std::string key_path(const char* name) {
  return (std::filesystem::path(CBIT_TEST_CACHE_DIR) / "rsa4096" / name).string();
}
::cbit::psp::SimulatedChip kds(const SnpRig& r, uint64_t seed = kSeed) {
  auto chip = sim_kds_chip(seed, r.m.cpu_model(),
                           ::cbit::psp::load_or_generate_rsa4096(key_path("ark.pem")),
                           ::cbit::psp::load_or_generate_rsa4096(key_path("ask.pem")));
  EXPECT_TRUE(chip.has_value());
  return std::move(*chip);
}

snp::MsgReportReq req(uint32_t vmpl = 0, uint32_t key_sel = 0) {
  snp::MsgReportReq q;
  for (size_t i = 0; i < q.report_data.size(); ++i) q.report_data[i] = static_cast<uint8_t>(i);
  q.vmpl = vmpl;
  q.key_sel = key_sel;
  return q;
}

AttestationReport get(SnpMsgRig& r, const snp::MsgReportReq& q = req(), uint8_t vmpck = 0) {
  const auto a = r.get_report(q, vmpck);
  EXPECT_EQ(a.mailbox, SevStatus::Success);
  EXPECT_EQ(a.status, snp::kMsgStatusSuccess);
  return AttestationReport::parse(a.report, "report");
}

TEST(SnpMsgReport, FieldsOfAMilanGuestWithoutIdBlock) {
  SnpMsgRig r;
  r.running_guest();
  const AttestationReport rep = get(r, req(2), 1);
  EXPECT_EQ(rep.version, 3u);
  EXPECT_EQ(rep.guest_svn, 0u);
  EXPECT_EQ(rep.policy, kSnpPolicyQemuDefault);
  EXPECT_EQ(rep.family_id, (std::array<uint8_t, 16>{}));
  EXPECT_EQ(rep.vmpl, 2u);
  EXPECT_EQ(rep.signature_algo, 1u);
  EXPECT_EQ(rep.report_data, req().report_data);
  EXPECT_EQ(rep.measurement, *r.fw().snp_launch_digest(kGctx));
  EXPECT_EQ(rep.host_data, (std::array<uint8_t, 32>{}));
  EXPECT_EQ(rep.id_key_digest, (std::array<uint8_t, 48>{}));
  EXPECT_NE(rep.report_id, (std::array<uint8_t, 32>{}));
  std::array<uint8_t, 32> ff;
  ff.fill(0xFF);
  EXPECT_EQ(rep.report_id_ma, ff);  // no migration agent
  const hw::CpuModel& cpu = r.m.cpu_model();
  EXPECT_EQ(rep.cpuid_fam_id, cpu.family);
  EXPECT_EQ(rep.cpuid_mod_id, cpu.model);
  EXPECT_EQ(rep.cpuid_step, cpu.stepping);
  // SnpTcbConfig's defaults: bl 3, tee 0, snp 8, ucode 115, committed = current = reported.
  const TcbVersion tcb{std::nullopt, 3, 0, 8, 115};
  EXPECT_EQ(rep.tcb(rep.current_tcb), tcb);
  EXPECT_EQ(rep.tcb(rep.reported_tcb), tcb);
  EXPECT_EQ(rep.tcb(rep.committed_tcb), tcb);
  EXPECT_EQ(rep.tcb(rep.launch_tcb), tcb);
  EXPECT_EQ(rep.current_major, 1);
  EXPECT_EQ(rep.current_minor, r.fw().config().api_minor);
  EXPECT_EQ(rep.current_build, r.fw().config().build);
  EXPECT_EQ(rep.committed_build, rep.current_build);
  // PLATFORM_INFO: SMT on, no TSME, no RAPL_DIS / ciphertext hiding (plain SNP_INIT).
  EXPECT_EQ(rep.platform_info & 0x1F, 1u);
  EXPECT_FALSE(rep.author_key_en());
  EXPECT_FALSE(rep.mask_chip_key());
  EXPECT_EQ(rep.signing_key(), ::cbit::psp::SigningKey::Vcek);
  // CHIP_ID: what GET_ID returns.
  Bytes id_buf(12, 0);
  store_le(id_buf.data(), kStatus | r.c());
  store_le<uint32_t>(id_buf.data() + 8, 64);
  ASSERT_EQ(r.cmd(SevCmd::GetId, id_buf), SevStatus::Success);
  const Bytes id = r.host_read(kStatus, 64);
  EXPECT_EQ(Bytes(rep.chip_id.begin(), rep.chip_id.end()), id);
  EXPECT_NE(id, Bytes(64, 0));
  // Bytes after the signature are zero (go-sev-guest refuses others).
  const auto a = r.get_report(req());
  EXPECT_EQ(Bytes(a.report.begin() + 0x330, a.report.end()), Bytes(0x4A0 - 0x330, 0));
}

TEST(SnpMsgReport, IdBlockFieldsAndAuthorKey) {
  SnpMsgRig r;
  r.running_guest_with_id(7, true);
  const AttestationReport rep = get(r);
  EXPECT_EQ(rep.guest_svn, 7u);
  std::array<uint8_t, 16> fam, img;
  fam.fill(0x11);
  img.fill(0x22);
  EXPECT_EQ(rep.family_id, fam);
  EXPECT_EQ(rep.image_id, img);
  std::array<uint8_t, 32> hd;
  hd.fill(0x33);
  EXPECT_EQ(rep.host_data, hd);
  EXPECT_TRUE(rep.author_key_en());
  EXPECT_NE(rep.id_key_digest, (std::array<uint8_t, 48>{}));
  EXPECT_NE(rep.author_key_digest, (std::array<uint8_t, 48>{}));
  EXPECT_NE(rep.id_key_digest, rep.author_key_digest);
}

TEST(SnpMsgReport, VmplBelowTheMessageKeyIsRefused) {
  SnpMsgRig r;
  r.running_guest();
  // VMPCK2 asking for a VMPL1 report: INVALID_PARAM in a response that authenticates.
  auto a = r.get_report(req(1), 2);
  EXPECT_EQ(a.mailbox, SevStatus::Success);
  EXPECT_EQ(a.status, snp::kMsgStatusInvalidParam);
  EXPECT_EQ(a.report, Bytes(::cbit::psp::kReportSize, 0));
  // Control: the same key asking for its own VMPL, and for a less privileged one.
  EXPECT_EQ(get(r, req(2), 2).vmpl, 2u);
  EXPECT_EQ(get(r, req(3), 2).vmpl, 3u);
}

TEST(SnpMsgReport, ReservedFieldsAndKeySelection) {
  SnpMsgRig r;
  r.running_guest();
  snp::MsgReportReq q = req();
  q.key_sel = 1u << 2;  // reserved bits of the dword
  EXPECT_EQ(r.get_report(q).status, snp::kMsgStatusInvalidParam);
  EXPECT_EQ(r.get_report(req(0, 3)).status, snp::kMsgStatusInvalidKey);  // reserved KEY_SEL
  EXPECT_EQ(r.get_report(req(0, 2)).status, snp::kMsgStatusInvalidKey);  // no VLEK loaded
  // Reserved bytes 0x48..0x5F of the request.
  Bytes raw = req().serialize();
  raw[0x50] = 1;
  const auto m = r.request(r.seal(snp::SnpMsgType::ReportReq, raw, r.next_seqno(0)));
  ASSERT_EQ(m, SevStatus::Success);
  r.bump(0);
  EXPECT_EQ(load_le<uint32_t>(r.open_response(0)->data()), snp::kMsgStatusInvalidParam);
  // Control: KEY_SEL 0 (VCEK, no VLEK loaded) and 1 (VCEK only) both sign with the VCEK.
  EXPECT_EQ(get(r, req(0, 0)).signing_key(), ::cbit::psp::SigningKey::Vcek);
  EXPECT_EQ(get(r, req(0, 1)).signing_key(), ::cbit::psp::SigningKey::Vcek);
}

TEST(SnpMsgReport, VcekDisabledGuestGetsInvalidKey) {
  SnpMsgRig r;
  r.running_guest(kSnpPolicyQemuDefault, SnpRig::finish_buf(4));  // VCEK_DISABLED
  EXPECT_EQ(r.get_report(req(0, 0)).status, snp::kMsgStatusInvalidKey);
  EXPECT_EQ(r.get_report(req(0, 1)).status, snp::kMsgStatusInvalidKey);
}

Bytes config_buf(uint64_t tcb, bool mask_id, bool mask_key) {
  Bytes b(kSnpConfigLen, 0);
  store_le(b.data(), tcb);
  store_le<uint32_t>(b.data() + 8, (mask_id ? 1u : 0u) | (mask_key ? 2u : 0u));
  return b;
}

TEST(SnpMsgReport, MaskChipIdAndMaskChipKey) {
  SnpMsgRig r;
  r.running_guest();
  ASSERT_EQ(r.cmd(SevCmd::SnpConfig, config_buf(0, true, false)), SevStatus::Success);
  const auto masked = r.get_report(req());
  AttestationReport rep = AttestationReport::parse(masked.report, "r");
  EXPECT_EQ(rep.chip_id, (std::array<uint8_t, 64>{}));
  EXPECT_EQ(rep.signing_key(), ::cbit::psp::SigningKey::Vcek);  // still signed
  EXPECT_NE(rep.signature_r, (std::array<uint8_t, 72>{}));

  ASSERT_EQ(r.cmd(SevCmd::SnpConfig, config_buf(0, false, true)), SevStatus::Success);
  rep = get(r);
  EXPECT_NE(rep.chip_id, (std::array<uint8_t, 64>{}));  // control: the id is back
  EXPECT_TRUE(rep.mask_chip_key());
  EXPECT_EQ(rep.signing_key(), ::cbit::psp::SigningKey::None);
  EXPECT_EQ(rep.signature_r, (std::array<uint8_t, 72>{}));
  EXPECT_EQ(rep.signature_s, (std::array<uint8_t, 72>{}));
}

TEST(SnpMsgReport, PlatformInfoFollowsThePlatform) {
  SnpMsgRig r;
  r.running_guest();
  EXPECT_EQ(get(r).platform_info & 1, 1u);  // SMT_EN
  // The same firmware on a platform booted without SMT (the MSRs only matter to SNP_INIT).
  SnpTcbConfig t;
  t.smt_enabled = false;
  r.fw().attach_snp({&r.m.rmp(), nullptr, &r.m.cpu_model()}, t);
  EXPECT_EQ(get(r).platform_info & 1, 0u);
}

TEST(SnpMsgReport, SignedByTheVcekTheKdsCertifiesForReportedTcb) {
  SnpMsgRig r(kSeed);
  r.running_guest();
  const auto a = r.get_report(req());
  ASSERT_EQ(a.status, snp::kMsgStatusSuccess);
  const AttestationReport rep = AttestationReport::parse(a.report, "r");
  const auto chip = kds(r);
  const TcbVersion reported = rep.tcb(rep.reported_tcb);
  const auto cert = chip.vcek_cert(reported);
  std::string why;
  EXPECT_TRUE(::cbit::psp::verify_report_signature(a.report, X509_get0_pubkey(cert.get()), &why))
      << why;
  EXPECT_TRUE(::cbit::psp::cert_signed_by(cert.get(), chip.ask()));
  EXPECT_TRUE(::cbit::psp::cert_signed_by(chip.ask(), chip.ark()));
  EXPECT_FALSE(::cbit::psp::path_validation_problem(chip.ark(), chip.ask(), cert.get()));
  EXPECT_EQ(Bytes(rep.chip_id.begin(), rep.chip_id.end()),
            Bytes(chip.chip_id().begin(), chip.chip_id().end()));
  // Controls: the certificate for another TCB, and the same TCB of another chip.
  TcbVersion other = reported;
  other.snp = static_cast<uint8_t>(other.snp - 1);
  EXPECT_FALSE(::cbit::psp::verify_report_signature(a.report,
                                                    X509_get0_pubkey(chip.vcek_cert(other).get())));
  const auto stranger = kds(r, kSeed + 1);
  EXPECT_FALSE(::cbit::psp::verify_report_signature(
      a.report, X509_get0_pubkey(stranger.vcek_cert(reported).get())));
  // An unseeded machine's chip is unknown to the KDS.
  EXPECT_FALSE(sim_kds_chip(std::nullopt, r.m.cpu_model(), nullptr, nullptr).has_value());
}

TEST(SnpMsgReport, SnpConfigOlderTcbChangesTheVcek) {
  SnpMsgRig r(kSeed);
  r.running_guest();
  const auto before = r.get_report(req());
  TcbVersion older{std::nullopt, 3, 0, 7, 115};
  ASSERT_EQ(r.cmd(SevCmd::SnpConfig, config_buf(older.encode(TcbLayout::MilanGenoa), false, false)),
            SevStatus::Success);
  const auto after = r.get_report(req());
  const AttestationReport rep = AttestationReport::parse(after.report, "r");
  EXPECT_EQ(rep.tcb(rep.reported_tcb), older);
  EXPECT_EQ(rep.tcb(rep.committed_tcb).snp, 8);  // the others stay
  EXPECT_EQ(rep.tcb(rep.current_tcb).snp, 8);
  const auto chip = kds(r);
  EXPECT_TRUE(::cbit::psp::verify_report_signature(after.report,
                                                   X509_get0_pubkey(chip.vcek_cert(older).get())));
  EXPECT_FALSE(::cbit::psp::verify_report_signature(before.report,
                                                    X509_get0_pubkey(chip.vcek_cert(older).get())));
  // A newer TCB cannot be reported (SNP_CONFIG refuses it).
  TcbVersion newer{std::nullopt, 3, 0, 9, 115};
  EXPECT_EQ(r.cmd(SevCmd::SnpConfig, config_buf(newer.encode(TcbLayout::MilanGenoa), false, false)),
            SevStatus::InvalidParam);
}

TEST(SnpMsgReport, TurinVersion5WithFmcAndEightByteChipId) {
  SnpMsgRig r(kSeed, "turin");
  r.running_guest();
  const auto a = r.get_report(req());
  ASSERT_EQ(a.status, snp::kMsgStatusSuccess);
  const AttestationReport rep = AttestationReport::parse(a.report, "r");
  EXPECT_EQ(rep.version, 5u);
  EXPECT_EQ(rep.cpuid_fam_id, 0x1A);
  EXPECT_EQ(rep.tcb_layout(), TcbLayout::Turin);
  EXPECT_EQ(rep.tcb(rep.reported_tcb).fmc, std::optional<uint8_t>(1));
  EXPECT_NE(Bytes(rep.chip_id.begin(), rep.chip_id.begin() + 8), Bytes(8, 0));
  EXPECT_EQ(Bytes(rep.chip_id.begin() + 8, rep.chip_id.end()), Bytes(56, 0));
  EXPECT_EQ(rep.launch_mit_vector, 0u);
  const auto chip = kds(r);
  const auto cert = chip.vcek_cert(rep.tcb(rep.reported_tcb));
  EXPECT_TRUE(::cbit::psp::verify_report_signature(a.report, X509_get0_pubkey(cert.get())));
  EXPECT_EQ(::cbit::psp::read_vcek_extensions(cert.get(), "vcek").hwid,
            Bytes(rep.chip_id.begin(), rep.chip_id.begin() + 8));
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
