// SNP guest messages: the encrypted requests a guest sends the Secure Processor through
// SNP_GUEST_REQUEST, and their responses (SNP ABI "Guest Messages"; AMD-ASPFW
// snp_guest_message_header_t; Linux include/linux/sev-guest-msg.h / drivers/virt/coco/sev-guest
// struct snp_guest_msg_hdr; SNP-FACTS.md §3.1).
//
// A message is one page at most: a 0x60-byte header, then the payload encrypted with AES-256-GCM
// under the VMPCK the header names.
//
//   0x00 AUTHTAG[32] (the GCM tag is the first 16 bytes, the rest zero) · 0x20 u64 MSG_SEQNO ·
//   0x28 reserved[8] · 0x30 u8 ALGO (1 = AES-256-GCM) · 0x31 u8 HDR_VERSION (1) · 0x32 u16
//   HDR_SIZE (0x60) · 0x34 u8 MSG_TYPE · 0x35 u8 MSG_VERSION · 0x36 u16 MSG_SIZE · 0x38 u32
//   reserved · 0x3C u8 MSG_VMPCK (0..3) · 0x3D..0x5F reserved · 0x60 payload.
//
// AAD = header bytes 0x30..0x5F (48 bytes). IV (12 bytes) = MSG_SEQNO little-endian in bytes
// 0..7, bytes 8..11 zero. The key is VMPCK[MSG_VMPCK]. OpenSSL does the GCM; this file only lays
// the bytes out and never keeps a key.
//
// Who checks what: snp_guest_msg_check_header() makes the structural checks the firmware makes
// before it decrypts (ASPFW snp_mcmd_guest_request's order: HDR_VERSION, HDR_SIZE, ALGO,
// MSG_SIZE non-zero and a multiple of 16 (the AES block), payload within the page, MSG_VMPCK);
// snp_guest_msg_open() then authenticates and decrypts. Sequence numbers (request = count + 1,
// response = request + 1) are the caller's: the firmware keeps a count per VMPCK, the guest
// keeps its own in the secrets page.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "common/bytes.h"

namespace cbit::psp::snp {

inline constexpr size_t kGuestMsgHeaderSize = 0x60;
inline constexpr size_t kGuestMsgPageSize = 4096;
inline constexpr size_t kGuestMsgMaxPayload = kGuestMsgPageSize - kGuestMsgHeaderSize;
inline constexpr size_t kGuestMsgAuthTagSize = 32;  // field size; GCM uses the first 16
inline constexpr size_t kGcmTagSize = 16;
inline constexpr uint8_t kAeadAlgoAes256Gcm = 1;
inline constexpr uint8_t kGuestMsgHdrVersion = 1;
inline constexpr unsigned kGuestMsgVmpckCount = 4;

namespace guest_msg_off {
inline constexpr size_t kAuthTag = 0x00;
inline constexpr size_t kMsgSeqno = 0x20;
inline constexpr size_t kAlgo = 0x30;
inline constexpr size_t kHdrVersion = 0x31;
inline constexpr size_t kHdrSize = 0x32;
inline constexpr size_t kMsgType = 0x34;
inline constexpr size_t kMsgVersion = 0x35;
inline constexpr size_t kMsgSize = 0x36;
inline constexpr size_t kMsgVmpck = 0x3C;
inline constexpr size_t kAadBegin = 0x30;
inline constexpr size_t kAadSize = 0x30;
}  // namespace guest_msg_off

// SNP ABI "Message Type Encodings" (Linux enum msg_type).
enum class SnpMsgType : uint8_t {
  Invalid = 0,
  CpuidReq = 1,
  CpuidRsp = 2,
  KeyReq = 3,
  KeyRsp = 4,
  ReportReq = 5,
  ReportRsp = 6,
  ExportReq = 7,
  ExportRsp = 8,
  ImportReq = 9,
  ImportRsp = 10,
  AbsorbReq = 11,
  AbsorbRsp = 12,
  VmrkReq = 13,
  VmrkRsp = 14,
  AbsorbNomaReq = 15,
  AbsorbNomaRsp = 16,
  TscInfoReq = 17,
  TscInfoRsp = 18,
};
const char* snp_msg_type_name(uint8_t type);

// The header's fields (reserved bytes are written as zero and not kept).
struct GuestMsgHeader {
  std::array<uint8_t, kGuestMsgAuthTagSize> authtag{};
  uint64_t msg_seqno = 0;
  uint8_t algo = kAeadAlgoAes256Gcm;
  uint8_t hdr_version = kGuestMsgHdrVersion;
  uint16_t hdr_size = kGuestMsgHeaderSize;
  uint8_t msg_type = 0;
  uint8_t msg_version = 1;
  uint16_t msg_size = 0;
  uint8_t msg_vmpck = 0;

  // `bytes` must hold at least kGuestMsgHeaderSize bytes (else nullopt).
  static std::optional<GuestMsgHeader> parse(ByteSpan bytes);
  std::array<uint8_t, kGuestMsgHeaderSize> serialize() const;
};

// Why a message was refused before or while it was opened.
enum class GuestMsgError {
  None,
  Short,          // fewer than 0x60 bytes
  HdrVersion,     // HDR_VERSION != 1
  HdrSize,        // HDR_SIZE != 0x60
  Algo,           // ALGO != 1
  MsgSize,        // MSG_SIZE zero or not a multiple of 16
  PayloadBounds,  // header + MSG_SIZE past the page or past the buffer
  Vmpck,          // MSG_VMPCK > 3
  Auth,           // GCM authentication failed (wrong key, tampered header or payload)
};
const char* guest_msg_error_name(GuestMsgError e);

// The structural checks, in the firmware's order; None when the header may be decrypted.
// `msg` is the whole message buffer (header and payload), at most one page.
GuestMsgError snp_guest_msg_check_header(ByteSpan msg, const GuestMsgHeader& hdr);

// Encrypts `payload` under `vmpck` (32 bytes) and returns header + ciphertext. `hdr`'s AUTHTAG
// and MSG_SIZE are filled in (MSG_SIZE = payload size, which must be a non-zero multiple of 16
// no larger than kGuestMsgMaxPayload; anything else throws std::invalid_argument: a caller bug).
Bytes snp_guest_msg_seal(ByteSpan vmpck, GuestMsgHeader hdr, ByteSpan payload);

// Checks the header (snp_guest_msg_check_header) and decrypts the payload under `vmpck`.
// nullopt with `*err` set on any failure; the header is returned through `hdr` when it parsed,
// even if decryption then failed (the firmware needs MSG_VMPCK and MSG_SEQNO to answer).
std::optional<Bytes> snp_guest_msg_open(ByteSpan vmpck, ByteSpan msg, GuestMsgHeader* hdr,
                                        GuestMsgError* err);

// The firmware's sequence rule (ASPFW snp_mcmd_guest_request): a request under a VMPCK whose
// count is `count` must carry MSG_SEQNO = count + 1, and a count of 2^64 - 2 takes no more
// messages (the response would need 2^64, and the IV would repeat). False -> AEAD_OFLOW.
constexpr bool snp_msg_seqno_ok(uint64_t count, uint64_t seqno) {
  return count != ~uint64_t{0} - 1 && seqno == count + 1;
}

// Status values inside a response (SNP ABI; uapi sev-guest.h): SUCCESS, INVALID_PARAM (bad
// fields of a valid request), INVALID_KEY (no such signing/root key).
inline constexpr uint32_t kMsgStatusSuccess = 0x00;
inline constexpr uint32_t kMsgStatusInvalidParam = 0x16;
inline constexpr uint32_t kMsgStatusInvalidKey = 0x27;

// MSG_REPORT_REQ (0x60): 0x00 REPORT_DATA[64] · 0x40 u32 VMPL · 0x44 u32 KEY_SEL in bits 1:0
// (0 VLEK if loaded else VCEK, 1 VCEK, 2 VLEK, 3 reserved) · 0x48..0x5F reserved.
inline constexpr size_t kMsgReportReqSize = 0x60;
struct MsgReportReq {
  std::array<uint8_t, 64> report_data{};
  uint32_t vmpl = 0;
  uint32_t key_sel = 0;       // the whole dword at 0x44; bits 31:2 are reserved
  bool reserved_zero = true;  // 0x48..0x5F all zero (parse only)
  static std::optional<MsgReportReq> parse(ByteSpan payload);  // nullopt if too short
  Bytes serialize() const;
};

// MSG_REPORT_RSP: 0x00 u32 STATUS · 0x04 u32 REPORT_SIZE · 0x08..0x1F reserved · 0x20 REPORT.
// Padded to a multiple of 16 for GCM (0x20 + 0x4A0 = 0x4C0 already is).
inline constexpr size_t kMsgReportRspHeaderSize = 0x20;

// MSG_KEY_REQ (0x20): 0x00 u32 {bit 0 ROOT_KEY_SELECT (0 VCEK/VLEK, 1 VMRK), bits 2:1 KEY_SEL} ·
// 0x04 reserved · 0x08 u64 GUEST_FIELD_SELECT (bit 0 policy, 1 image id, 2 family id,
// 3 measurement, 4 guest SVN, 5 TCB version) · 0x10 u32 VMPL · 0x14 u32 GUEST_SVN · 0x18 u64
// TCB_VERSION.
inline constexpr size_t kMsgKeyReqSize = 0x20;
struct MsgKeyReq {
  uint32_t flags = 0;  // the whole dword at 0x00; bits 31:3 are reserved
  uint64_t guest_field_select = 0;
  uint32_t vmpl = 0;
  uint32_t guest_svn = 0;
  uint64_t tcb_version = 0;
  bool reserved_zero = true;  // 0x04..0x07 zero (parse only)
  unsigned root_key_select() const { return flags & 1; }
  unsigned key_sel() const { return (flags >> 1) & 3; }
  static std::optional<MsgKeyReq> parse(ByteSpan payload);
  Bytes serialize() const;
};

// MSG_KEY_RSP (0x40): 0x00 u32 STATUS · 0x04..0x1F reserved · 0x20 DERIVED_KEY[32].
inline constexpr size_t kMsgKeyRspSize = 0x40;
inline constexpr size_t kMsgKeyRspKeyOffset = 0x20;

}  // namespace cbit::psp::snp
