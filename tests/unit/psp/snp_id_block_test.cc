// The ID block and ID authentication structure: layout, the firmware's verdicts in AMD-ASPFW's
// order (each with its control), the digests, the signer and PEM keys.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "../input_error.h"
#include "crypto/hash.h"
#include "psp/certs/cert_io.h"
#include "psp/snp/id_block.h"

namespace cbit::psp::snp {
namespace {

using hw::psp::sev::SevStatus;

PkeyPtr p384() { return PkeyPtr(EVP_EC_gen("P-384")); }

struct Fixture {
  PkeyPtr id_key = p384();
  PkeyPtr author = p384();
  IdBlock block;
  Fixture() {
    block.ld.fill(0x5A);
    block.family_id[0] = 1;
    block.image_id[0] = 2;
    block.guest_svn = 3;
    block.policy = 0x30000;
  }
  SignedIdBlock sign(bool with_author) {
    return snp_id_block_sign(block, id_key.get(), with_author ? author.get() : nullptr);
  }
  IdBlockCheck verify(const SignedIdBlock& s, bool auth_key_en) {
    return snp_id_block_verify(s.id_block, s.id_auth, block.ld, block.policy, auth_key_en);
  }
};

TEST(SnpIdBlock, LayoutOffsets) {
  Fixture f;
  const SignedIdBlock s = f.sign(true);
  ASSERT_EQ(s.id_block.size(), 0x60u);
  ASSERT_EQ(s.id_auth.size(), 0x1000u);
  EXPECT_EQ(s.id_block[0x30], 1);                              // FAMILY_ID
  EXPECT_EQ(s.id_block[0x40], 2);                              // IMAGE_ID
  EXPECT_EQ(load_le<uint32_t>(s.id_block.data() + 0x50), 1u);  // VERSION
  EXPECT_EQ(load_le<uint32_t>(s.id_block.data() + 0x54), 3u);  // GUEST_SVN
  EXPECT_EQ(load_le<uint64_t>(s.id_block.data() + 0x58), 0x30000u);
  EXPECT_EQ(load_le<uint32_t>(s.id_auth.data() + 0x000), 1u);  // ID_KEY_ALGO
  EXPECT_EQ(load_le<uint32_t>(s.id_auth.data() + 0x004), 1u);  // AUTH_KEY_ALGO
  EXPECT_EQ(load_le<uint32_t>(s.id_auth.data() + 0x240), 2u);  // ID_KEY curve P-384
  EXPECT_EQ(load_le<uint32_t>(s.id_auth.data() + 0x880), 2u);  // AUTHOR_KEY curve
  // R and S are 48-byte numbers zero-padded to 72 little-endian bytes.
  for (size_t i = 48; i < 72; ++i) {
    EXPECT_EQ(s.id_auth[0x40 + i], 0);
    EXPECT_EQ(s.id_auth[0x40 + 72 + i], 0);
  }
  EXPECT_EQ(IdBlock::parse(s.id_block, "b"), f.block);
  EXPECT_EQ(IdAuth::parse(s.id_auth, "a").serialize(), s.id_auth);
  EXPECT_NE(testutil::error_of([&] { IdBlock::parse(ByteSpan(s.id_block.data(), 0x5F), "id"); }),
            "");
}

TEST(SnpIdBlock, SignedBlockVerifiesWithDigestsOfTheKeyFields) {
  Fixture f;
  const SignedIdBlock s = f.sign(true);
  const IdAuth auth = IdAuth::parse(s.id_auth, "a");
  const IdBlockCheck c = f.verify(s, true);
  EXPECT_EQ(c.status, SevStatus::Success);
  EXPECT_EQ(c.id_key_digest, crypto::sha384(ByteSpan(s.id_auth.data() + 0x240, 0x404)));
  EXPECT_EQ(c.author_key_digest, crypto::sha384(ByteSpan(s.id_auth.data() + 0x880, 0x404)));
  EXPECT_EQ(c.id_key_digest, id_key_digest(auth.id_key));
  // Without AUTH_KEY_EN the author digest stays zero.
  EXPECT_EQ(f.verify(s, false).author_key_digest, Sha384{});
}

TEST(SnpIdBlock, LaunchDigestMismatchIsBadMeasurement) {
  Fixture f;
  const SignedIdBlock s = f.sign(false);
  Sha384 other = f.block.ld;
  other[47] ^= 1;
  EXPECT_EQ(snp_id_block_verify(s.id_block, s.id_auth, other, f.block.policy, false).status,
            SevStatus::BadMeasurement);
  EXPECT_EQ(f.verify(s, false).status, SevStatus::Success);  // control
}

TEST(SnpIdBlock, PolicyMismatchIsPolicyFailure) {
  Fixture f;
  const SignedIdBlock s = f.sign(false);
  EXPECT_EQ(
      snp_id_block_verify(s.id_block, s.id_auth, f.block.ld, 0x30000 | 1u << 19, false).status,
      SevStatus::PolicyFailure);
}

TEST(SnpIdBlock, MeasurementIsCheckedBeforePolicy) {
  Fixture f;
  const SignedIdBlock s = f.sign(false);
  EXPECT_EQ(snp_id_block_verify(s.id_block, s.id_auth, Sha384{}, 0, false).status,
            SevStatus::BadMeasurement);
}

TEST(SnpIdBlock, WrongAlgorithmIsInvalidParam) {
  Fixture f;
  SignedIdBlock s = f.sign(false);
  store_le<uint32_t>(s.id_auth.data(), 2);
  EXPECT_EQ(f.verify(s, false).status, SevStatus::InvalidParam);
  s = f.sign(false);  // no author key: AUTH_KEY_ALGO 0, refused only with AUTH_KEY_EN
  EXPECT_EQ(f.verify(s, false).status, SevStatus::Success);
  EXPECT_EQ(f.verify(s, true).status, SevStatus::InvalidParam);
}

TEST(SnpIdBlock, TamperedBlockOrSignatureIsBadSignature) {
  Fixture f;
  SignedIdBlock s = f.sign(true);
  s.id_auth[0x40] ^= 1;  // R
  EXPECT_EQ(f.verify(s, false).status, SevStatus::BadSignature);
  s = f.sign(true);
  s.id_block[0x30] ^= 1;  // FAMILY_ID changed after signing
  EXPECT_EQ(f.verify(s, false).status, SevStatus::BadSignature);
  s = f.sign(true);
  s.id_auth[0x680] ^= 1;  // ID_KEY_SIG: only checked with AUTH_KEY_EN
  EXPECT_EQ(f.verify(s, false).status, SevStatus::Success);
  EXPECT_EQ(f.verify(s, true).status, SevStatus::BadSignature);
}

TEST(SnpIdBlock, KeyNotOnTheCurveOrOtherCurveIsBadSignature) {
  Fixture f;
  SignedIdBlock s = f.sign(true);
  s.id_auth[0x240 + 4] ^= 1;  // QX: the point leaves the curve
  EXPECT_EQ(f.verify(s, false).status, SevStatus::BadSignature);
  s = f.sign(true);
  store_le<uint32_t>(s.id_auth.data() + 0x240, 3);  // curve P-521
  EXPECT_EQ(f.verify(s, false).status, SevStatus::BadSignature);
  s = f.sign(true);
  s.id_auth[0x240 + 4 + 60] = 1;  // QX above 384 bits
  EXPECT_EQ(f.verify(s, false).status, SevStatus::BadSignature);
  s = f.sign(true);
  s.id_auth[0x880 + 4] ^= 1;  // author key off the curve
  EXPECT_EQ(f.verify(s, true).status, SevStatus::BadSignature);
}

TEST(SnpIdBlock, AnotherIdKeyDoesNotVerify) {
  Fixture f;
  SignedIdBlock s = f.sign(false);
  const auto other = p384();
  const auto field = id_key_field(other.get());
  std::copy(field.begin(), field.end(), s.id_auth.begin() + 0x240);
  EXPECT_EQ(f.verify(s, false).status, SevStatus::BadSignature);
}

TEST(SnpIdBlock, WrongSizesAreInvalidParam) {
  Fixture f;
  const SignedIdBlock s = f.sign(false);
  EXPECT_EQ(snp_id_block_verify(ByteSpan(s.id_block.data(), 0x10), s.id_auth, f.block.ld,
                                f.block.policy, false)
                .status,
            SevStatus::InvalidParam);
  EXPECT_EQ(snp_id_block_verify(s.id_block, ByteSpan(), f.block.ld, f.block.policy, false).status,
            SevStatus::InvalidParam);
}

TEST(SnpIdBlock, PemKeys) {
  const auto key = p384();
  const auto loaded = load_p384_private_pem(private_key_pem(key.get()), "--id-key");
  EXPECT_EQ(id_key_field(loaded.get()), id_key_field(key.get()));
  EXPECT_NE(testutil::error_of([] { load_p384_private_pem("nope", "--id-key"); }).find("--id-key"),
            std::string::npos);
  PkeyPtr p256(EVP_EC_gen("P-256"));
  EXPECT_NE(testutil::error_of([&] {
              load_p384_private_pem(private_key_pem(p256.get()), "--id-key");
            }).find("P-384"),
            std::string::npos);
  IdBlock b;
  EXPECT_NE(testutil::error_of([&] { snp_id_block_sign(b, p256.get(), nullptr); }), "");
}

}  // namespace
}  // namespace cbit::psp::snp
