// SNP_GUEST_REQUEST (AMD-ASPFW sev_mcmd.c snp_mcmd_guest_request; SNP-FACTS.md §2.4, §3.1).
//
// The hypervisor hands the firmware a guest's encrypted message (KVM copies it out of the
// guest's shared page into a page of its own) and a response page in Firmware state. Checks in
// ASPFW's order, each a mailbox status with no response written ("the hypervisor messed up"):
//   reserved bits of the GCTX address -> INVALID_PARAM; SNP not INIT -> INVALID_PLATFORM_STATE;
//   a page the RMP does not cover -> INVALID_ADDRESS; GCTX not Context -> INVALID_GUEST; the
//   response page not Firmware -> INVALID_PAGE_STATE; either page 2 MiB -> INVALID_PAGE_SIZE;
//   guest not RUNNING -> INVALID_GUEST_STATE; the header crossing its page, HDR_VERSION,
//   HDR_SIZE, ALGO, MSG_SIZE (zero or not a multiple of 16), the payload past the page or
//   MSG_VMPCK > 3 -> INVALID_PARAM (psp/snp/guest_msg.h makes the structural checks);
//   AES-256-GCM authentication under VMPCK[MSG_VMPCK] fails -> BAD_MEASUREMENT (ASPFW's
//   aes256gcm_authenticated_decrypt answers so); MSG_SEQNO != msg_count + 1, or the count at
//   2^64 - 2 -> AEAD_OFLOW (a replayed, reordered or skipped message); MSG_VERSION 0 or above
//   the firmware's (1 for every type) -> INVALID_PARAM; a message type this firmware does not
//   handle -> INVALID_PARAM (ASPFW's `default:`; cbit handles MSG_REPORT_REQ and MSG_KEY_REQ;
//   CPUID, EXPORT/IMPORT/ABSORB, VMRK and TSC_INFO are not modelled and are refused the same way).
// A request that passes is answered ("the guest messed up" goes into the response's STATUS):
// the response is sealed under the same VMPCK with MSG_SEQNO = request + 1, written to the
// response page, and the count for that VMPCK moves on by two. The hypervisor sees only
// ciphertext on both sides.
#include <openssl/crypto.h>

#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"
#include "psp/snp/guest_msg.h"

namespace cbit::hw::psp::sev {

namespace snp = ::cbit::psp::snp;

namespace {
constexpr uint8_t kMaxMsgVersion = 1;  // ASPFW SNP_GMSG_MAX_MSG_VERSION_*: 1 for every type
}

// struct sev_data_snp_guest_request { u64 gctx_paddr; u64 req_paddr; u64 res_paddr; }
SevStatus SevFirmware::cmd_snp_guest_request(Bytes& buf) {
  const uint64_t gctx = load_le<uint64_t>(buf.data());
  const uint64_t req = load_le<uint64_t>(buf.data() + 8);
  const uint64_t rsp = load_le<uint64_t>(buf.data() + 16);
  if (snp_addr_reserved(gctx)) return SevStatus::InvalidParam;
  if (snp_state_ != SnpPlatformState::Init) return SevStatus::InvalidPlatformState;
  SysPhysAddr gpa, qpa, spa;
  rmp::RmpEntry ge, qe, se;
  if (SevStatus st = snp_rmp_read(gctx, &gpa, &ge); st != SevStatus::Success) return st;
  if (SevStatus st = snp_rmp_read(req, &qpa, &qe); st != SevStatus::Success) return st;
  if (SevStatus st = snp_rmp_read(rsp, &spa, &se); st != SevStatus::Success) return st;
  SnpGuestContext* g = snp_guest(gctx);
  if (rmp::rmp_entry_get_state(ge) != rmp::PageState::Context || !g) return SevStatus::InvalidGuest;
  if (rmp::rmp_entry_get_state(se) != rmp::PageState::Firmware) return SevStatus::InvalidPageState;
  if (se.page_size_2m || qe.page_size_2m) return SevStatus::InvalidPageSize;
  if (g->state != SnpGuestState::Running) return SevStatus::InvalidGuestState;

  // The request: its header must fit in the page, then the payload MSG_SIZE names.
  const uint64_t req_off = strip_cbit(req) & (kPageSize - 1);
  if (req_off > kPageSize - snp::kGuestMsgHeaderSize) return SevStatus::InvalidParam;
  Bytes msg(kPageSize - req_off);
  if (SevStatus st = host_read(req, MutByteSpan(msg.data(), snp::kGuestMsgHeaderSize));
      st != SevStatus::Success)
    return st;
  const auto hdr = snp::GuestMsgHeader::parse(msg);
  if (!hdr || snp::snp_guest_msg_check_header(msg, *hdr) != snp::GuestMsgError::None)
    return SevStatus::InvalidParam;
  if (SevStatus st = host_read(req + snp::kGuestMsgHeaderSize,
                               MutByteSpan(msg.data() + snp::kGuestMsgHeaderSize, hdr->msg_size));
      st != SevStatus::Success)
    return st;
  msg.resize(snp::kGuestMsgHeaderSize + hdr->msg_size);

  // Copied, as ASPFW does: the response uses the key the request came under.
  std::array<uint8_t, 32> vmpck = g->vmpck[hdr->msg_vmpck];
  uint64_t& count = g->msg_count[hdr->msg_vmpck];
  Bytes payload, out;
  SevStatus st = SevStatus::Success;
  snp::GuestMsgError err = snp::GuestMsgError::None;
  auto plain = snp::snp_guest_msg_open(vmpck, msg, nullptr, &err);
  if (!plain) {
    st = err == snp::GuestMsgError::Auth ? SevStatus::BadMeasurement : SevStatus::InvalidParam;
  } else if (!snp::snp_msg_seqno_ok(count, hdr->msg_seqno)) {
    st = SevStatus::AeadOflow;
  } else if (hdr->msg_version == 0 || hdr->msg_version > kMaxMsgVersion) {
    st = SevStatus::InvalidParam;
  } else {
    snp::GuestMsgHeader rh;
    switch (static_cast<snp::SnpMsgType>(hdr->msg_type)) {
      case snp::SnpMsgType::ReportReq:
        rh.msg_type = static_cast<uint8_t>(snp::SnpMsgType::ReportRsp);
        st = snp_msg_report(*g, hdr->msg_vmpck, *plain, payload);
        break;
      case snp::SnpMsgType::KeyReq:
        rh.msg_type = static_cast<uint8_t>(snp::SnpMsgType::KeyRsp);
        st = snp_msg_key(*g, hdr->msg_vmpck, *plain, payload);
        break;
      default:
        st = SevStatus::InvalidParam;
        break;
    }
    if (st == SevStatus::Success) {
      rh.msg_version = kMaxMsgVersion;
      rh.msg_vmpck = hdr->msg_vmpck;
      rh.msg_seqno = hdr->msg_seqno + 1;
      const uint64_t rsp_off = strip_cbit(rsp) & (kPageSize - 1);
      if (rsp_off + snp::kGuestMsgHeaderSize + payload.size() > kPageSize) {
        st = SevStatus::InvalidParam;
      } else {
        out = snp::snp_guest_msg_seal(vmpck, rh, payload);
        count += 2;
        st = host_write(rsp, out);
      }
    }
  }
  if (plain) OPENSSL_cleanse(plain->data(), plain->size());
  OPENSSL_cleanse(payload.data(), payload.size());
  OPENSSL_cleanse(vmpck.data(), vmpck.size());
  return st;
}

}  // namespace cbit::hw::psp::sev
