// Keys never leave the Secure Processor: after a seeded SNP launch, a report and a derived key,
// none of the firmware's secrets (VMPCK0-3, the VMRK, the chip secret, the VCEK hashstick, the
// VCEK's private scalar) nor the derived key appears anywhere in memory as the host or a raw
// DRAM read sees it. The test re-derives each from the seed and the labels the firmware draws
// them under (and the KDS stand-in's derivation); the control finds VMPCK0 where it belongs, in
// the guest's own view of its secrets page. The firmware writes no log; its only observer hook
// (PspCommandObserver) carries a command id, an address and a status.
#include <gtest/gtest.h>
#include <openssl/core_names.h>

#include <filesystem>

#include "crypto/drbg.h"
#include "hw/psp/sev/sim_kds.h"
#include "psp/report/tcb_version.h"
#include "psp/snp/vcek.h"
#include "snp_msg_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

constexpr uint64_t kSeed = 4711;

std::string key_path(const char* name) {
  return (std::filesystem::path(CBIT_TEST_CACHE_DIR) / "rsa4096" / name).string();
}

Bytes private_scalar(EVP_PKEY* key) {
  BIGNUM* d = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d), 1);
  Bytes b(48);
  BN_bn2binpad(d, b.data(), static_cast<int>(b.size()));
  BN_clear_free(d);
  return b;
}

size_t hits(SnpRig& r, const std::vector<Bytes>& secrets) {
  r.m.cache().wbinvd();
  const size_t n = 8u << 20;  // every page the firmware and the rig touched
  Bytes raw(n);
  r.m.raw_view().read(SysPhysAddr(0), raw);
  const Bytes host = r.host_read(0, n);
  size_t total = 0;
  for (const Bytes& s : secrets) {
    Bytes rev(s.rbegin(), s.rend());
    for (const Bytes* view : {static_cast<const Bytes*>(&raw), &host})
      total += count_occurrences(*view, s) + count_occurrences(*view, rev);
  }
  return total;
}

TEST(SnpKeysStay, NoSecretOfTheGuestRequestPathReachesMemory) {
  SnpMsgRig r(kSeed);
  r.running_guest();
  const auto rep = r.get_report(snp::MsgReportReq{});
  ASSERT_EQ(rep.status, snp::kMsgStatusSuccess);
  const auto k = r.get_key(snp::MsgKeyReq{});
  ASSERT_EQ(k.status, snp::kMsgStatusSuccess);

  crypto::Drbg sp(kSeed);
  std::vector<Bytes> secrets;
  for (int i = 0; i < 4; ++i) {
    Bytes v(32);
    sp.generate(SevFirmware::kSnpVmpckLabel, v);
    secrets.push_back(v);
  }
  EXPECT_EQ(secrets[0], r.vmpck(0));  // the re-derivation is right
  Bytes vmrk(32), secret(48);
  sp.generate(SevFirmware::kSnpVmrkLabel, vmrk);
  sp.generate(SevFirmware::kSnpChipSecretLabel, secret);
  secrets.push_back(vmrk);
  secrets.push_back(secret);
  const uint64_t tcb = ::cbit::psp::TcbVersion{std::nullopt, 3, 0, 8, 115}.encode(
      ::cbit::psp::TcbLayout::MilanGenoa);
  const auto stick =
      ::cbit::psp::snp::VcekHashsticks::from_chip_secret(secret, ~uint64_t{0}).derive(tcb);
  secrets.emplace_back(stick->begin(), stick->end());
  const auto chip = sim_kds_chip(kSeed, r.m.cpu_model(),
                                 ::cbit::psp::load_or_generate_rsa4096(key_path("ark.pem")),
                                 ::cbit::psp::load_or_generate_rsa4096(key_path("ask.pem")));
  ASSERT_TRUE(chip.has_value());
  secrets.push_back(
      private_scalar(chip->vcek_key(::cbit::psp::TcbVersion{std::nullopt, 3, 0, 8, 115}).get()));
  secrets.push_back(k.key);  // the guest's derived key crossed the hypervisor encrypted only

  EXPECT_EQ(hits(r, secrets), 0u);
  // Control: the guest's own view of its secrets page holds VMPCK0.
  EXPECT_EQ(count_occurrences(r.guest_read(kSecretsPa, kPageSize, kSnpAsid), secrets[0]), 1u);
  // Control: the scan finds a secret that is written into host memory.
  r.host_write(0x70000, secrets[4]);
  EXPECT_GE(hits(r, secrets), 1u);
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
