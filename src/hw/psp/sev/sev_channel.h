// The SEV trusted channel between a guest owner and the firmware (SEV-API "LAUNCH_START",
// "LAUNCH_MEASURE", "LAUNCH_SECRET"; AMD-ASPFW sev_channel.c, nist_kdf.c, sev_guest.c). Both ends
// use these pieces: the firmware (server) and src/sw/owner (client).
//
//  - The owner sends a DH certificate (SEV certificate format, usage PDH, ECDH on P-384) and a
//    session blob. Shared secret Z = ECDH(owner key, platform PDH): the x coordinate, 48 bytes
//    big-endian (ASPFW ecdh.c reverses the CCP's little-endian result; virtee/sev uses
//    OpenSSL's output as it is).
//    master = KDF(Z, "sev-master-secret", session.nonce); KEK = KDF(master, "sev-kek");
//    KIK = KDF(master, "sev-kik"); wrap_tk = AES-128-CTR(KEK, wrap_iv, TEK || TIK);
//    wrap_mac = HMAC-SHA-256(KIK, wrap_tk); policy_mac = HMAC-SHA-256(TIK, policy as u32 LE).
//  - KDF: NIST SP 800-108 counter mode with HMAC-SHA-256, i and L as 32-bit little-endian words,
//    message = i || label || 0x00 || context || L (ASPFW nist_kdf.c).
//  - LAUNCH_MEASURE: HMAC-SHA-256(TIK, 0x04 || API major || API minor || build || policy (u32 LE)
//    || launch digest || MNONCE), followed by the 16-byte MNONCE.
//  - LAUNCH_SECRET packet: header {u32 flags; u8 iv[16]; u8 mac[32]}; the data is AES-128-CTR
//    (TEK, iv); mac = HMAC-SHA-256(TIK, 0x01 || flags || iv || guest_len (u32) || trans_len (u32)
//    || data || measurement).
#pragma once
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "crypto/hash.h"

namespace cbit::hw::psp::sev {

inline constexpr size_t kSessionLen = 0x80;       // sev_session_t
inline constexpr size_t kPacketHeaderLen = 0x34;  // sev_packet_header_t
inline constexpr size_t kCertLen = 0x824;         // SEV certificate (SEV-API Appendix C)
inline constexpr size_t kMeasureLen = 0x30;       // measurement (32) || MNONCE (16)
inline constexpr size_t kMnonceLen = 16;

inline constexpr uint32_t kCertVersion = 1;
inline constexpr uint32_t kCertUsagePdh = 0x1003;
inline constexpr uint32_t kCertAlgoEcdhSha256 = 0x003;
inline constexpr uint32_t kCurveP384 = 2;

// Channel contexts (ASPFW sev_channel.h).
inline constexpr uint8_t kCtxSecret = 0x01;
inline constexpr uint8_t kCtxMeasure = 0x04;

// TEK and TIK: AES-128 keys. Wiped when the object dies.
struct TransportKeys {
  std::array<uint8_t, 16> tek{};
  std::array<uint8_t, 16> tik{};
  TransportKeys() = default;
  TransportKeys(const TransportKeys&) = default;
  TransportKeys& operator=(const TransportKeys&) = default;
  ~TransportKeys();
  void wipe();
};

struct SessionBlob {
  std::array<uint8_t, 16> nonce{};
  std::array<uint8_t, 32> wrap_tk{};
  std::array<uint8_t, 16> wrap_iv{};
  crypto::Sha256Digest wrap_mac{};
  crypto::Sha256Digest policy_mac{};
  Bytes serialize() const;
  static SessionBlob parse(ByteSpan b);  // b.size() == kSessionLen
};

struct PacketHeader {
  uint32_t flags = 0;
  std::array<uint8_t, 16> iv{};
  crypto::Sha256Digest mac{};
  Bytes serialize() const;
  static PacketHeader parse(ByteSpan b);  // b.size() == kPacketHeaderLen
};

// The public key of a SEV certificate: little-endian 72-byte coordinates (ASPFW ecc_scalar_t).
struct CertPubkey {
  uint32_t version = 0, usage = 0, algo = 0, curve = 0;
  std::array<uint8_t, 72> qx{}, qy{};
};
CertPubkey parse_cert_pubkey(ByteSpan cert);  // cert.size() == kCertLen
// A SEV certificate carrying `key`'s public key, usage PDH, algorithm ECDH (signatures empty:
// the firmware checks only the body of the owner's DH certificate, ASPFW sev_cert_sanity_check).
Bytes make_dh_cert(EVP_PKEY* key);
CertPubkey public_key_of(EVP_PKEY* key, uint32_t usage = kCertUsagePdh);

Bytes sev_kdf(ByteSpan key, std::string_view label, ByteSpan context, size_t out_len);
Bytes aes128_ctr(ByteSpan key, ByteSpan iv, ByteSpan in);
// ECDH on P-384 between `own` and the certificate's point, as the 48-byte big-endian x
// coordinate; nullopt when the point is not on the curve (a hostile certificate).
std::optional<Bytes> ecdh_p384(EVP_PKEY* own, const CertPubkey& peer);

// Client side: a session for `policy` carrying `keys`, wrapped for the ECDH secret `z`.
SessionBlob make_session(ByteSpan z, ByteSpan nonce, ByteSpan wrap_iv, const TransportKeys& keys,
                         uint32_t policy);
// Server side: unwraps TEK/TIK; nullopt when wrap_mac does not verify.
std::optional<TransportKeys> open_session(ByteSpan z, const SessionBlob& s);

crypto::Sha256Digest measurement_mac(ByteSpan tik, uint8_t api_major, uint8_t api_minor,
                                     uint8_t build, uint32_t policy, ByteSpan digest,
                                     ByteSpan mnonce);
crypto::Sha256Digest secret_packet_mac(ByteSpan tik, const PacketHeader& hdr, uint32_t guest_len,
                                       uint32_t trans_len, ByteSpan data, ByteSpan measurement);
bool equal_ct(ByteSpan a, ByteSpan b);  // constant time

}  // namespace cbit::hw::psp::sev
