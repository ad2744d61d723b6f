// The guest owner's side of a legacy SEV / SEV-ES launch (SEV-API "LAUNCH_START",
// "LAUNCH_MEASURE", "LAUNCH_SECRET"): the party that trusts the AMD Secure Processor but not the
// host.
//
//  1. start_session(): an ephemeral P-384 DH key, fresh TEK and TIK, and the session blob that
//     wraps them for the platform's PDH (ECDH + KDF + AES-CTR + HMAC, hw/psp/sev/sev_channel.h).
//     The host passes the DH certificate and session blob to LAUNCH_START untouched.
//  2. verify_measurement(): recomputes HMAC-SHA-256(TIK, 0x04 || API || build || policy ||
//     digest || MNONCE) over the digest the owner expects (the SHA-256 of the pages it meant to
//     launch) and compares it with what LAUNCH_MEASURE returned.
//  3. wrap_secret(): only after a successful verification, a LAUNCH_SECRET packet bound to that
//     measurement. A guest whose measurement differs gets no secret.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "crypto/drbg.h"
#include "crypto/hash.h"
#include "hw/psp/sev/sev_channel.h"
#include "psp/certs/ossl.h"

namespace cbit::sw::owner {

struct LaunchBlobs {
  Bytes dh_cert;  // kCertLen bytes, for LAUNCH_START dh_cert_address
  Bytes session;  // kSessionLen bytes, for LAUNCH_START session_address
};

struct SecretPacket {
  Bytes header;  // kPacketHeaderLen bytes, for LAUNCH_SECRET hdr_address
  Bytes data;    // the encrypted secret, for trans_address (guest_len == trans_len)
};

// The platform's firmware version, as PLATFORM_STATUS reports it (bound into the measurement).
struct PlatformVersion {
  uint8_t api_major = 0, api_minor = 0, build = 0;
};

class SevGuestOwner {
 public:
  SevGuestOwner(std::optional<uint64_t> seed, uint32_t policy);
  uint32_t policy() const { return policy_; }

  LaunchBlobs start_session(const hw::psp::sev::CertPubkey& pdh);
  // Makes the ephemeral DH key the next start_session() uses, ahead of time (it does not depend
  // on the platform, so it can be made on another thread while the host boots; the owner is
  // not to be used meanwhile). The same key start_session() would have made itself.
  void prepare_dh_key();

  // `measure` is the 48 bytes LAUNCH_MEASURE wrote (measurement || MNONCE).
  bool verify_measurement(ByteSpan measure, ByteSpan expected_digest, PlatformVersion v);

  // nullopt unless verify_measurement() succeeded. `secret` is padded with zeros to 16 bytes.
  std::optional<SecretPacket> wrap_secret(ByteSpan secret);

  // SHA-256 over the pages in launch order: what LAUNCH_UPDATE_DATA / _VMSA measure.
  static crypto::Sha256Digest expected_digest(const std::vector<ByteSpan>& pages);

 private:
  crypto::Drbg rng_;
  uint32_t policy_;
  psp::PkeyPtr dh_key_;
  bool dh_key_prepared_ = false;  // dh_key_ is fresh, not yet used by a session
  hw::psp::sev::TransportKeys keys_;
  bool have_session_ = false;
  std::optional<crypto::Sha256Digest> verified_;
};

}  // namespace cbit::sw::owner
