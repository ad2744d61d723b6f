// The remembered SHA-256 prefix (crypto/sha256_prefix.h) under the SEV launch digest: the
// firmware's digest of the owner's image, fed 20 KiB at a time, takes the state after the image
// and is the SHA-256 of every byte given; bytes that differ anywhere, or stop short, are hashed,
// with the result of hashing them. Every case is checked against a one-shot SHA-256.
#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "crypto/sha256_prefix.h"
#include "psp/digest/sev_launch_digest.h"

namespace cbit::psp::digest {
namespace {

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + seed + (i >> 9));
  return b;
}

// The firmware's way: `image` in 20 KiB chunks (LAUNCH_UPDATE_DATA), then a VMSA.
crypto::Sha256Digest firmware_digest(const Bytes& image, const Bytes& vmsa) {
  SevLaunchDigest d;
  for (size_t off = 0; off < image.size(); off += 0x5000)
    d.update_data(ByteSpan(image).subspan(off, std::min<size_t>(0x5000, image.size() - off)));
  d.update_vmsa(vmsa);
  return d.finish();
}

crypto::Sha256Digest one_shot(const Bytes& a, const Bytes& b) {
  Bytes all = a;
  all.insert(all.end(), b.begin(), b.end());
  return crypto::sha256(all);
}

TEST(SevDigestPrefix, TheRememberedImageGivesTheDigestHashingGives) {
  const Bytes image = pattern(256 << 10, 7), vmsa = pattern(4096, 9);
  crypto::remember_sha256_prefix(image);
  EXPECT_EQ(firmware_digest(image, vmsa), one_shot(image, vmsa));
  // The owner's way, the image in one update.
  SevLaunchDigest owner;
  owner.update_data(image);
  owner.update_vmsa(vmsa);
  EXPECT_EQ(owner.finish(), one_shot(image, vmsa));
}

TEST(SevDigestPrefix, ControlAChangedOrShorterImageIsHashedAsItIs) {
  const Bytes image = pattern(256 << 10, 7), vmsa = pattern(4096, 9);
  crypto::remember_sha256_prefix(image);
  for (size_t at : {size_t{0}, image.size() / 2, image.size() - 1}) {
    Bytes changed = image;
    changed[at] ^= 1;
    const auto d = firmware_digest(changed, vmsa);
    EXPECT_EQ(d, one_shot(changed, vmsa)) << at;
    EXPECT_NE(d, one_shot(image, vmsa)) << at;
  }
  const Bytes part(image.begin(), image.begin() + 0x5000);
  EXPECT_EQ(firmware_digest(part, vmsa), one_shot(part, vmsa));
  // Longer: the image and more data in one update runs past the prefix.
  Bytes longer = image;
  longer.push_back(0x5a);
  SevLaunchDigest d;
  d.update_data(longer);
  EXPECT_EQ(d.finish(), crypto::sha256(longer));
  // Another algorithm never takes a SHA-256 state.
  crypto::Hasher h384(crypto::Hasher::Algo::Sha384);
  h384.update(image);
  const Bytes got = h384.finish();
  const auto want = crypto::sha384(image);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin(), want.end()));
}

}  // namespace
}  // namespace cbit::psp::digest
