// A whole SEV launch against the firmware mailbox, checked by the guest owner: LAUNCH_START with
// a real session (ECDH with the PDH), LAUNCH_UPDATE_DATA, LAUNCH_MEASURE verified by the owner,
// LAUNCH_SECRET, LAUNCH_FINISH.
#include <gtest/gtest.h>

#include "sev_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

using sw::owner::PlatformVersion;
using sw::owner::SevGuestOwner;

constexpr uint32_t kAsid = 6;
const char kSecret[] = "disk key: 7f3a9c2e51b04d88aa61";

struct Launch {
  Rig r;
  SevGuestOwner owner{99, 1u /*NODBG*/};
  Bytes page0 = pattern_page(1), page1 = pattern_page(2);
  uint32_t h = 0;
  Bytes measure;

  // Runs to LSECRET. `tamper` changes page1 in host memory before it is measured.
  void run(bool tamper = false) {
    r.init();
    SevStatus st;
    h = r.launch_start(owner, &st);
    ASSERT_EQ(st, SevStatus::Success);
    ASSERT_EQ(r.activate(h, kAsid), SevStatus::Success);
    r.host_write(kGuestMem, page0);
    Bytes p1 = page1;
    if (tamper) p1[100] ^= 0x01;  // the host slips in a different kernel
    r.host_write(kGuestMem + kPageSize, p1);
    ASSERT_EQ(r.update_data(h, kGuestMem | kC, 2 * kPageSize), SevStatus::Success);
    ASSERT_EQ(r.measure(h, &measure), SevStatus::Success);
  }
  PlatformVersion version() {
    Bytes ps(12, 0);
    EXPECT_EQ(r.cmd(SevCmd::PlatformStatus, ps), SevStatus::Success);
    return {ps[0], ps[1], ps[7]};
  }
  bool owner_accepts() {
    return owner.verify_measurement(measure, SevGuestOwner::expected_digest({page0, page1}),
                                    version());
  }
  SevStatus inject(const sw::owner::SecretPacket& p, uint64_t guest_pa) {
    r.host_write(kScratch + 0x3000, p.header);
    r.host_write(kScratch + 0x4000, p.data);
    const auto n = static_cast<uint32_t>(p.data.size());
    Bytes b =
        Rig::secret_buf(h, (kScratch + 0x3000) | kC, guest_pa, n, (kScratch + 0x4000) | kC, n);
    return r.cmd(SevCmd::LaunchSecret, b);
  }
};

TEST(SevLaunch, OwnerVerifiesMeasurementAndInjectsSecret) {
  Launch l;
  l.run();
  ASSERT_TRUE(l.owner_accepts());
  auto packet = l.owner.wrap_secret(as_bytes(kSecret));
  ASSERT_TRUE(packet);
  const uint64_t secret_pa = kGuestMem + 2 * kPageSize;
  ASSERT_EQ(l.inject(*packet, secret_pa), SevStatus::Success);
  ASSERT_EQ(l.r.handle_cmd(SevCmd::LaunchFinish, l.h), SevStatus::Success);
  EXPECT_TRUE(l.r.fw.asid_runnable(Asid(kAsid)));

  // The guest (ASID 6, C-bit set) sees its pages and the secret in plaintext.
  EXPECT_EQ(l.r.guest_read(kGuestMem, kPageSize, kAsid), l.page0);
  EXPECT_EQ(l.r.guest_read(kGuestMem + kPageSize, kPageSize, kAsid), l.page1);
  const Bytes in_guest = l.r.guest_read(secret_pa, 32, kAsid);
  EXPECT_EQ(std::memcmp(in_guest.data(), kSecret, sizeof kSecret - 1), 0);
  // Nobody else does: not the host (with or without SME), not the DRAM chips.
  l.r.cache.wbinvd();
  for (bool c : {true, false}) {
    const Bytes host = l.r.host_read(secret_pa, 32, c);
    EXPECT_NE(std::memcmp(host.data(), kSecret, sizeof kSecret - 1), 0);
    EXPECT_NE(l.r.host_read(kGuestMem, kPageSize, c), l.page0);
  }
  Bytes raw(16 << 20);
  l.r.dram.read(SysPhysAddr(0), raw);
  EXPECT_EQ(count_occurrences(raw, as_bytes(std::string_view(kSecret, 16))), 0u);
  EXPECT_EQ(count_occurrences(raw, ByteSpan(l.page0).first(64)), 0u);
}

TEST(SevLaunch, OwnerRefusesAChangedPage) {
  Launch l;
  l.run(/*tamper=*/true);
  EXPECT_FALSE(l.owner_accepts());
  EXPECT_FALSE(l.owner.wrap_secret(as_bytes(kSecret)));  // no secret for this guest
}

TEST(SevLaunch, OwnerRefusesAnotherPlatformVersion) {
  Launch l;
  l.run();
  PlatformVersion v = l.version();
  v.build ^= 1;
  EXPECT_FALSE(
      l.owner.verify_measurement(l.measure, SevGuestOwner::expected_digest({l.page0, l.page1}), v));
  EXPECT_TRUE(l.owner_accepts());  // control
}

TEST(SevLaunch, TamperedSecretPacketIsRefused) {
  Launch l;
  l.run();
  ASSERT_TRUE(l.owner_accepts());
  auto packet = l.owner.wrap_secret(as_bytes(kSecret));
  ASSERT_TRUE(packet);
  auto bad = *packet;
  bad.data[3] ^= 0x80;
  EXPECT_EQ(l.inject(bad, kGuestMem + 2 * kPageSize), SevStatus::BadMeasurement);
  EXPECT_EQ(l.inject(*packet, kGuestMem + 2 * kPageSize), SevStatus::Success);  // control
}

TEST(SevLaunch, MeasurementIsTheSpecHmac) {
  // Without a session the TIK is zero, so anyone can recompute the HMAC from the spec's formula.
  Rig r;
  r.init();
  const uint32_t policy = 0x00000001;
  const uint32_t h = r.launch_start(policy);
  ASSERT_EQ(r.activate(h, kAsid), SevStatus::Success);
  const Bytes page = pattern_page(9);
  r.host_write(kGuestMem, page);
  ASSERT_EQ(r.update_data(h, kGuestMem | kC, kPageSize), SevStatus::Success);
  Bytes m;
  ASSERT_EQ(r.measure(h, &m), SevStatus::Success);
  const auto digest = crypto::sha256(page);
  Bytes msg{0x04, 1, 55, 21, 0x01, 0x00, 0x00, 0x00};
  msg.insert(msg.end(), digest.begin(), digest.end());
  msg.insert(msg.end(), m.begin() + 32, m.end());  // MNONCE
  const Bytes zero_tik(16, 0);
  const auto want = crypto::hmac_sha256(zero_tik, msg);
  EXPECT_EQ(Bytes(m.begin(), m.begin() + 32), Bytes(want.begin(), want.end()));
  msg[4] = 0x03;  // control: another policy gives another MAC
  EXPECT_NE(Bytes(m.begin(), m.begin() + 32), [&] {
    auto x = crypto::hmac_sha256(zero_tik, msg);
    return Bytes(x.begin(), x.end());
  }());
}

TEST(SevLaunch, SessionIntegrity) {
  // The host cannot change the policy the owner asked for, nor the wrapped keys.
  for (int what = 0; what < 3; ++what) {
    Rig r;
    r.init();
    SevGuestOwner owner(5, 0);
    const auto blobs = owner.start_session(*r.fw.pdh_public());
    Bytes session = blobs.session;
    uint32_t policy = 0;
    if (what == 1) session[20] ^= 1;  // wrap_tk
    if (what == 2) policy = 1;        // NODBG flipped... the host claims a different policy
    r.host_write(kScratch, blobs.dh_cert);
    r.host_write(kScratch + 0x1000, session);
    Bytes b(36, 0);
    store_le(b.data() + 4, policy);
    store_le(b.data() + 8, kScratch | kC);
    store_le(b.data() + 16, static_cast<uint32_t>(kCertLen));
    store_le(b.data() + 24, (kScratch + 0x1000) | kC);
    store_le(b.data() + 32, static_cast<uint32_t>(kSessionLen));
    const SevStatus st = r.cmd(SevCmd::LaunchStart, b);
    EXPECT_EQ(st, what == 0 ? SevStatus::Success : SevStatus::BadMeasurement) << what;
  }
}

TEST(SevLaunch, EsVmsaIsEncryptedAndMeasured) {
  Rig r;
  r.init(/*es=*/true);
  SevGuestOwner owner(3, 1u << 2);  // ES
  SevStatus st;
  const uint32_t h = r.launch_start(owner, &st);
  ASSERT_EQ(st, SevStatus::Success);
  EXPECT_EQ(r.activate(h, kMinSevAsid), SevStatus::InvalidAsid);  // ES needs ASID < min
  ASSERT_EQ(r.activate(h, 2), SevStatus::Success);
  const Bytes fw_page = pattern_page(3), vmsa = pattern_page(4);
  r.host_write(kGuestMem, fw_page);
  r.host_write(kGuestMem + kPageSize, vmsa);
  ASSERT_EQ(r.update_data(h, kGuestMem | kC, kPageSize), SevStatus::Success);
  Bytes short_vmsa = Rig::update_buf(h, (kGuestMem + kPageSize) | kC, 2048);
  EXPECT_EQ(r.cmd(SevCmd::LaunchUpdateVmsa, short_vmsa), SevStatus::InvalidLen);
  Bytes v = Rig::update_buf(h, (kGuestMem + kPageSize) | kC, 4096);
  ASSERT_EQ(r.cmd(SevCmd::LaunchUpdateVmsa, v), SevStatus::Success);
  Bytes m;
  ASSERT_EQ(r.measure(h, &m), SevStatus::Success);
  Bytes ps(12, 0);
  r.cmd(SevCmd::PlatformStatus, ps);
  EXPECT_TRUE(owner.verify_measurement(m, SevGuestOwner::expected_digest({fw_page, vmsa}),
                                       {ps[0], ps[1], ps[7]}));
  EXPECT_FALSE(owner.verify_measurement(m, SevGuestOwner::expected_digest({fw_page}),
                                        {ps[0], ps[1], ps[7]}));  // the VMSA counts
  EXPECT_EQ(r.guest_read(kGuestMem + kPageSize, kPageSize, 2), vmsa);
  EXPECT_NE(r.host_read(kGuestMem + kPageSize, kPageSize), vmsa);
}

TEST(SevLaunch, EsNeedsEsPlatformAndEsGuest) {
  Rig r;
  r.init(/*es=*/false);
  SevStatus st;
  r.launch_start(1u << 2, 0, &st);
  EXPECT_EQ(st, SevStatus::Unsupported);
  const uint32_t h = r.launch_start(0);
  ASSERT_EQ(r.activate(h, kMinSevAsid), SevStatus::Success);
  Bytes v = Rig::update_buf(h, kGuestMem | kC, 4096);
  EXPECT_EQ(r.cmd(SevCmd::LaunchUpdateVmsa, v), SevStatus::Unsupported);
}

// LAUNCH_UPDATE_DATA updates in place with one DMA snoop per chunk: the host's dirty lines must
// reach DRAM before the firmware reads them (else the digest misses them) and no copy may stay in
// the cache (a stale host-key line written back later would overwrite the guest's ciphertext).
TEST(SevLaunch, UpdateDataWritesBackAndDropsTheHostsLines) {
  Rig r;
  r.init();
  const uint32_t h = r.launch_start(0x1);
  ASSERT_EQ(r.activate(h, kAsid), SevStatus::Success);
  const Bytes page = pattern_page(7);
  r.host_write(kGuestMem, page);
  unsigned cached = 0;  // control: the host's writes sit in the cache before the update
  for (uint64_t a = 0; a < kPageSize; a += kCacheLineSize)
    cached += r.cache.copies_of(SysPhysAddr(kGuestMem + a));
  EXPECT_GT(cached, 0u);
  ASSERT_EQ(r.update_data(h, kGuestMem | kC, kPageSize), SevStatus::Success);
  for (uint64_t a = 0; a < kPageSize; a += kCacheLineSize)
    EXPECT_EQ(r.cache.copies_of(SysPhysAddr(kGuestMem + a)), 0u) << a;
  r.cache.wbinvd();  // nothing stale left to land on the guest's page
  EXPECT_EQ(r.guest_read(kGuestMem, kPageSize, kAsid), page);
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
