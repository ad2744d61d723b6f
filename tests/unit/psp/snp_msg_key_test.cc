// MSG_KEY_REQ (hw/psp/sev/commands/snp_msg_key.cc): each check's STATUS beside the request that
// passes, and the derivation's inputs: a selected field that differs gives another key, an
// unselected one the same key; VMPL, HOST_DATA and the ID-block key always count; the root key
// (VCEK hashstick of a TCB, or the VMRK) decides.
#include <gtest/gtest.h>

#include "psp/report/tcb_version.h"
#include "psp/snp/key_mix.h"
#include "snp_msg_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

using ::cbit::psp::TcbLayout;
using ::cbit::psp::TcbVersion;

snp::MsgKeyReq key_req(uint64_t gfs = 0, uint32_t vmpl = 0, bool vmrk = false) {
  snp::MsgKeyReq k;
  k.flags = vmrk ? 1 : 0;
  k.guest_field_select = gfs;
  k.vmpl = vmpl;
  return k;
}

Bytes key(SnpMsgRig& r, const snp::MsgKeyReq& k, uint8_t vmpck = 0) {
  const auto a = r.get_key(k, vmpck);
  EXPECT_EQ(a.mailbox, SevStatus::Success);
  EXPECT_EQ(a.status, snp::kMsgStatusSuccess);
  return a.key;
}

uint64_t milan(uint8_t bl, uint8_t tee, uint8_t s, uint8_t uc) {
  return TcbVersion{std::nullopt, bl, tee, s, uc}.encode(TcbLayout::MilanGenoa);
}

TEST(SnpMsgKey, DeterministicAndRootKeyMatters) {
  SnpMsgRig r;
  r.running_guest();
  const Bytes k = key(r, key_req());
  EXPECT_NE(k, Bytes(32, 0));
  EXPECT_EQ(key(r, key_req()), k);                             // same request, same key
  EXPECT_NE(key(r, key_req(0, 0, true)), k);                   // VMRK instead of the VCEK
  EXPECT_NE(key(r, key_req(0, 1)), k);                         // VMPL always counts
  EXPECT_EQ(key(r, key_req(0, 1), 1), key(r, key_req(0, 1)));  // the message key does not
  // Another chip (another seed) with the same launch: another chip key.
  SnpMsgRig r2(12);
  r2.running_guest();
  EXPECT_NE(key(r2, key_req()), k);
}

TEST(SnpMsgKey, ChecksAndTheirStatus) {
  SnpMsgRig r;
  r.running_guest_with_id(5, false);
  auto status = [&](const snp::MsgKeyReq& k, uint8_t vmpck = 0) {
    return r.get_key(k, vmpck).status;
  };
  snp::MsgKeyReq k = key_req();
  k.flags = 1u << 3;  // reserved
  EXPECT_EQ(status(k), snp::kMsgStatusInvalidParam);
  k = key_req();
  k.flags = 3u << 1;  // KEY_SEL 3
  EXPECT_EQ(status(k), snp::kMsgStatusInvalidKey);
  k.flags = 2u << 1;  // KEY_SEL 2: no VLEK
  EXPECT_EQ(status(k), snp::kMsgStatusInvalidKey);
  k.flags |= 1;  // ...but the VMRK root ignores KEY_SEL
  EXPECT_EQ(status(k), snp::kMsgStatusSuccess);
  EXPECT_EQ(status(key_req(0, 0), 1), snp::kMsgStatusInvalidParam);  // VMPL 0 under VMPCK1
  EXPECT_EQ(status(key_req(0, 1), 1), snp::kMsgStatusSuccess);       // control
  EXPECT_EQ(status(key_req(1u << 6)), snp::kMsgStatusInvalidParam);  // GFS bit 6
  k = key_req(snp::kGfsGuestSvn);
  k.guest_svn = 6;  // above the ID block's 5
  EXPECT_EQ(status(k), snp::kMsgStatusInvalidParam);
  k.guest_svn = 5;
  EXPECT_EQ(status(k), snp::kMsgStatusSuccess);
  k = key_req(snp::kGfsTcbVersion);
  k.tcb_version = milan(3, 0, 9, 115);  // above the committed TCB
  EXPECT_EQ(status(k), snp::kMsgStatusInvalidParam);
  k.tcb_version = milan(3, 0, 8, 115) | (uint64_t{1} << 24);  // a reserved byte
  EXPECT_EQ(status(k), snp::kMsgStatusInvalidParam);
  k.tcb_version = milan(3, 0, 7, 115);  // older: derivable
  EXPECT_EQ(status(k), snp::kMsgStatusSuccess);
}

TEST(SnpMsgKey, MaskChipKeyRefusesTheChipRootOnly) {
  SnpMsgRig r;
  r.running_guest();
  Bytes cfg(kSnpConfigLen, 0);
  store_le<uint32_t>(cfg.data() + 8, 2);
  ASSERT_EQ(r.cmd(SevCmd::SnpConfig, cfg), SevStatus::Success);
  EXPECT_EQ(r.get_key(key_req()).status, snp::kMsgStatusInvalidKey);
  EXPECT_EQ(r.get_key(key_req(0, 0, true)).status, snp::kMsgStatusSuccess);  // VMRK
}

TEST(SnpMsgKey, SelectedFieldsCountUnselectedDoNot) {
  // Two guests on one chip (same seed) whose launches differ in one field each time.
  struct Launch {
    uint32_t svn = 5;
    uint64_t policy = kSnpPolicyQemuDefault;
    uint64_t secrets_gpa = kSecretsGpa;  // another GPA: another MEASUREMENT
    uint8_t family = 0x11, image = 0x22;
  };
  auto derive = [](const Launch& l, const snp::MsgKeyReq& k) {
    SnpMsgRig r;
    r.running_guest_with_id(l.svn, false, l.policy, l.secrets_gpa, l.family, l.image);
    return key(r, k);
  };
  const Launch a;
  Launch other_policy;
  other_policy.policy = kSnpPolicyQemuDefault | snp_policy_flag(SnpPolicyBit::Debug);
  // Policy: mixed in only when selected.
  EXPECT_EQ(derive(a, key_req()), derive(other_policy, key_req()));
  EXPECT_NE(derive(a, key_req(snp::kGfsPolicy)), derive(other_policy, key_req(snp::kGfsPolicy)));
  // The ID block's guest SVN limits the request, the request's SVN is what is mixed in.
  Launch svn7;
  svn7.svn = 7;
  snp::MsgKeyReq s = key_req(snp::kGfsGuestSvn);
  s.guest_svn = 4;
  EXPECT_EQ(derive(a, s), derive(svn7, s));
  snp::MsgKeyReq s5 = s;
  s5.guest_svn = 5;
  EXPECT_NE(derive(a, s), derive(a, s5));
  // Measurement.
  Launch moved;
  moved.secrets_gpa = kSecretsGpa + kPageSize;
  EXPECT_EQ(derive(a, key_req()), derive(moved, key_req()));
  EXPECT_NE(derive(a, key_req(snp::kGfsMeasurement)), derive(moved, key_req(snp::kGfsMeasurement)));
  // FAMILY_ID and IMAGE_ID, each against the other's selection.
  Launch fam, img;
  fam.family = 0x12;
  img.image = 0x23;
  EXPECT_NE(derive(a, key_req(snp::kGfsFamilyId)), derive(fam, key_req(snp::kGfsFamilyId)));
  EXPECT_EQ(derive(a, key_req(snp::kGfsImageId)), derive(fam, key_req(snp::kGfsImageId)));
  EXPECT_NE(derive(a, key_req(snp::kGfsImageId)), derive(img, key_req(snp::kGfsImageId)));
  EXPECT_EQ(derive(a, key_req(snp::kGfsFamilyId)), derive(img, key_req(snp::kGfsFamilyId)));
  snp::MsgKeyReq unsel = key_req();  // SVN given but not selected: ignored
  unsel.guest_svn = 3;
  EXPECT_EQ(derive(a, unsel), derive(a, key_req()));
}

TEST(SnpMsgKey, TcbSelectionDerivesTheOlderStick) {
  SnpMsgRig r;
  r.running_guest();
  snp::MsgKeyReq cur = key_req(snp::kGfsTcbVersion), old = cur;
  cur.tcb_version = milan(3, 0, 8, 115);
  old.tcb_version = milan(3, 0, 7, 115);
  const Bytes kc = key(r, cur), ko = key(r, old);
  EXPECT_NE(kc, ko);
  // Unselected, the TCB field is ignored and the reported TCB's VCEK is the root.
  snp::MsgKeyReq unsel = key_req();
  unsel.tcb_version = milan(3, 0, 7, 115);
  EXPECT_EQ(key(r, unsel), key(r, key_req()));
  // Reporting the older TCB (SNP_CONFIG) changes the unselected root, not the selected one.
  Bytes cfg(kSnpConfigLen, 0);
  store_le(cfg.data(), milan(3, 0, 7, 115));
  const Bytes before = key(r, key_req());
  ASSERT_EQ(r.cmd(SevCmd::SnpConfig, cfg), SevStatus::Success);
  EXPECT_NE(key(r, key_req()), before);
  EXPECT_EQ(key(r, old), ko);
}

// The MIX_DATA layout (ASPFW snp_mix_data_t, 0xA8 bytes).
TEST(SnpMsgKey, MixDataLayout) {
  snp::KeyMix m;
  m.root_key_select = 1;
  m.idblock_key_select = 2;
  m.gfs = 0x3F;
  m.vmpl = 3;
  m.guest_svn = 9;
  m.tcb_version = 0x1122334455667788;
  m.guest_policy = 0x30000;
  m.image_id.fill(0xA1);
  m.family_id.fill(0xB2);
  m.measurement.fill(0xC3);
  m.host_data.fill(0xD4);
  m.idblock_key.fill(0xE5);
  const auto b = m.serialize();
  EXPECT_EQ(load_le<uint32_t>(b.data()), 5u);
  EXPECT_EQ(load_le<uint64_t>(b.data() + 0x08), 0x3Fu);
  EXPECT_EQ(load_le<uint32_t>(b.data() + 0x10), 3u);
  EXPECT_EQ(load_le<uint32_t>(b.data() + 0x14), 9u);
  EXPECT_EQ(load_le<uint64_t>(b.data() + 0x18), 0x1122334455667788u);
  EXPECT_EQ(load_le<uint64_t>(b.data() + 0x20), 0x30000u);
  EXPECT_EQ(b[0x28], 0xA1);
  EXPECT_EQ(b[0x38], 0xB2);
  EXPECT_EQ(b[0x48], 0xC3);
  EXPECT_EQ(b[0x68], 0xD4);
  EXPECT_EQ(b[0x88], 0xE5);
  EXPECT_EQ(b[0xA7], 0xE5);
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
