// SNP_VLEK_LOAD (hw/psp/sev/commands/snp_vlek_load.cc, psp/snp/vlek.h): the KDS stand-in wraps a
// cloud provider's VLEK for this chip at its reported TCB; the firmware refuses a wrong length,
// version, TCB (BAD_SVN), chip or edit (BAD_MEASUREMENT), and once loaded signs reports with it
// (SIGNING_KEY 1) for KEY_SEL 0 and 2 while KEY_SEL 1 keeps the VCEK.
#include <gtest/gtest.h>

#include <filesystem>

#include "hw/psp/sev/sim_kds.h"
#include "psp/certs/cert_io.h"
#include "psp/report/report_signature.h"
#include "snp_msg_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

using ::cbit::psp::AttestationReport;
using ::cbit::psp::SigningKey;
using ::cbit::psp::TcbVersion;

constexpr uint64_t kSeed = 11;
constexpr uint64_t kWrapped = 0x70000;
const Bytes kCsp(48, 0xC5);  // the cloud provider's VLEK secret at AMD
const Bytes kIv(12, 0x01);
const TcbVersion kTcb{std::nullopt, 3, 0, 8, 115};  // the rig's reported TCB

std::string key_path(const char* name) {
  return (std::filesystem::path(CBIT_TEST_CACHE_DIR) / "rsa4096" / name).string();
}
::cbit::psp::SimulatedChip kds(const SnpRig& r, uint64_t seed = kSeed) {
  return std::move(*sim_kds_chip(seed, r.m.cpu_model(),
                                 ::cbit::psp::load_or_generate_rsa4096(key_path("ark.pem")),
                                 ::cbit::psp::load_or_generate_rsa4096(key_path("ask.pem"))));
}

SevStatus vlek_load(SnpMsgRig& r, const Bytes& wrapped, uint32_t len = kSnpVlekLoadLen,
                    uint8_t version = 0) {
  r.host_write(kWrapped, wrapped);
  Bytes b(kSnpVlekLoadLen, 0);
  store_le(b.data(), len);
  b[4] = version;
  store_le(b.data() + 8, kWrapped | r.c());
  return r.cmd(SevCmd::SnpVlekLoad, b);
}

AttestationReport report(SnpMsgRig& r, uint32_t key_sel, Bytes* raw = nullptr) {
  snp::MsgReportReq q;
  q.key_sel = key_sel;
  const auto a = r.get_report(q);
  EXPECT_EQ(a.status, snp::kMsgStatusSuccess);
  if (raw) *raw = a.report;
  return AttestationReport::parse(a.report, "r");
}

TEST(SnpVlek, LoadChecksInAspfwOrder) {
  SnpMsgRig r(kSeed);
  r.running_guest();
  const auto chip = kds(r);
  const Bytes good = chip.vlek_wrapped(kTcb, kCsp, kIv);
  EXPECT_EQ(vlek_load(r, good, 24), SevStatus::InvalidParam);
  EXPECT_EQ(vlek_load(r, good, kSnpVlekLoadLen, 1), SevStatus::InvalidParam);
  TcbVersion older = kTcb;
  older.snp = 7;
  EXPECT_EQ(vlek_load(r, chip.vlek_wrapped(older, kCsp, kIv)), SevStatus::BadSvn);
  EXPECT_EQ(vlek_load(r, kds(r, kSeed + 1).vlek_wrapped(kTcb, kCsp, kIv)),
            SevStatus::BadMeasurement);  // wrapped for another chip
  Bytes edited = good;
  edited[0x20] ^= 1;
  EXPECT_EQ(vlek_load(r, edited), SevStatus::BadMeasurement);
  EXPECT_EQ(r.platform_status()[8] & 4, 0);  // VLEK_EN still clear
  EXPECT_EQ(vlek_load(r, good), SevStatus::Success);
  EXPECT_EQ(r.platform_status()[8] & 4, 4);
}

TEST(SnpVlek, ReportsAreSignedWithTheVlekWhenAsked) {
  SnpMsgRig r(kSeed);
  r.running_guest();
  const auto chip = kds(r);
  ASSERT_EQ(vlek_load(r, chip.vlek_wrapped(kTcb, kCsp, kIv)), SevStatus::Success);
  const auto vlek = chip.vlek_key(kTcb, kCsp);
  const auto vcek = chip.vcek_cert(kTcb);
  Bytes raw;
  EXPECT_EQ(report(r, 0, &raw).signing_key(), SigningKey::Vlek);  // VLEK preferred when loaded
  EXPECT_TRUE(::cbit::psp::verify_report_signature(raw, vlek.get()));
  EXPECT_FALSE(::cbit::psp::verify_report_signature(raw, X509_get0_pubkey(vcek.get())));
  EXPECT_EQ(report(r, 2, &raw).signing_key(), SigningKey::Vlek);
  EXPECT_TRUE(::cbit::psp::verify_report_signature(raw, vlek.get()));
  // Control: KEY_SEL 1 still gets the VCEK.
  EXPECT_EQ(report(r, 1, &raw).signing_key(), SigningKey::Vcek);
  EXPECT_TRUE(::cbit::psp::verify_report_signature(raw, X509_get0_pubkey(vcek.get())));
  // MASK_CHIP_KEY withholds the VCEK, not the VLEK.
  Bytes cfg(kSnpConfigLen, 0);
  store_le<uint32_t>(cfg.data() + 8, 2);
  ASSERT_EQ(r.cmd(SevCmd::SnpConfig, cfg), SevStatus::Success);
  EXPECT_EQ(report(r, 0).signing_key(), SigningKey::Vlek);
  EXPECT_EQ(report(r, 1).signing_key(), SigningKey::None);
  // Another provider's VLEK does not verify it.
  EXPECT_FALSE(
      ::cbit::psp::verify_report_signature(raw, chip.vlek_key(kTcb, Bytes(48, 0xC6)).get()));
}

TEST(SnpVlek, DerivedKeysFollowTheRootKeySelection) {
  SnpMsgRig r(kSeed);
  r.running_guest();
  auto derive = [&](uint32_t key_sel) {
    snp::MsgKeyReq k;
    k.flags = key_sel << 1;
    const auto a = r.get_key(k);
    EXPECT_EQ(a.status, snp::kMsgStatusSuccess);
    return a.key;
  };
  const Bytes vcek_key = derive(0);
  ASSERT_EQ(vlek_load(r, kds(r).vlek_wrapped(kTcb, kCsp, kIv)), SevStatus::Success);
  EXPECT_EQ(derive(1), vcek_key);  // KEY_SEL 1: the VCEK as before
  EXPECT_NE(derive(0), vcek_key);  // KEY_SEL 0 now the VLEK
  EXPECT_EQ(derive(2), derive(0));
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
