// MSG_KEY_REQ -> MSG_KEY_RSP inside SNP_GUEST_REQUEST (SNP ABI "MSG_KEY_REQ"; AMD-ASPFW
// sev_mcmd.c case SNP_MSG_KEY_REQ; SNP-FACTS.md §3.3; the derivation in psp/snp/key_mix.h).
//
// Checks in ASPFW's order, each a STATUS in the response: reserved bits or bytes ->
// INVALID_PARAM; ROOT_KEY_SELECT 0 (the chip key) under SNP_CONFIG's MASK_CHIP_KEY ->
// INVALID_KEY; ROOT_KEY_SELECT 0 with KEY_SEL naming no usable key -> INVALID_KEY; VMPL below
// MSG_VMPCK -> INVALID_PARAM; GUEST_FIELD_SELECT bits above 5 -> INVALID_PARAM; with TCB_VERSION
// selected, a component above the committed TCB or a byte the layout reserves set ->
// INVALID_PARAM (the hashstick of that older TCB is then derived: psp/snp/vcek.h); with
// GUEST_SVN selected, an SVN above the ID block's -> INVALID_PARAM.
// The root key: the loaded VLEK's hashstick for KEY_SEL 2, or 0 with a VLEK loaded (ASPFW's
// vlek[7]; the requested TCB is then only mixed in); else the VCEK hashstick of the requested TCB
// (TCB_VERSION selected) or of the reported TCB; the guest's VMRK for ROOT_KEY_SELECT 1.
#include <openssl/crypto.h>

#include "hw/psp/sev/sev_firmware.h"
#include "psp/snp/guest_msg.h"
#include "psp/snp/id_block.h"
#include "psp/snp/key_mix.h"

namespace cbit::hw::psp::sev {

namespace snp = ::cbit::psp::snp;

SevStatus SevFirmware::snp_msg_key(SnpGuestContext& g, uint8_t msg_vmpck, ByteSpan req,
                                   Bytes& rsp) {
  rsp.assign(snp::kMsgKeyRspSize, 0);
  auto status = [&](uint32_t s) {
    store_le<uint32_t>(rsp.data(), s);
    return SevStatus::Success;
  };
  const auto k = snp::MsgKeyReq::parse(req);
  if (!k || !k->reserved_zero || (k->flags & ~7u)) return status(snp::kMsgStatusInvalidParam);
  const bool chip_root = k->root_key_select() == 0;
  if (chip_root && mask_chip_key_) return status(snp::kMsgStatusInvalidKey);
  if (chip_root && snp_key_sel_invalid(g, k->key_sel())) return status(snp::kMsgStatusInvalidKey);
  if (k->vmpl < msg_vmpck) return status(snp::kMsgStatusInvalidParam);
  if (k->guest_field_select & ~snp::kGfsAll) return status(snp::kMsgStatusInvalidParam);

  const auto id = snp::IdBlock::parse(g.id_block, "ID block");
  snp::KeyMix mix;
  mix.root_key_select = k->root_key_select();
  mix.idblock_key_select = g.author_key_en ? 2 : g.id_block_en ? 1 : 0;
  mix.gfs = k->guest_field_select;
  mix.vmpl = k->vmpl;
  mix.host_data = g.host_data;
  if (mix.idblock_key_select == 1)
    std::copy_n(g.id_key_digest.begin(), mix.idblock_key.size(), mix.idblock_key.begin());
  if (mix.idblock_key_select == 2)
    std::copy_n(g.author_key_digest.begin(), mix.idblock_key.size(), mix.idblock_key.begin());

  const auto layout = snp_tcb_.layout;
  uint64_t vcek_tcb = snp_reported_tcb().encode(layout);
  if (k->guest_field_select & snp::kGfsTcbVersion) {
    const uint64_t t = k->tcb_version;
    if (::cbit::psp::TcbVersion::decode(t, layout).encode(layout) != t ||
        ::cbit::psp::snp::tcb_raw_above(t, committed_tcb_.encode(layout)))
      return status(snp::kMsgStatusInvalidParam);
    vcek_tcb = t;
    mix.tcb_version = t;
  }
  if (k->guest_field_select & snp::kGfsGuestSvn) {
    if (k->guest_svn > id.guest_svn) return status(snp::kMsgStatusInvalidParam);
    mix.guest_svn = k->guest_svn;
  }
  if ((k->guest_field_select & snp::kGfsMeasurement) && g.ld) {
    const auto m = g.ld->digest();
    std::copy_n(m.begin(), mix.measurement.size(), mix.measurement.begin());
  }
  if (k->guest_field_select & snp::kGfsFamilyId) mix.family_id = id.family_id;
  if (k->guest_field_select & snp::kGfsImageId) mix.image_id = id.image_id;
  if (k->guest_field_select & snp::kGfsPolicy) mix.guest_policy = g.policy;

  std::array<uint8_t, 32> key{};
  const bool use_vlek = k->key_sel() == 2 || (k->key_sel() == 0 && snp_vlek_loaded());
  if (chip_root && use_vlek) {
    key = snp::snp_derive_guest_key((*vlek_)[7], mix);
  } else if (chip_root) {
    auto stick = snp_vcek_hashstick(vcek_tcb);
    if (!stick) return status(snp::kMsgStatusInvalidParam);
    key = snp::snp_derive_guest_key(*stick, mix);
    OPENSSL_cleanse(stick->data(), stick->size());
  } else {
    key = snp::snp_derive_guest_key(g.vmrk, mix);
  }
  std::copy(key.begin(), key.end(), rsp.begin() + snp::kMsgKeyRspKeyOffset);
  OPENSSL_cleanse(key.data(), key.size());
  return status(snp::kMsgStatusSuccess);
}

}  // namespace cbit::hw::psp::sev
