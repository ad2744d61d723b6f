// LAUNCH_START (SEV-API "LAUNCH_START"; AMD-ASPFW sev_mcmd.c sev_mcmd_launch_start,
// sev_channel.c sev_channel_open_server, sev_guest.c sev_guest_verify_policy).
//
// Creates a guest context: a fresh VEK (or the VEK of `handle` when keys may be shared), the
// trusted channel from the owner's DH certificate and session blob, and an empty launch digest.
#include <openssl/crypto.h>

#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

// struct sev_data_launch_start { u32 handle; u32 policy; u64 dh_cert_address; u32 dh_cert_len;
//                                u32 reserved; u64 session_address; u32 session_len; }
SevStatus SevFirmware::cmd_launch_start(Bytes& buf) {
  if (state_ != PlatformState::Init && state_ != PlatformState::Working)
    return SevStatus::InvalidPlatformState;
  const uint8_t* b = buf.data();
  const uint32_t shared_handle = load_le<uint32_t>(b);
  const uint32_t policy = load_le<uint32_t>(b + 4);
  const uint64_t dh_cert = load_le<uint64_t>(b + 8);
  const uint32_t dh_cert_len = load_le<uint32_t>(b + 16);
  const uint64_t session = load_le<uint64_t>(b + 24);
  const uint32_t session_len = load_le<uint32_t>(b + 32);

  GuestContext g;
  g.policy = policy;
  if (dh_cert != 0) {
    // Without a DH certificate there is no channel: TEK and TIK stay zero (ASPFW).
    if (session_len != kSessionLen) return SevStatus::InvalidLen;
    Bytes sess(kSessionLen);
    if (SevStatus st = host_read(session, sess); st != SevStatus::Success) return st;
    if (dh_cert_len != kCertLen) return SevStatus::InvalidLen;
    Bytes cert(kCertLen);
    if (SevStatus st = host_read(dh_cert, cert); st != SevStatus::Success) return st;
    const CertPubkey peer = parse_cert_pubkey(cert);
    if (peer.version != kCertVersion || peer.usage != kCertUsagePdh ||
        peer.algo != kCertAlgoEcdhSha256 || !pdh_key())
      return SevStatus::InvalidCert;
    std::optional<Bytes> z = ecdh_p384(pdh_key(), peer);
    if (!z) return SevStatus::InvalidCert;
    const SessionBlob s = SessionBlob::parse(sess);
    std::optional<TransportKeys> keys = open_session(*z, s);
    OPENSSL_cleanse(z->data(), z->size());
    if (!keys) return SevStatus::BadMeasurement;  // wrap_mac did not verify
    uint8_t pol[4];
    store_le(pol, policy);
    if (!equal_ct(crypto::hmac_sha256(keys->tik, pol), s.policy_mac))
      return SevStatus::BadMeasurement;
    g.channel = *keys;
    // The firmware must be at least the API version the policy asks for; reserved bits zero.
    const uint8_t maj = policy_api_major(policy), min = policy_api_minor(policy);
    if (cfg_.api_major < maj || (cfg_.api_major == maj && cfg_.api_minor < min))
      return SevStatus::PolicyFailure;
    if (policy & kPolicyReservedMask) return SevStatus::PolicyFailure;
  }

  if (shared_handle == 0) {
    sp_.rng_.generate(kVekLabel, g.vek);
  } else {
    const GuestContext* other = guest(shared_handle);
    if (!other) return SevStatus::InvalidGuest;
    if (other->policy != policy || policy_has(other->policy, SevPolicyBit::Noks))
      return SevStatus::PolicyFailure;
    g.vek = other->vek;
  }

  uint32_t handle = 0;
  for (uint32_t i = 0; i < guests_.size() && !handle; ++i)
    if (guests_[i].state == GuestState::Uninit) handle = i + 1;
  if (!handle) return SevStatus::ResourceLimit;

  if (policy_has(policy, SevPolicyBit::Es)) {
    if (!(config_flags_ & kInitFlagSevEs)) return SevStatus::Unsupported;
    g.es = true;
  }
  g.handle = handle;
  g.state = GuestState::Lupdate;
  g.ld = std::make_unique<::cbit::psp::digest::SevLaunchDigest>();
  guests_[handle - 1] = std::move(g);
  ++guest_count_;
  state_ = PlatformState::Working;
  store_le(buf.data(), handle);
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
