// A hostile hypervisor's malformed command buffers: each gets the spec's status code.
#include <gtest/gtest.h>

#include "sev_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

constexpr uint64_t kNowhere = 0x7f0000000000;  // beyond DRAM

TEST(SevMalformed, CommandBufferOutsideMemory) {
  Rig r;
  r.init();
  EXPECT_EQ(r.fw.execute(static_cast<uint32_t>(SevCmd::LaunchStart), kNowhere),
            SevStatus::InvalidAddress);
  EXPECT_EQ(r.fw.execute(static_cast<uint32_t>(SevCmd::PlatformStatus), ~0ull),
            SevStatus::InvalidAddress);
  // An unaligned buffer with the C-bit is fine (the DMA merges AES blocks).
  Bytes ps(12, 0);
  r.host_write(kCmdBuf + 3, ps);
  EXPECT_EQ(r.fw.execute(static_cast<uint32_t>(SevCmd::PlatformStatus), (kCmdBuf + 3) | kC),
            SevStatus::Success);
  EXPECT_EQ(r.host_read(kCmdBuf + 3, 12)[2], static_cast<uint8_t>(PlatformState::Init));
}

TEST(SevMalformed, LaunchUpdateDataFields) {
  Rig r;
  r.init();
  const uint32_t h = r.launch_start(0);
  ASSERT_EQ(r.activate(h, 6), SevStatus::Success);
  EXPECT_EQ(r.update_data(h + 1, kGuestMem | kC, 16), SevStatus::InvalidGuest);
  EXPECT_EQ(r.update_data(0, kGuestMem | kC, 16), SevStatus::InvalidGuest);
  EXPECT_EQ(r.update_data(h, (kGuestMem + 8) | kC, 16), SevStatus::InvalidAddress);
  EXPECT_EQ(r.update_data(h, kGuestMem | kC, 17), SevStatus::InvalidLen);
  EXPECT_EQ(r.update_data(h, kGuestMem | kC, 0), SevStatus::InvalidLen);
  EXPECT_EQ(r.update_data(h, kNowhere, 16), SevStatus::InvalidAddress);
  EXPECT_EQ(r.update_data(h, kGuestMem | kC, 0xfffffff0), SevStatus::InvalidAddress);
  EXPECT_EQ(r.update_data(h, (16ull << 20) - 16, 32), SevStatus::InvalidAddress);  // runs off
  EXPECT_EQ(r.update_data(h, kTmr, 16), SevStatus::InvalidAddress);  // the firmware's TMR
  EXPECT_EQ(r.update_data(h, kTmr - 16, 32), SevStatus::InvalidAddress);
  EXPECT_EQ(r.update_data(h, kGuestMem | kC, 16), SevStatus::Success);  // control
}

TEST(SevMalformed, LengthsAreReportedBack) {
  Rig r;
  r.init();
  const uint32_t h = r.launch_start(0);
  Bytes m = Rig::update_buf(h, kScratch | kC, 47);
  EXPECT_EQ(r.cmd(SevCmd::LaunchMeasure, m), SevStatus::InvalidLen);
  EXPECT_EQ(load_le<uint32_t>(m.data() + 16), 48u);  // written back: the length needed
  EXPECT_EQ(r.guest_state(h), GuestState::Lupdate);  // and nothing happened

  Bytes id(12, 0);
  store_le(id.data(), kScratch | kC);
  EXPECT_EQ(r.cmd(SevCmd::GetId, id), SevStatus::InvalidLen);
  EXPECT_EQ(load_le<uint32_t>(id.data() + 8), kGetIdLen);
  ASSERT_EQ(r.cmd(SevCmd::GetId, id), SevStatus::Success);
  const Bytes chip = r.host_read(kScratch, 64);
  EXPECT_NE(chip, Bytes(64, 0));
  ASSERT_EQ(r.cmd(SevCmd::GetId, id), SevStatus::Success);
  EXPECT_EQ(r.host_read(kScratch, 64), chip);  // the same chip every time
  store_le(id.data(), kNowhere);
  EXPECT_EQ(r.cmd(SevCmd::GetId, id), SevStatus::InvalidAddress);
}

TEST(SevMalformed, InitFields) {
  Rig r;
  Bytes b = Rig::init_buf(kInitFlagSevEs, kTmr + 0x1000, kTmrSize);
  EXPECT_EQ(r.cmd(SevCmd::Init, b), SevStatus::InvalidAddress);
  b = Rig::init_buf(kInitFlagSevEs, kTmr, 4096);
  EXPECT_EQ(r.cmd(SevCmd::Init, b), SevStatus::InvalidLen);
  b = Rig::init_buf(kInitFlagSevEs, 0x7f0000000000, kTmrSize);
  EXPECT_EQ(r.cmd(SevCmd::Init, b), SevStatus::InvalidAddress);
  b = Rig::init_buf(0x80, 0, 0);
  EXPECT_EQ(r.cmd(SevCmd::Init, b), SevStatus::InvalidConfig);
  EXPECT_EQ(r.fw.platform_state(), PlatformState::Uninit);  // every failure left it UNINIT

  Bytes ex(kInitExLen, 0);
  store_le(ex.data(), 0x20u);
  EXPECT_EQ(r.cmd(SevCmd::InitEx, ex), SevStatus::InvalidLen);
  store_le(ex.data(), kInitExLen);
  store_le(ex.data() + 24, uint64_t{0x30001});
  store_le(ex.data() + 32, static_cast<uint32_t>(kInitExNvLen));
  EXPECT_EQ(r.cmd(SevCmd::InitEx, ex), SevStatus::InvalidAddress);
  store_le(ex.data() + 24, uint64_t{0x30000});
  store_le(ex.data() + 32, 100u);
  EXPECT_EQ(r.cmd(SevCmd::InitEx, ex), SevStatus::InvalidLen);
  store_le(ex.data() + 32, static_cast<uint32_t>(kInitExNvLen));
  EXPECT_EQ(r.cmd(SevCmd::InitEx, ex), SevStatus::Success);
}

TEST(SevMalformed, LaunchStartBlobs) {
  Rig r;
  r.init();
  sw::owner::SevGuestOwner owner(1, 0);
  auto blobs = owner.start_session(*r.fw.pdh_public());
  auto start = [&](Bytes cert, Bytes sess, uint32_t cert_len, uint32_t sess_len) {
    r.host_write(kScratch, cert);
    r.host_write(kScratch + 0x1000, sess);
    Bytes b(36, 0);
    store_le(b.data() + 8, kScratch | kC);
    store_le(b.data() + 16, cert_len);
    store_le(b.data() + 24, (kScratch + 0x1000) | kC);
    store_le(b.data() + 32, sess_len);
    return r.cmd(SevCmd::LaunchStart, b);
  };
  EXPECT_EQ(start(blobs.dh_cert, blobs.session, kCertLen, 0x7f), SevStatus::InvalidLen);
  EXPECT_EQ(start(blobs.dh_cert, blobs.session, 0x800, kSessionLen), SevStatus::InvalidLen);
  Bytes bad = blobs.dh_cert;
  store_le(bad.data() + 8, 0x1002u);  // usage PEK
  EXPECT_EQ(start(bad, blobs.session, kCertLen, kSessionLen), SevStatus::InvalidCert);
  bad = blobs.dh_cert;
  bad[0x14] ^= 1;  // qx no longer on the curve
  EXPECT_EQ(start(bad, blobs.session, kCertLen, kSessionLen), SevStatus::InvalidCert);
  bad = blobs.dh_cert;
  bad[0x14 + 60] = 1;  // wider than 384 bits
  EXPECT_EQ(start(bad, blobs.session, kCertLen, kSessionLen), SevStatus::InvalidCert);
  EXPECT_EQ(start(blobs.dh_cert, blobs.session, kCertLen, kSessionLen), SevStatus::Success);
}

TEST(SevMalformed, PolicyWithReservedBitsOrNewerApi) {
  for (uint32_t policy : {1u << 6, 2u << 16, 0x38u << 24 | 1u << 16}) {
    Rig r;
    r.init();
    sw::owner::SevGuestOwner owner(2, policy);
    SevStatus st;
    r.launch_start(owner, &st);
    EXPECT_EQ(st, SevStatus::PolicyFailure) << policy;
  }
  Rig r;  // control: API 1.55 is what the firmware runs
  r.init();
  sw::owner::SevGuestOwner owner(2, 55u << 24 | 1u << 16);
  SevStatus st;
  r.launch_start(owner, &st);
  EXPECT_EQ(st, SevStatus::Success);
}

TEST(SevMalformed, LaunchSecretFields) {
  Rig r;
  r.init();
  const uint32_t h = r.guest_in(GuestState::Lsecret, 6);
  auto sec = [&](uint64_t guest, uint32_t glen, uint32_t tlen, uint32_t hdr_len) {
    Bytes b = Rig::secret_buf(h, kScratch | kC, guest, glen, (kScratch + 64) | kC, tlen);
    store_le(b.data() + 16, hdr_len);
    return r.cmd(SevCmd::LaunchSecret, b);
  };
  EXPECT_EQ(sec(kGuestMem + 8, 16, 16, kPacketHeaderLen), SevStatus::InvalidAddress);
  EXPECT_EQ(sec(kGuestMem, 16, 32, kPacketHeaderLen), SevStatus::InvalidLen);
  EXPECT_EQ(sec(kGuestMem, 15, 15, kPacketHeaderLen), SevStatus::InvalidLen);
  EXPECT_EQ(sec(kGuestMem, 0x6000, 0x6000, kPacketHeaderLen), SevStatus::InvalidLen);
  EXPECT_EQ(sec(kGuestMem, 16, 16, 0x30), SevStatus::InvalidLen);
  EXPECT_EQ(sec(kNowhere, 16, 16, kPacketHeaderLen), SevStatus::InvalidAddress);
  EXPECT_EQ(sec(kGuestMem, 16, 16, kPacketHeaderLen), SevStatus::BadMeasurement);
}

TEST(SevMalformed, GuestHandlesRunOut) {
  Rig r;
  r.init();
  for (uint32_t i = 0; i < Rig::cfg().max_guests; ++i) ASSERT_NE(r.launch_start(0), 0u) << i;
  SevStatus st;
  r.launch_start(0, 0, &st);
  EXPECT_EQ(st, SevStatus::ResourceLimit);
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
