#include "psp/snp/guest_msg.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "psp/certs/ossl.h"

namespace cbit::psp::snp {

namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

std::array<uint8_t, 12> iv_for(uint64_t seqno) {
  std::array<uint8_t, 12> iv{};
  store_le<uint64_t>(iv.data(), seqno);
  return iv;
}

bool all_zero(ByteSpan s) {
  return std::all_of(s.begin(), s.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace

const char* snp_msg_type_name(uint8_t type) {
  static constexpr const char* kNames[] = {
      "MSG_TYPE_INVALID",    "MSG_CPUID_REQ",    "MSG_CPUID_RSP",   "MSG_KEY_REQ",
      "MSG_KEY_RSP",         "MSG_REPORT_REQ",   "MSG_REPORT_RSP",  "MSG_EXPORT_REQ",
      "MSG_EXPORT_RSP",      "MSG_IMPORT_REQ",   "MSG_IMPORT_RSP",  "MSG_ABSORB_REQ",
      "MSG_ABSORB_RSP",      "MSG_VMRK_REQ",     "MSG_VMRK_RSP",    "MSG_ABSORB_NOMA_REQ",
      "MSG_ABSORB_NOMA_RSP", "MSG_TSC_INFO_REQ", "MSG_TSC_INFO_RSP"};
  return type < std::size(kNames) ? kNames[type] : "MSG_TYPE_UNKNOWN";
}

const char* guest_msg_error_name(GuestMsgError e) {
  switch (e) {
    case GuestMsgError::None:
      return "none";
    case GuestMsgError::Short:
      return "message shorter than its 0x60-byte header";
    case GuestMsgError::HdrVersion:
      return "HDR_VERSION is not 1";
    case GuestMsgError::HdrSize:
      return "HDR_SIZE is not 0x60";
    case GuestMsgError::Algo:
      return "ALGO is not AES-256-GCM (1)";
    case GuestMsgError::MsgSize:
      return "MSG_SIZE is zero or not a multiple of 16";
    case GuestMsgError::PayloadBounds:
      return "payload runs past the page";
    case GuestMsgError::Vmpck:
      return "MSG_VMPCK is above 3";
    case GuestMsgError::Auth:
      return "AES-GCM authentication failed";
  }
  return "?";
}

std::optional<GuestMsgHeader> GuestMsgHeader::parse(ByteSpan b) {
  if (b.size() < kGuestMsgHeaderSize) return std::nullopt;
  namespace o = guest_msg_off;
  GuestMsgHeader h;
  std::copy_n(b.data() + o::kAuthTag, kGuestMsgAuthTagSize, h.authtag.begin());
  h.msg_seqno = load_le<uint64_t>(b.data() + o::kMsgSeqno);
  h.algo = b[o::kAlgo];
  h.hdr_version = b[o::kHdrVersion];
  h.hdr_size = load_le<uint16_t>(b.data() + o::kHdrSize);
  h.msg_type = b[o::kMsgType];
  h.msg_version = b[o::kMsgVersion];
  h.msg_size = load_le<uint16_t>(b.data() + o::kMsgSize);
  h.msg_vmpck = b[o::kMsgVmpck];
  return h;
}

std::array<uint8_t, kGuestMsgHeaderSize> GuestMsgHeader::serialize() const {
  namespace o = guest_msg_off;
  std::array<uint8_t, kGuestMsgHeaderSize> b{};
  std::copy(authtag.begin(), authtag.end(), b.begin() + o::kAuthTag);
  store_le<uint64_t>(b.data() + o::kMsgSeqno, msg_seqno);
  b[o::kAlgo] = algo;
  b[o::kHdrVersion] = hdr_version;
  store_le<uint16_t>(b.data() + o::kHdrSize, hdr_size);
  b[o::kMsgType] = msg_type;
  b[o::kMsgVersion] = msg_version;
  store_le<uint16_t>(b.data() + o::kMsgSize, msg_size);
  b[o::kMsgVmpck] = msg_vmpck;
  return b;
}

GuestMsgError snp_guest_msg_check_header(ByteSpan msg, const GuestMsgHeader& h) {
  if (msg.size() < kGuestMsgHeaderSize) return GuestMsgError::Short;
  if (h.hdr_version != kGuestMsgHdrVersion) return GuestMsgError::HdrVersion;
  if (h.hdr_size != kGuestMsgHeaderSize) return GuestMsgError::HdrSize;
  if (h.algo != kAeadAlgoAes256Gcm) return GuestMsgError::Algo;
  if (h.msg_size == 0 || h.msg_size % 16 != 0) return GuestMsgError::MsgSize;
  if (kGuestMsgHeaderSize + size_t{h.msg_size} > std::min(msg.size(), kGuestMsgPageSize))
    return GuestMsgError::PayloadBounds;
  if (h.msg_vmpck >= kGuestMsgVmpckCount) return GuestMsgError::Vmpck;
  return GuestMsgError::None;
}

Bytes snp_guest_msg_seal(ByteSpan vmpck, GuestMsgHeader hdr, ByteSpan payload) {
  if (vmpck.size() != 32) throw std::invalid_argument("snp_guest_msg_seal: VMPCK is not 32 bytes");
  if (payload.empty() || payload.size() % 16 != 0 || payload.size() > kGuestMsgMaxPayload)
    throw std::invalid_argument("snp_guest_msg_seal: payload size not a multiple of 16 in a page");
  hdr.msg_size = static_cast<uint16_t>(payload.size());
  hdr.authtag = {};
  auto head = hdr.serialize();
  const auto iv = iv_for(hdr.msg_seqno);

  Bytes out(kGuestMsgHeaderSize + payload.size());
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  ossl_check(ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr),
             "AES-256-GCM init");
  ossl_check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1,
             "GCM IV length");
  ossl_check(EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, vmpck.data(), iv.data()) == 1,
             "GCM key");
  ossl_check(EVP_EncryptUpdate(ctx.get(), nullptr, &len, head.data() + guest_msg_off::kAadBegin,
                               guest_msg_off::kAadSize) == 1,
             "GCM AAD");
  ossl_check(EVP_EncryptUpdate(ctx.get(), out.data() + kGuestMsgHeaderSize, &len, payload.data(),
                               static_cast<int>(payload.size())) == 1,
             "GCM encrypt");
  ossl_check(EVP_EncryptFinal_ex(ctx.get(), out.data() + kGuestMsgHeaderSize + len, &len) == 1,
             "GCM final");
  ossl_check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, head.data()) == 1,
             "GCM tag");
  std::copy(head.begin(), head.end(), out.begin());
  return out;
}

std::optional<Bytes> snp_guest_msg_open(ByteSpan vmpck, ByteSpan msg, GuestMsgHeader* hdr_out,
                                        GuestMsgError* err) {
  GuestMsgError dummy;
  GuestMsgError& e = err ? *err : dummy;
  const auto hdr = GuestMsgHeader::parse(msg);
  if (!hdr) {
    e = GuestMsgError::Short;
    return std::nullopt;
  }
  if (hdr_out) *hdr_out = *hdr;
  if ((e = snp_guest_msg_check_header(msg, *hdr)) != GuestMsgError::None) return std::nullopt;
  // A tag field whose second half is not zero, or a key of the wrong size, cannot authenticate.
  if (vmpck.size() != 32 || !all_zero(msg.subspan(guest_msg_off::kAuthTag + kGcmTagSize,
                                                  kGuestMsgAuthTagSize - kGcmTagSize))) {
    e = GuestMsgError::Auth;
    return std::nullopt;
  }
  const auto iv = iv_for(hdr->msg_seqno);
  Bytes out(hdr->msg_size);
  std::array<uint8_t, kGcmTagSize> tag;
  std::copy_n(msg.data() + guest_msg_off::kAuthTag, kGcmTagSize, tag.begin());
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  ossl_check(ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr),
             "AES-256-GCM init");
  ossl_check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1,
             "GCM IV length");
  ossl_check(EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, vmpck.data(), iv.data()) == 1,
             "GCM key");
  ossl_check(EVP_DecryptUpdate(ctx.get(), nullptr, &len, msg.data() + guest_msg_off::kAadBegin,
                               guest_msg_off::kAadSize) == 1,
             "GCM AAD");
  ossl_check(EVP_DecryptUpdate(ctx.get(), out.data(), &len, msg.data() + kGuestMsgHeaderSize,
                               hdr->msg_size) == 1,
             "GCM decrypt");
  ossl_check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag.data()) == 1,
             "GCM tag");
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len) != 1) {
    std::fill(out.begin(), out.end(), 0);
    e = GuestMsgError::Auth;
    return std::nullopt;
  }
  e = GuestMsgError::None;
  return out;
}

std::optional<MsgReportReq> MsgReportReq::parse(ByteSpan p) {
  if (p.size() < kMsgReportReqSize) return std::nullopt;
  MsgReportReq r;
  std::copy_n(p.data(), 64, r.report_data.begin());
  r.vmpl = load_le<uint32_t>(p.data() + 0x40);
  r.key_sel = load_le<uint32_t>(p.data() + 0x44);
  r.reserved_zero = all_zero(p.subspan(0x48, kMsgReportReqSize - 0x48));
  return r;
}

Bytes MsgReportReq::serialize() const {
  Bytes b(kMsgReportReqSize, 0);
  std::copy(report_data.begin(), report_data.end(), b.begin());
  store_le<uint32_t>(b.data() + 0x40, vmpl);
  store_le<uint32_t>(b.data() + 0x44, key_sel);
  return b;
}

std::optional<MsgKeyReq> MsgKeyReq::parse(ByteSpan p) {
  if (p.size() < kMsgKeyReqSize) return std::nullopt;
  MsgKeyReq k;
  k.flags = load_le<uint32_t>(p.data());
  k.reserved_zero = load_le<uint32_t>(p.data() + 4) == 0;
  k.guest_field_select = load_le<uint64_t>(p.data() + 0x08);
  k.vmpl = load_le<uint32_t>(p.data() + 0x10);
  k.guest_svn = load_le<uint32_t>(p.data() + 0x14);
  k.tcb_version = load_le<uint64_t>(p.data() + 0x18);
  return k;
}

Bytes MsgKeyReq::serialize() const {
  Bytes b(kMsgKeyReqSize, 0);
  store_le<uint32_t>(b.data(), flags);
  store_le<uint64_t>(b.data() + 0x08, guest_field_select);
  store_le<uint32_t>(b.data() + 0x10, vmpl);
  store_le<uint32_t>(b.data() + 0x14, guest_svn);
  store_le<uint64_t>(b.data() + 0x18, tcb_version);
  return b;
}

}  // namespace cbit::psp::snp
