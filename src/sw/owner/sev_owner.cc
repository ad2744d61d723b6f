#include "sw/owner/sev_owner.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "common/error.h"
#include "psp/certs/sim_chain.h"

namespace cbit::sw::owner {

namespace sev = hw::psp::sev;

SevGuestOwner::SevGuestOwner(std::optional<uint64_t> seed, uint32_t policy)
    : rng_(seed), policy_(policy) {}

void SevGuestOwner::prepare_dh_key() {
  if (dh_key_prepared_) return;
  Bytes seed(48);
  rng_.generate("owner-dh-key", seed);
  dh_key_ = psp::p384_key_from_seed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  dh_key_prepared_ = true;
}

LaunchBlobs SevGuestOwner::start_session(const sev::CertPubkey& pdh) {
  prepare_dh_key();  // a fresh key per session
  dh_key_prepared_ = false;
  rng_.generate("owner-tek", keys_.tek);
  rng_.generate("owner-tik", keys_.tik);
  uint8_t nonce[16], iv[16];
  rng_.generate("owner-nonce", nonce);
  rng_.generate("owner-wrap-iv", iv);
  std::optional<Bytes> z = sev::ecdh_p384(dh_key_.get(), pdh);
  if (!z) throw InputError("platform PDH key: not a point on P-384");
  LaunchBlobs out{sev::make_dh_cert(dh_key_.get()),
                  sev::make_session(*z, nonce, iv, keys_, policy_).serialize()};
  OPENSSL_cleanse(z->data(), z->size());
  have_session_ = true;
  verified_.reset();
  return out;
}

bool SevGuestOwner::verify_measurement(ByteSpan measure, ByteSpan expected_digest,
                                       PlatformVersion v) {
  verified_.reset();
  if (!have_session_ || measure.size() != sev::kMeasureLen || expected_digest.size() != 32)
    return false;
  const ByteSpan mac = measure.first(32);
  const ByteSpan mnonce = measure.subspan(32, sev::kMnonceLen);
  const auto want = sev::measurement_mac(keys_.tik, v.api_major, v.api_minor, v.build, policy_,
                                         expected_digest, mnonce);
  if (!sev::equal_ct(want, mac)) return false;
  verified_ = want;
  return true;
}

std::optional<SecretPacket> SevGuestOwner::wrap_secret(ByteSpan secret) {
  if (!verified_) return std::nullopt;
  Bytes plain(secret.begin(), secret.end());
  plain.resize((plain.size() + 15) / 16 * 16, 0);
  if (plain.empty()) plain.resize(16, 0);
  sev::PacketHeader hdr;
  rng_.generate("owner-secret-iv", hdr.iv);
  Bytes data = sev::aes128_ctr(keys_.tek, hdr.iv, plain);
  OPENSSL_cleanse(plain.data(), plain.size());
  const auto len = static_cast<uint32_t>(data.size());
  hdr.mac = sev::secret_packet_mac(keys_.tik, hdr, len, len, data, *verified_);
  return SecretPacket{hdr.serialize(), std::move(data)};
}

crypto::Sha256Digest SevGuestOwner::expected_digest(const std::vector<ByteSpan>& pages) {
  crypto::Hasher h(crypto::Hasher::Algo::Sha256);
  for (ByteSpan p : pages) h.update(p);
  const Bytes d = h.finish();
  crypto::Sha256Digest out{};
  std::copy(d.begin(), d.end(), out.begin());
  return out;
}

}  // namespace cbit::sw::owner
