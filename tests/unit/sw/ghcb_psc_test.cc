// The Page State Change buffer and MSR codes: layout, the hypervisor's checks with a control for
// each error, and the SNP GHCB constants.
#include <gtest/gtest.h>

#include "sw/ghcb/ghcb.h"
#include "sw/ghcb/psc.h"

namespace cbit::sw::ghcb {
namespace {

PscEntry e(uint64_t gfn, PscOp op, bool huge = false) {
  PscEntry x;
  x.gfn = gfn;
  x.operation = static_cast<uint8_t>(op);
  x.pagesize_2m = huge;
  return x;
}

TEST(GhcbPsc, EntryBitLayoutIsLinuxs) {
  PscEntry x = e(0x12345, PscOp::Shared, true);
  x.cur_page = 0x7;
  EXPECT_EQ(x.encode(), 0x7ull | 0x12345ull << 12 | 2ull << 52 | 1ull << 56);
  EXPECT_EQ(PscEntry::decode(x.encode()), x);
  EXPECT_EQ(PscEntry::decode(~0ull).reserved, 0x7f);
  EXPECT_EQ(PscEntry::decode(~0ull).gfn, (1ull << 40) - 1);
}

TEST(GhcbPsc, BufferRoundTrips) {
  const PscBuffer b = PscBuffer::make({e(1, PscOp::Private), e(0x200, PscOp::Shared, true)});
  const Bytes bytes = b.serialize();
  ASSERT_EQ(bytes.size(), 8u + 16u);
  EXPECT_EQ(load_le<uint16_t>(bytes.data()), 0u);
  EXPECT_EQ(load_le<uint16_t>(bytes.data() + 2), 1u);
  const PscDecode d = psc_decode(bytes);
  EXPECT_EQ(d.error, 0u);
  EXPECT_EQ(d.buffer.entries, b.entries);
  EXPECT_EQ(kPscBufferSize, 2032u);
}

TEST(GhcbPsc, InvalidHeader) {
  PscBuffer b = PscBuffer::make({e(1, PscOp::Private), e(2, PscOp::Private)});
  b.cur_entry = 2;  // past end_entry
  EXPECT_EQ(psc_decode(b.serialize()).error, kPscErrorInvalidHdr);
  b.cur_entry = 1;  // control: resuming at the last entry is fine
  EXPECT_EQ(psc_decode(b.serialize()).error, 0u);
  Bytes big(kPscBufferSize + 8, 0);
  store_le<uint16_t>(big.data() + 2, 253);  // end_entry must be < 253
  EXPECT_EQ(psc_decode(big).error, kPscErrorInvalidHdr);
  store_le<uint16_t>(big.data() + 2, 252);
  EXPECT_NE(psc_decode(big).error, kPscErrorInvalidHdr);          // header fine (entries are op 0)
  EXPECT_EQ(psc_decode(Bytes(4, 0)).error, kPscErrorInvalidHdr);  // shorter than a header
  Bytes shortbuf = PscBuffer::make({e(1, PscOp::Private)}).serialize();
  store_le<uint16_t>(shortbuf.data() + 2, 5);  // claims entries beyond the bytes
  EXPECT_EQ(psc_decode(shortbuf).error, kPscErrorInvalidHdr);
}

TEST(GhcbPsc, InvalidEntry) {
  auto err = [](PscEntry x) { return psc_decode(PscBuffer::make({x}).serialize()).error; };
  EXPECT_EQ(err(e(0x200, PscOp::Private, true)), 0u);                     // control
  EXPECT_EQ(err(e(0x201, PscOp::Private, true)), kPscErrorInvalidEntry);  // 2M, not aligned
  EXPECT_EQ(err(e(0x200, PscOp::Psmash)), kPscErrorInvalidEntry);         // a hint KVM refuses
  EXPECT_EQ(err(e(0x200, PscOp::Unsmash)), kPscErrorInvalidEntry);
  PscEntry x = e(5, PscOp::Private);
  x.operation = 0;
  EXPECT_EQ(err(x), kPscErrorInvalidEntry);
  x = e(5, PscOp::Private);
  x.cur_page = 2;  // a 4K entry has one page
  EXPECT_EQ(err(x), kPscErrorInvalidEntry);
  x.cur_page = 1;  // control: done already
  EXPECT_EQ(err(x), 0u);
}

TEST(GhcbPsc, EntriesBeforeCurEntryAreNotRechecked) {
  PscBuffer b = PscBuffer::make({e(0, static_cast<PscOp>(9)), e(1, PscOp::Shared)});
  EXPECT_EQ(psc_decode(b.serialize()).error, kPscErrorInvalidEntry);
  b.cur_entry = 1;
  EXPECT_EQ(psc_decode(b.serialize()).error, 0u);
}

TEST(GhcbPsc, MsrProtocol) {
  namespace mp = msr_proto;
  const uint64_t req = mp::psc_req(0xABCDE, PscOp::Shared);
  EXPECT_EQ(req, 0xABCDEull << 12 | 2ull << 52 | 0x014);
  EXPECT_EQ(mp::code(req), mp::kPscReq);
  EXPECT_EQ(mp::psc_req_gfn(req), 0xABCDEu);
  EXPECT_EQ(mp::psc_req_op(req), 2u);
  EXPECT_EQ(mp::psc_resp(0), 0x015u);
  EXPECT_EQ(mp::psc_resp_error(mp::psc_resp(7)), 7u);
  EXPECT_EQ(mp::hv_features(mp::hv_features_resp(mp::kHvFtSnp | mp::kHvFtSnpApCreation)), 3u);
  EXPECT_EQ(mp::code(mp::hv_features_resp(1)), mp::kHvFeaturesResp);
  const uint64_t t = mp::term(mp::kTermSetLinux, mp::kTermLinuxCpuid);
  EXPECT_EQ(mp::term_set(t), 1u);
  EXPECT_EQ(mp::term_reason(t), 4u);
}

TEST(GhcbPsc, ApCreationExitInfo) {
  const uint64_t i1 = vmgexit::ap_creation_info1(5, 1, vmgexit::kApCreate);
  EXPECT_EQ(i1, 5ull << 32 | 1ull << 16 | 1);
  EXPECT_EQ(vmgexit::ap_apic_id(i1), 5u);
  EXPECT_EQ(vmgexit::ap_vmpl(i1), 1u);
  EXPECT_EQ(vmgexit::ap_request(i1), vmgexit::kApCreate);
}

}  // namespace
}  // namespace cbit::sw::ghcb
