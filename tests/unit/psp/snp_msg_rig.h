// A running SNP guest with a secrets page, and the two ends of SNP_GUEST_REQUEST around the
// real firmware: the guest's (its VMPCKs read from its own secrets page through its key, a
// message sealed with psp/snp/guest_msg.h, a sequence number it keeps) and the hypervisor's
// (the request copied into a page of its own, the response page in Firmware state, both given
// to the firmware with the C-bit as __psp_pa gives them: Linux KVM snp_handle_guest_req).
#pragma once
#include <openssl/crypto.h>

#include <optional>

#include "hw/psp/sev/sev_firmware.h"
#include "psp/certs/sim_chain.h"
#include "psp/report/attestation_report.h"
#include "psp/snp/guest_msg.h"
#include "psp/snp/secrets_page.h"
#include "snp_rig.h"

namespace cbit::hw::psp::sev::test {

namespace snp = ::cbit::psp::snp;

inline constexpr uint64_t kSecretsPa = kGuest;    // the guest's secrets page (SPA)
inline constexpr uint64_t kSecretsGpa = 0x80000;  // its GPA
inline constexpr uint64_t kReqPage = 0x60000;     // KVM's request page (hypervisor-owned)
inline constexpr uint64_t kRspPage = kFwPage;     // KVM's response page (Firmware)

struct SnpMsgRig : SnpRig {
  explicit SnpMsgRig(uint64_t seed = 11, std::string_view cpu = "milan") : SnpRig(seed, cpu) {}

  // INIT .. LAUNCH_UPDATE(SECRETS) .. LAUNCH_FINISH with `finish` as the finish buffer.
  void running_guest(uint64_t policy = kSnpPolicyQemuDefault, Bytes finish = finish_buf()) {
    launching_guest(policy);
    make_private(kSecretsPa, kSecretsGpa, kSnpAsid);
    ASSERT_EQ(launch_update(kSecretsPa, SnpPageType::Secrets), SevStatus::Success);
    ASSERT_EQ(cmd(SevCmd::SnpLaunchFinish, finish), SevStatus::Success);
    make_firmware(kRspPage);
  }
  // Same, finished with an ID block (FAMILY_ID 0x11.., IMAGE_ID 0x22.., GUEST_SVN `svn`) signed by
  // id_key, and by the author key when `author`; HOST_DATA 0x33...
  ::cbit::psp::PkeyPtr id_key = ::cbit::psp::p384_key_from_seed(Bytes(48, 2));
  ::cbit::psp::PkeyPtr author_key = ::cbit::psp::p384_key_from_seed(Bytes(48, 3));
  void running_guest_with_id(uint32_t svn, bool author, uint64_t policy = kSnpPolicyQemuDefault,
                             uint64_t secrets_gpa = kSecretsGpa, uint8_t family = 0x11,
                             uint8_t image = 0x22) {
    launching_guest(policy);
    make_private(kSecretsPa, secrets_gpa, kSnpAsid);
    ASSERT_EQ(launch_update(kSecretsPa, SnpPageType::Secrets), SevStatus::Success);
    snp::IdBlock id;
    id.ld = *fw().snp_launch_digest(kGctx);
    id.family_id.fill(family);
    id.image_id.fill(image);
    id.guest_svn = svn;
    id.policy = policy;
    const Bytes ib = id.serialize();
    host_write(0x50000, ib);
    host_write(0x51000, make_id_auth(ib, id_key.get(), author ? author_key.get() : nullptr));
    Bytes f = finish_buf(1 | (author ? 2 : 0), 0x50000 | c(), 0x51000 | c());
    std::fill(f.begin() + 32, f.begin() + 64, 0x33);
    ASSERT_EQ(cmd(SevCmd::SnpLaunchFinish, f), SevStatus::Success);
    make_firmware(kRspPage);
  }
  // The guest's VMPCK<i>, read from its secrets page with its own key.
  Bytes vmpck(unsigned i) {
    const Bytes page = guest_read(kSecretsPa, kPageSize, kSnpAsid);
    const ByteSpan k = snp::vmpck(page, i);
    return Bytes(k.begin(), k.end());
  }

  // The guest's message, sealed under `key` (default: VMPCK<vmpck>).
  Bytes seal(snp::SnpMsgType type, ByteSpan payload, uint64_t seqno, uint8_t vmpck_idx = 0,
             std::optional<Bytes> key = std::nullopt) {
    snp::GuestMsgHeader h;
    h.msg_type = static_cast<uint8_t>(type);
    h.msg_seqno = seqno;
    h.msg_vmpck = vmpck_idx;
    const Bytes k = key ? *key : vmpck(vmpck_idx);
    return snp::snp_guest_msg_seal(k, h, payload);
  }
  // KVM's side: the request copied into its page, SNP_GUEST_REQUEST, the mailbox status.
  SevStatus request(ByteSpan msg) {
    Bytes page(kPageSize, 0);
    std::copy(msg.begin(), msg.end(), page.begin());
    host_write(kReqPage, page);
    host_write(kRspPage, Bytes(kPageSize, 0));
    return cmd(SevCmd::SnpGuestRequest, request_buf());
  }
  Bytes request_buf(uint64_t gctx = kGctx) {
    Bytes b(kSnpGuestRequestLen, 0);
    store_le(b.data(), gctx);
    store_le(b.data() + 8, kReqPage | c());
    store_le(b.data() + 16, kRspPage | c());
    return b;
  }
  Bytes response_page() { return host_read(kRspPage, kPageSize); }
  // The guest opens the response with VMPCK<i>; nullopt if it does not authenticate.
  std::optional<Bytes> open_response(unsigned i, snp::GuestMsgHeader* h = nullptr) {
    const Bytes page = response_page();
    return snp::snp_guest_msg_open(vmpck(i), page, h, nullptr);
  }

  // One MSG_REPORT_REQ under VMPCK<vmpck> with the guest's next sequence number; the report
  // (0x4A0 bytes) from the response, or nullopt with *status set when STATUS is not 0.
  struct ReportAnswer {
    SevStatus mailbox = SevStatus::Success;
    uint32_t status = ~0u;
    Bytes report;
  };
  ReportAnswer get_report(const snp::MsgReportReq& req, uint8_t vmpck_idx = 0) {
    ReportAnswer a;
    a.mailbox = request(
        seal(snp::SnpMsgType::ReportReq, req.serialize(), next_seqno(vmpck_idx), vmpck_idx));
    if (a.mailbox != SevStatus::Success) return a;
    bump(vmpck_idx);
    const auto rsp = open_response(vmpck_idx);
    if (!rsp) return a;
    a.status = load_le<uint32_t>(rsp->data());
    a.report.assign(rsp->begin() + snp::kMsgReportRspHeaderSize,
                    rsp->begin() + snp::kMsgReportRspHeaderSize + ::cbit::psp::kReportSize);
    return a;
  }
  struct KeyAnswer {
    SevStatus mailbox = SevStatus::Success;
    uint32_t status = ~0u;
    Bytes key;
  };
  KeyAnswer get_key(const snp::MsgKeyReq& req, uint8_t vmpck_idx = 0) {
    KeyAnswer a;
    a.mailbox =
        request(seal(snp::SnpMsgType::KeyReq, req.serialize(), next_seqno(vmpck_idx), vmpck_idx));
    if (a.mailbox != SevStatus::Success) return a;
    bump(vmpck_idx);
    const auto rsp = open_response(vmpck_idx);
    if (!rsp) return a;
    a.status = load_le<uint32_t>(rsp->data());
    a.key.assign(rsp->begin() + snp::kMsgKeyRspKeyOffset, rsp->begin() + snp::kMsgKeyRspSize);
    return a;
  }

  // The guest's message counters (Linux keeps them in the secrets page's OS area).
  uint64_t next_seqno(unsigned i) const { return seqno[i] + 1; }
  void bump(unsigned i) { seqno[i] += 2; }
  std::array<uint64_t, 4> seqno{};
};

}  // namespace cbit::hw::psp::sev::test
