// SNP launch digest: PAGE_INFO layout (SNP ABI 8.17.2 Table 67) and the SHA-384 chain, checked
// against OpenSSL through the shared hash wrapper, and the parallel page hashing.
#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "psp/digest/page_hash.h"
#include "psp/digest/sev_launch_digest.h"
#include "psp/digest/snp_launch_digest.h"
#include "unit/psp/digest_test_util.h"

namespace cbit::psp::digest {
namespace {

TEST(DigestSnp, PageInfoLayout) {
  crypto::Sha384Digest prev{}, contents{};
  prev.fill(0xAA);
  contents.fill(0xBB);
  const PageInfo p = make_page_info(prev, contents, {PageType::Vmsa, 0x123456789000ull});
  EXPECT_EQ(p.size(), 0x70u);
  EXPECT_EQ(p[0x00], 0xAA);
  EXPECT_EQ(p[0x2F], 0xAA);
  EXPECT_EQ(p[0x30], 0xBB);
  EXPECT_EQ(p[0x5F], 0xBB);
  EXPECT_EQ(load_le<uint16_t>(p.data() + 0x60), 0x70);
  EXPECT_EQ(p[0x62], 2);  // VMSA
  EXPECT_EQ(p[0x63], 0);  // imi
  EXPECT_EQ(p[0x64] | p[0x65] | p[0x66] | p[0x67], 0);
  EXPECT_EQ(load_le<uint64_t>(p.data() + 0x68), 0x123456789000ull);
}

TEST(DigestSnp, ChainIsSha384OfPageInfo) {
  const Bytes page = testutil::filler(4096, 5);
  SnpLaunchDigest ld;
  ld.update_page(PageType::Normal, 0xFFC00000, page);
  ld.update_unmeasured(PageType::Zero, 0x800000);
  ld.update_page(PageType::Secrets, 0x80d000, page);  // contents ignored for SECRETS
  // The same chain by hand with the shared SHA-384.
  crypto::Sha384Digest d{};
  d = crypto::sha384(make_page_info(d, crypto::sha384(page), {PageType::Normal, 0xFFC00000}));
  d = crypto::sha384(make_page_info(d, {}, {PageType::Zero, 0x800000}));
  d = crypto::sha384(make_page_info(d, {}, {PageType::Secrets, 0x80d000}));
  EXPECT_EQ(to_hex(ld.digest()), to_hex(d));
  // Control: a different GPA or page type gives another digest.
  SnpLaunchDigest other;
  other.update_page(PageType::Normal, 0xFFC01000, page);
  other.update_unmeasured(PageType::Zero, 0x800000);
  other.update_page(PageType::Secrets, 0x80d000, page);
  EXPECT_NE(to_hex(other.digest()), to_hex(ld.digest()));
  SnpLaunchDigest typed;
  typed.update_page(PageType::Normal, 0xFFC00000, page);
  typed.update_unmeasured(PageType::Unmeasured, 0x800000);
  typed.update_page(PageType::Secrets, 0x80d000, page);
  EXPECT_NE(to_hex(typed.digest()), to_hex(ld.digest()));
}

TEST(DigestSnp, SeedResumesAChain) {
  const Bytes page = testutil::filler(4096, 6);
  SnpLaunchDigest a;
  a.update_page(PageType::Normal, 0x1000, page);
  SnpLaunchDigest b(a.digest());
  a.update_page(PageType::Vmsa, kVmsaGpa, page);
  b.update_page(PageType::Vmsa, kVmsaGpa, page);
  EXPECT_EQ(a.digest(), b.digest());
}

TEST(DigestSnp, ParallelPageHashesEqualSerialOnes) {
  const Bytes data = testutil::filler(4096 * 200, 7);
  std::vector<crypto::Sha384Digest> one(200), two(200), three(200);
  sha384_pages(data, one, 1);
  sha384_pages(data, two, 2);
  sha384_pages(data, three, 3);
  for (size_t i = 0; i < 200; ++i) {
    ASSERT_EQ(one[i], crypto::sha384(ByteSpan(data).subspan(i * 4096, 4096))) << i;
    ASSERT_EQ(two[i], one[i]) << i;
    ASSERT_EQ(three[i], one[i]) << i;
  }
}

TEST(DigestSev, RunningSha256OverDataAndVmsas) {
  const Bytes fw = testutil::filler(10000, 8), vmsa = testutil::filler(4096, 9);
  SevLaunchDigest d;
  d.update_data(fw);
  d.update_vmsa(vmsa);
  d.update_vmsa(vmsa);
  Bytes all = fw;
  all.insert(all.end(), vmsa.begin(), vmsa.end());
  all.insert(all.end(), vmsa.begin(), vmsa.end());
  EXPECT_EQ(d.finish(), crypto::sha256(all));
}

}  // namespace
}  // namespace cbit::psp::digest
