// SNP_GUEST_REQUEST's mailbox side (hw/psp/sev/commands/snp_guest_request.cc): the checks that
// answer the hypervisor with a status and no response, in ASPFW's order, and the sequence-number
// rule; each refusal beside the request that passes.
#include <gtest/gtest.h>

#include "snp_msg_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

using snp::SnpMsgType;

Bytes report_req(uint32_t vmpl = 0) {
  snp::MsgReportReq q;
  q.vmpl = vmpl;
  q.report_data.fill(0xAB);
  return q.serialize();
}

TEST(SnpGuestRequest, PageAndGuestChecksInAspfwOrder) {
  SnpMsgRig r;
  r.launching_guest();
  Bytes b = r.request_buf();
  // The response page is not Firmware yet: checked before the guest's state (ASPFW).
  EXPECT_EQ(r.cmd(SevCmd::SnpGuestRequest, b), SevStatus::InvalidPageState);
  r.make_firmware(kRspPage);
  EXPECT_EQ(r.cmd(SevCmd::SnpGuestRequest, b), SevStatus::InvalidGuestState);  // still LAUNCH
  store_le(b.data(), kGctx | 0x10);
  EXPECT_EQ(r.cmd(SevCmd::SnpGuestRequest, b), SevStatus::InvalidParam);  // reserved GCTX bits
  store_le(b.data(), kRspPage);
  EXPECT_EQ(r.cmd(SevCmd::SnpGuestRequest, b), SevStatus::InvalidGuest);  // not a context page
}

TEST(SnpGuestRequest, ReportRequestIsAnsweredUnderTheSameKey) {
  SnpMsgRig r;
  r.running_guest();
  ASSERT_EQ(r.request(r.seal(SnpMsgType::ReportReq, report_req(), 1)), SevStatus::Success);
  snp::GuestMsgHeader h;
  const auto rsp = r.open_response(0, &h);
  ASSERT_TRUE(rsp.has_value());
  EXPECT_EQ(h.msg_seqno, 2u);  // request + 1
  EXPECT_EQ(h.msg_type, static_cast<uint8_t>(SnpMsgType::ReportRsp));
  EXPECT_EQ(h.msg_vmpck, 0);
  EXPECT_EQ(h.msg_version, 1);
  EXPECT_EQ(rsp->size(), snp::kMsgReportRspHeaderSize + ::cbit::psp::kReportSize);
  EXPECT_EQ(load_le<uint32_t>(rsp->data()), snp::kMsgStatusSuccess);
  EXPECT_EQ(load_le<uint32_t>(rsp->data() + 4), ::cbit::psp::kReportSize);
  // The other VMPCKs do not open it (control: VMPCK0 did).
  EXPECT_FALSE(r.open_response(1).has_value());
  // The hypervisor's copy of the response is ciphertext: the REPORT_DATA is not in it.
  const Bytes page = r.response_page();
  EXPECT_EQ(count_occurrences(page, Bytes(64, 0xAB)), 0u);
  EXPECT_EQ(count_occurrences(*rsp, Bytes(64, 0xAB)), 1u);
}

TEST(SnpGuestRequest, SequenceNumbersMustAdvance) {
  SnpMsgRig r;
  r.running_guest();
  const Bytes first = r.seal(SnpMsgType::ReportReq, report_req(), 1);
  ASSERT_EQ(r.request(first), SevStatus::Success);
  // Replay of the same message: refused, nothing written.
  EXPECT_EQ(r.request(first), SevStatus::AeadOflow);
  EXPECT_FALSE(r.open_response(0).has_value());
  // Skipping one (5 instead of 3): refused.
  EXPECT_EQ(r.request(r.seal(SnpMsgType::ReportReq, report_req(), 5)), SevStatus::AeadOflow);
  // Even numbers are the firmware's: 2 is refused too.
  EXPECT_EQ(r.request(r.seal(SnpMsgType::ReportReq, report_req(), 2)), SevStatus::AeadOflow);
  // Control: the next one, 3, passes; its answer carries 4.
  ASSERT_EQ(r.request(r.seal(SnpMsgType::ReportReq, report_req(), 3)), SevStatus::Success);
  snp::GuestMsgHeader h;
  ASSERT_TRUE(r.open_response(0, &h).has_value());
  EXPECT_EQ(h.msg_seqno, 4u);
  // Each VMPCK counts on its own: VMPCK1 starts at 1.
  ASSERT_EQ(r.request(r.seal(SnpMsgType::ReportReq, report_req(1), 1, 1)), SevStatus::Success);
  EXPECT_TRUE(r.open_response(1).has_value());
}

TEST(SnpGuestRequest, CountAtTheTopOverflows) {
  SnpMsgRig r;
  r.running_guest();
  // Walking 2^63 requests is not possible: the firmware's count is set through the only path
  // that exists, the accepted request. A request at seqno 2^64 - 1 would need count 2^64 - 2,
  // which is the overflow value itself: refused even though it is count + 1 for that count.
  const uint64_t top = ~uint64_t{0};
  EXPECT_EQ(r.request(r.seal(SnpMsgType::ReportReq, report_req(), top)), SevStatus::AeadOflow);
  EXPECT_EQ(r.request(r.seal(SnpMsgType::ReportReq, report_req(), top - 2)), SevStatus::AeadOflow);
  // Control: the count is still 0, so seqno 1 works.
  EXPECT_EQ(r.request(r.seal(SnpMsgType::ReportReq, report_req(), 1)), SevStatus::Success);
}

// The rule itself at the top of the range, which no test can walk to through the mailbox.
TEST(SnpGuestRequest, SeqnoRuleRefusesTheLastCount) {
  constexpr uint64_t kTop = ~uint64_t{0};
  static_assert(!snp::snp_msg_seqno_ok(kTop - 1, kTop));     // count + 1, but the count is full
  static_assert(snp::snp_msg_seqno_ok(kTop - 3, kTop - 2));  // control: the one before
  static_assert(!snp::snp_msg_seqno_ok(4, 4) && !snp::snp_msg_seqno_ok(4, 6));
  EXPECT_TRUE(snp::snp_msg_seqno_ok(0, 1));
  EXPECT_FALSE(snp::snp_msg_seqno_ok(kTop - 1, kTop));
}

TEST(SnpGuestRequest, TamperedOrWrongKeyIsBadMeasurement) {
  SnpMsgRig r;
  r.running_guest();
  Bytes msg = r.seal(SnpMsgType::ReportReq, report_req(), 1);
  Bytes flipped = msg;
  flipped[snp::kGuestMsgHeaderSize + 3] ^= 1;  // payload
  EXPECT_EQ(r.request(flipped), SevStatus::BadMeasurement);
  flipped = msg;
  flipped[snp::guest_msg_off::kMsgType] = static_cast<uint8_t>(SnpMsgType::KeyReq);  // AAD
  EXPECT_EQ(r.request(flipped), SevStatus::BadMeasurement);
  flipped = msg;
  flipped[snp::guest_msg_off::kMsgSeqno] = 3;  // IV
  EXPECT_EQ(r.request(flipped), SevStatus::BadMeasurement);
  // Sealed with VMPCK1 but naming VMPCK0.
  EXPECT_EQ(r.request(r.seal(SnpMsgType::ReportReq, report_req(), 1, 0, r.vmpck(1))),
            SevStatus::BadMeasurement);
  // A refused message does not move the count: the original still passes.
  EXPECT_EQ(r.request(msg), SevStatus::Success);
}

TEST(SnpGuestRequest, EachHeaderCheckIsInvalidParam) {
  SnpMsgRig r;
  r.running_guest();
  const Bytes good = r.seal(SnpMsgType::ReportReq, report_req(), 1);
  struct Edit {
    const char* what;
    size_t off;
    uint8_t value;
  };
  const Edit edits[] = {
      {"HDR_VERSION 2", snp::guest_msg_off::kHdrVersion, 2},
      {"HDR_SIZE 0x70", snp::guest_msg_off::kHdrSize, 0x70},
      {"ALGO 2", snp::guest_msg_off::kAlgo, 2},
      {"MSG_SIZE 0x61", snp::guest_msg_off::kMsgSize, 0x61},
      {"MSG_SIZE 0", snp::guest_msg_off::kMsgSize, 0},
      {"MSG_VMPCK 4", snp::guest_msg_off::kMsgVmpck, 4},
  };
  for (const Edit& e : edits) {
    Bytes m = good;
    m[e.off] = e.value;
    if (e.off == snp::guest_msg_off::kMsgSize) m[e.off + 1] = 0;
    EXPECT_EQ(r.request(m), SevStatus::InvalidParam) << e.what;
  }
  Bytes past = good;  // MSG_SIZE 0xFB0: header + payload past the page
  store_le<uint16_t>(past.data() + snp::guest_msg_off::kMsgSize, 0xFB0);
  EXPECT_EQ(r.request(past), SevStatus::InvalidParam);
  EXPECT_EQ(r.request(good), SevStatus::Success);  // control
}

TEST(SnpGuestRequest, MessageVersionAndTypeAreChecked) {
  SnpMsgRig r;
  r.running_guest();
  auto with_version = [&](uint8_t v, uint64_t seq) {
    snp::GuestMsgHeader h;
    h.msg_type = static_cast<uint8_t>(SnpMsgType::ReportReq);
    h.msg_version = v;
    h.msg_seqno = seq;
    return snp::snp_guest_msg_seal(r.vmpck(0), h, report_req());
  };
  EXPECT_EQ(r.request(with_version(0, 1)), SevStatus::InvalidParam);
  EXPECT_EQ(r.request(with_version(2, 1)), SevStatus::InvalidParam);
  // Types cbit does not handle (CPUID, TSC_INFO, a response type, an unknown one): refused
  // with no response, as ASPFW's default case does for an unknown one.
  for (auto t : {SnpMsgType::CpuidReq, SnpMsgType::TscInfoReq, SnpMsgType::ReportRsp,
                 static_cast<SnpMsgType>(0x40)})
    EXPECT_EQ(r.request(r.seal(t, report_req(), 1)), SevStatus::InvalidParam)
        << static_cast<int>(t);
  EXPECT_EQ(r.request(with_version(1, 1)), SevStatus::Success);  // control
}

TEST(SnpGuestRequest, RequestHeaderMayNotCrossItsPage) {
  SnpMsgRig r;
  r.running_guest();
  Bytes b = r.request_buf();
  store_le(b.data() + 8, (kReqPage + 0xFA8) | r.c());
  EXPECT_EQ(r.cmd(SevCmd::SnpGuestRequest, b), SevStatus::InvalidParam);
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
