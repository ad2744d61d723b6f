// Keys never leave the firmware: after a seeded launch (VEKs, TEK/TIK, host key), no key's bytes
// appear anywhere in memory, raw or as the host reads it. The test re-derives the key bytes from
// the same seed and labels; the control writes them into memory on purpose and finds them.
#include <gtest/gtest.h>

#include "crypto/drbg.h"
#include "sev_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

constexpr uint64_t kSeed = 4242, kOwnerSeed = 77;

struct Keys {
  std::vector<Bytes> all;  // each 16 bytes
};

Keys rederive(int veks) {
  Keys k;
  crypto::Drbg sp(kSeed);
  Bytes host(32);
  sp.generate(SecureProcessor::kHostKeyLabel, host);
  k.all.emplace_back(host.begin(), host.begin() + 16);
  k.all.emplace_back(host.begin() + 16, host.end());
  for (int i = 0; i < veks; ++i) {
    Bytes vek(32);
    sp.generate(SevFirmware::kVekLabel, vek);
    k.all.emplace_back(vek.begin(), vek.begin() + 16);
    k.all.emplace_back(vek.begin() + 16, vek.end());
  }
  crypto::Drbg owner(kOwnerSeed);
  Bytes dh(48), tek(16), tik(16);
  owner.generate("owner-dh-key", dh);
  owner.generate("owner-tek", tek);
  owner.generate("owner-tik", tik);
  k.all.push_back(tek);
  k.all.push_back(tik);
  return k;
}

size_t hits(Rig& r, const Keys& k) {
  r.cache.wbinvd();
  const size_t n = 1 << 20;  // the first MiB holds every buffer the firmware wrote
  Bytes raw(n);
  r.dram.read(SysPhysAddr(0), raw);
  const Bytes host = r.host_read(0, n, true);
  const Bytes plain = r.host_read(0, n, false);
  size_t total = 0;
  for (const Bytes& key : k.all)
    for (const Bytes* view : {static_cast<const Bytes*>(&raw), &host, &plain})
      total += count_occurrences(*view, key);
  return total;
}

void full_launch(Rig& r) {
  r.init();
  sw::owner::SevGuestOwner owner(kOwnerSeed, 0);
  const uint32_t h = r.launch_start(owner);
  ASSERT_NE(h, 0u);
  const uint32_t h2 = r.launch_start(0);  // a second VEK
  ASSERT_EQ(r.activate(h, 6), SevStatus::Success);
  ASSERT_EQ(r.activate(h2, 7), SevStatus::Success);
  const Bytes page = pattern_page(1);
  r.host_write(kGuestMem, page);
  ASSERT_EQ(r.update_data(h, kGuestMem | kC, kPageSize), SevStatus::Success);
  Bytes m;
  ASSERT_EQ(r.measure(h, &m), SevStatus::Success);
  Bytes ps(12, 0);
  r.cmd(SevCmd::PlatformStatus, ps);
  ASSERT_TRUE(owner.verify_measurement(m, sw::owner::SevGuestOwner::expected_digest({page}),
                                       {ps[0], ps[1], ps[7]}));
  auto pkt = owner.wrap_secret(as_bytes("a secret of thirty-two bytes...."));
  r.host_write(kScratch + 0x3000, pkt->header);
  r.host_write(kScratch + 0x4000, pkt->data);
  Bytes sb = Rig::secret_buf(h, (kScratch + 0x3000) | kC, kGuestMem + kPageSize, 32,
                             (kScratch + 0x4000) | kC, 32);
  ASSERT_EQ(r.cmd(SevCmd::LaunchSecret, sb), SevStatus::Success);
  ASSERT_EQ(r.handle_cmd(SevCmd::LaunchFinish, h), SevStatus::Success);
  Bytes dbg = Rig::dbg_buf(h, kGuestMem, (kScratch + 0x6000) | kC, kPageSize);
  ASSERT_EQ(r.cmd(SevCmd::DbgDecrypt, dbg), SevStatus::Success);
  Bytes id(12, 0);
  store_le(id.data(), (kScratch + 0x8000) | kC);
  store_le(id.data() + 8, 64u);
  ASSERT_EQ(r.cmd(SevCmd::GetId, id), SevStatus::Success);
}

TEST(SevKeys, NoKeyByteReachesMemory) {
  Rig r(kSeed);
  full_launch(r);
  const Keys k = rederive(2);
  EXPECT_EQ(hits(r, k), 0u);
}

TEST(SevKeys, ControlPlantedKeysAreFound) {
  Rig r(kSeed);
  full_launch(r);
  const Keys k = rederive(2);
  // The re-derivation is right: the same labels give the same keys. Planting them shows the scan
  // would see them.
  r.host_write(kScratch + 0x9000, k.all[2], /*c=*/false);     // a VEK half, in the clear
  r.host_write(kScratch + 0x9100, k.all.back(), /*c=*/true);  // the TIK, under the host key
  EXPECT_GE(hits(r, k), 2u);
  // The re-derived bytes are the real VEK: the AES engine with them decrypts the guest page.
  Bytes cipher(kPageSize);
  r.dram.read(SysPhysAddr(kGuestMem), cipher);
  AesEngine eng(CipherMode::Xex, KeyMaterial(KeyLength::Aes128, k.all[2], k.all[3]));
  Bytes plain(kPageSize);
  eng.decrypt(SysPhysAddr(kGuestMem), cipher, plain);
  EXPECT_EQ(plain, pattern_page(1));
  AesEngine wrong(CipherMode::Xex, KeyMaterial(KeyLength::Aes128, k.all[4], k.all[5]));
  wrong.decrypt(SysPhysAddr(kGuestMem), cipher, plain);
  EXPECT_NE(plain, pattern_page(1));
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
