#include "psp/snp/key_mix.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "psp/snp/nist_kdf.h"

namespace cbit::psp::snp {

std::array<uint8_t, kKeyMixSize> KeyMix::serialize() const {
  std::array<uint8_t, kKeyMixSize> b{};
  store_le<uint32_t>(b.data(), (root_key_select & 1) | ((idblock_key_select & 3) << 1));
  store_le<uint64_t>(b.data() + 0x08, gfs);
  store_le<uint32_t>(b.data() + 0x10, vmpl);
  store_le<uint32_t>(b.data() + 0x14, guest_svn);
  store_le<uint64_t>(b.data() + 0x18, tcb_version);
  store_le<uint64_t>(b.data() + 0x20, guest_policy);
  std::copy(image_id.begin(), image_id.end(), b.begin() + 0x28);
  std::copy(family_id.begin(), family_id.end(), b.begin() + 0x38);
  std::copy(measurement.begin(), measurement.end(), b.begin() + 0x48);
  std::copy(host_data.begin(), host_data.end(), b.begin() + 0x68);
  std::copy(idblock_key.begin(), idblock_key.end(), b.begin() + 0x88);
  return b;
}

std::array<uint8_t, 32> snp_derive_guest_key(ByteSpan root_key, const KeyMix& mix) {
  auto ctx = mix.serialize();
  std::array<uint8_t, 32> key{};
  snp_nist_kdf(key, root_key, as_bytes(kKeyReqLabel), ctx);
  OPENSSL_cleanse(ctx.data(), ctx.size());
  return key;
}

}  // namespace cbit::psp::snp
