// SNP guest messages: the header layout, AES-256-GCM with the spec's IV and AAD, the structural
// checks in the firmware's order, and the request payloads.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>

#include "psp/snp/cert_table.h"
#include "psp/snp/guest_msg.h"

namespace cbit::psp::snp {
namespace {

Bytes key(uint8_t fill) { return Bytes(32, fill); }

GuestMsgHeader report_hdr(uint64_t seqno, uint8_t vmpck = 0) {
  GuestMsgHeader h;
  h.msg_seqno = seqno;
  h.msg_type = static_cast<uint8_t>(SnpMsgType::ReportReq);
  h.msg_vmpck = vmpck;
  return h;
}

Bytes payload() {
  MsgReportReq r;
  for (size_t i = 0; i < r.report_data.size(); ++i) r.report_data[i] = static_cast<uint8_t>(i);
  r.vmpl = 1;
  r.key_sel = 1;
  return r.serialize();
}

TEST(SnpGuestMsg, HeaderFieldsSitAtTheirOffsets) {
  GuestMsgHeader h = report_hdr(0x1122334455667788, 2);
  h.msg_size = 0x60;
  const auto b = h.serialize();
  EXPECT_EQ(load_le<uint64_t>(b.data() + 0x20), 0x1122334455667788u);
  EXPECT_EQ(b[0x30], 1);  // AES-256-GCM
  EXPECT_EQ(b[0x31], 1);  // header version
  EXPECT_EQ(load_le<uint16_t>(b.data() + 0x32), 0x60);
  EXPECT_EQ(b[0x34], 5);  // MSG_REPORT_REQ
  EXPECT_EQ(b[0x35], 1);
  EXPECT_EQ(load_le<uint16_t>(b.data() + 0x36), 0x60);
  EXPECT_EQ(b[0x3C], 2);
  EXPECT_EQ(GuestMsgHeader::parse(b)->msg_seqno, h.msg_seqno);
  EXPECT_FALSE(GuestMsgHeader::parse(ByteSpan(b).first(0x5F)));
}

TEST(SnpGuestMsg, SealThenOpenRoundTrips) {
  const Bytes k = key(0x42), p = payload();
  const Bytes msg = snp_guest_msg_seal(k, report_hdr(1), p);
  ASSERT_EQ(msg.size(), kGuestMsgHeaderSize + p.size());
  GuestMsgHeader h;
  GuestMsgError e = GuestMsgError::Short;
  const auto out = snp_guest_msg_open(k, msg, &h, &e);
  ASSERT_TRUE(out) << guest_msg_error_name(e);
  EXPECT_EQ(*out, p);
  EXPECT_EQ(e, GuestMsgError::None);
  EXPECT_EQ(h.msg_size, p.size());
  // The payload is not in the clear on the wire.
  EXPECT_NE(Bytes(msg.begin() + kGuestMsgHeaderSize, msg.end()), p);
}

// The layout, checked with OpenSSL directly: IV = seqno LE then four zero bytes, AAD = header
// 0x30..0x5F, tag in the first 16 bytes of AUTHTAG and the other 16 zero.
TEST(SnpGuestMsg, IvAadAndTagFollowTheSpec) {
  const Bytes k = key(7), p = payload();
  const uint64_t seqno = 0x0102030405060708;
  const Bytes msg = snp_guest_msg_seal(k, report_hdr(seqno), p);
  for (size_t i = 16; i < 32; ++i) EXPECT_EQ(msg[i], 0) << i;
  std::array<uint8_t, 12> iv{};
  store_le<uint64_t>(iv.data(), seqno);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int len = 0;
  Bytes out(p.size());
  ASSERT_EQ(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), nullptr, k.data(), iv.data()), 1);
  ASSERT_EQ(EVP_DecryptUpdate(c, nullptr, &len, msg.data() + 0x30, 0x30), 1);
  ASSERT_EQ(EVP_DecryptUpdate(c, out.data(), &len, msg.data() + 0x60, static_cast<int>(p.size())),
            1);
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, const_cast<uint8_t*>(msg.data())), 1);
  EXPECT_EQ(EVP_DecryptFinal_ex(c, out.data() + len, &len), 1);
  EVP_CIPHER_CTX_free(c);
  EXPECT_EQ(out, p);
}

TEST(SnpGuestMsg, AnyChangedBitIsRefused) {
  const Bytes k = key(1);
  const Bytes msg = snp_guest_msg_seal(k, report_hdr(3), payload());
  // Control: the untouched message opens.
  ASSERT_TRUE(snp_guest_msg_open(k, msg, nullptr, nullptr));
  // Tag, seqno (IV), AAD fields (type, version, vmpck) and payload are all covered.
  for (size_t at :
       {size_t{0}, size_t{0x20}, size_t{0x34}, size_t{0x35}, size_t{0x60}, msg.size() - 1}) {
    Bytes bad = msg;
    bad[at] ^= 1;
    GuestMsgError e = GuestMsgError::None;
    EXPECT_FALSE(snp_guest_msg_open(k, bad, nullptr, &e)) << at;
    EXPECT_EQ(e, GuestMsgError::Auth) << at;
  }
  // The unused half of AUTHTAG must stay zero.
  Bytes bad = msg;
  bad[0x1F] = 1;
  EXPECT_FALSE(snp_guest_msg_open(k, bad, nullptr, nullptr));
  // Another VMPCK cannot open it.
  GuestMsgError e = GuestMsgError::None;
  EXPECT_FALSE(snp_guest_msg_open(key(2), msg, nullptr, &e));
  EXPECT_EQ(e, GuestMsgError::Auth);
}

TEST(SnpGuestMsg, SequenceNumberChangesTheCiphertext) {
  const Bytes k = key(9), p = payload();
  const Bytes a = snp_guest_msg_seal(k, report_hdr(1), p);
  const Bytes b = snp_guest_msg_seal(k, report_hdr(3), p);
  EXPECT_NE(Bytes(a.begin() + 0x60, a.end()), Bytes(b.begin() + 0x60, b.end()));
}

TEST(SnpGuestMsg, StructuralChecksInTheFirmwaresOrder) {
  const Bytes k = key(3);
  const Bytes good = snp_guest_msg_seal(k, report_hdr(1), payload());
  auto check = [&](auto edit) {
    Bytes m = good;
    edit(m);
    return snp_guest_msg_check_header(m, *GuestMsgHeader::parse(m));
  };
  EXPECT_EQ(check([](Bytes&) {}), GuestMsgError::None);
  EXPECT_EQ(check([](Bytes& m) { m[0x31] = 2; }), GuestMsgError::HdrVersion);
  EXPECT_EQ(check([](Bytes& m) { m[0x32] = 0x50; }), GuestMsgError::HdrSize);
  EXPECT_EQ(check([](Bytes& m) { m[0x30] = 0; }), GuestMsgError::Algo);
  EXPECT_EQ(check([](Bytes& m) { store_le<uint16_t>(m.data() + 0x36, 0); }),
            GuestMsgError::MsgSize);
  EXPECT_EQ(check([](Bytes& m) { store_le<uint16_t>(m.data() + 0x36, 0x61); }),
            GuestMsgError::MsgSize);
  EXPECT_EQ(check([](Bytes& m) { store_le<uint16_t>(m.data() + 0x36, 0x70); }),
            GuestMsgError::PayloadBounds);  // one block past the buffer
  EXPECT_EQ(check([](Bytes& m) {
              m.resize(4096);
              store_le<uint16_t>(m.data() + 0x36, 0x0FB0);
            }),
            GuestMsgError::PayloadBounds);  // past the page
  EXPECT_EQ(check([](Bytes& m) { m[0x3C] = 4; }), GuestMsgError::Vmpck);
  // Order: a bad version is reported before a bad algorithm.
  EXPECT_EQ(check([](Bytes& m) {
              m[0x31] = 0;
              m[0x30] = 0;
            }),
            GuestMsgError::HdrVersion);
  GuestMsgError e = GuestMsgError::None;
  EXPECT_FALSE(snp_guest_msg_open(k, ByteSpan(good).first(0x20), nullptr, &e));
  EXPECT_EQ(e, GuestMsgError::Short);
}

TEST(SnpGuestMsg, SealRefusesPayloadsTheSpecCannotCarry) {
  EXPECT_THROW(snp_guest_msg_seal(key(1), report_hdr(1), Bytes(15)), std::invalid_argument);
  EXPECT_THROW(snp_guest_msg_seal(key(1), report_hdr(1), Bytes()), std::invalid_argument);
  EXPECT_THROW(snp_guest_msg_seal(key(1), report_hdr(1), Bytes(4096)), std::invalid_argument);
  EXPECT_THROW(snp_guest_msg_seal(Bytes(16), report_hdr(1), Bytes(16)), std::invalid_argument);
}

TEST(SnpGuestMsg, RequestPayloadsParseTheirFields) {
  const auto r = MsgReportReq::parse(payload());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->report_data[63], 63);
  EXPECT_EQ(r->vmpl, 1u);
  EXPECT_EQ(r->key_sel, 1u);
  EXPECT_TRUE(r->reserved_zero);
  Bytes p = payload();
  p[0x5F] = 1;
  EXPECT_FALSE(MsgReportReq::parse(p)->reserved_zero);
  EXPECT_FALSE(MsgReportReq::parse(Bytes(0x5F)));

  MsgKeyReq k;
  k.flags = 1 | (2 << 1);
  k.guest_field_select = 0x3F;
  k.vmpl = 2;
  k.guest_svn = 5;
  k.tcb_version = 0x7300000000000003;
  const Bytes kb = k.serialize();
  ASSERT_EQ(kb.size(), 0x20u);
  const auto kp = MsgKeyReq::parse(kb);
  ASSERT_TRUE(kp);
  EXPECT_EQ(kp->root_key_select(), 1u);
  EXPECT_EQ(kp->key_sel(), 2u);
  EXPECT_EQ(kp->guest_field_select, 0x3Fu);
  EXPECT_EQ(kp->vmpl, 2u);
  EXPECT_EQ(kp->guest_svn, 5u);
  EXPECT_EQ(kp->tcb_version, 0x7300000000000003u);
  EXPECT_EQ(load_le<uint32_t>(kb.data() + 0x10), 2u);
}

TEST(SnpCertTable, GuidsUseRfc4122ByteOrder) {
  // The VCEK GUID as stored by AMD's sev-guest tools, go-sev-guest and virtee/sev: the text's
  // bytes in order (EFI's mixed-endian form would start 8d 75 da 63).
  const CertGuid& g = cert_guid_vcek();
  EXPECT_EQ(g[0], 0x63);
  EXPECT_EQ(g[3], 0x8d);
  EXPECT_EQ(g[4], 0xe6);
  EXPECT_EQ(g[8], 0xad);
  EXPECT_EQ(cert_guid_to_string(g), "63da758d-e664-4564-adc5-f4b93be8accd");
  EXPECT_STREQ(cert_guid_name(cert_guid_ark()), "ARK");
  EXPECT_FALSE(cert_guid_from_string("63da758d-e664-4564-adc5-f4b93be8accz"));
  EXPECT_FALSE(cert_guid_from_string("63da758de664-4564-adc5-f4b93be8accd0"));
}

TEST(SnpCertTable, BuildThenParseAndRefuseBadOffsets) {
  const std::vector<CertEntry> in = {{cert_guid_vcek(), Bytes(1000, 0xAA)},
                                     {cert_guid_ask(), Bytes(1500, 0xBB)},
                                     {cert_guid_ark(), Bytes(1501, 0xCC)}};
  const Bytes t = cert_table_build(in);
  EXPECT_EQ(load_le<uint32_t>(t.data() + 16), 96u);  // 3 entries + terminator
  std::string why;
  const auto out = cert_table_parse(t, &why);
  ASSERT_TRUE(out) << why;
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[2].data, in[2].data);
  EXPECT_EQ((*out)[1].guid, cert_guid_ask());
  // No terminator within the buffer.
  EXPECT_FALSE(cert_table_parse(ByteSpan(t).first(48), &why));
  // An entry pointing past the buffer.
  Bytes bad = t;
  store_le<uint32_t>(bad.data() + 20, 0xFFFFFFFF);
  EXPECT_FALSE(cert_table_parse(bad, &why));
  EXPECT_NE(why.find("past"), std::string::npos);
  // An entry whose data overlaps the table.
  bad = t;
  store_le<uint32_t>(bad.data() + 16, 8);
  EXPECT_FALSE(cert_table_parse(bad, &why));
}

}  // namespace
}  // namespace cbit::psp::snp
