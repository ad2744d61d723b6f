// The SNP secrets page: offsets of version 3, the keys only inside the page, wiping.
#include <gtest/gtest.h>

#include <array>

#include "psp/snp/secrets_page.h"

namespace cbit::psp::snp {
namespace {

std::array<Vmpck, kVmpckCount> keys() {
  std::array<Vmpck, kVmpckCount> k{};
  for (unsigned i = 0; i < kVmpckCount; ++i) k[i].fill(static_cast<uint8_t>(0xA0 + i));
  return k;
}

TEST(SnpSecretsPage, BuildPutsEachFieldAtItsOffset) {
  SecretsPageInit init;
  init.imi_en = true;
  init.fms = 0x00A00F11;
  init.gosvw[0] = 7;
  init.tsc_factor = 200;
  const auto k = keys();
  const Bytes page = snp_secrets_page_build(init, k);
  ASSERT_EQ(page.size(), kSecretsPageSize);
  EXPECT_EQ(load_le<uint32_t>(page.data()), 3u);
  EXPECT_EQ(load_le<uint32_t>(page.data() + 4), 1u);
  EXPECT_EQ(load_le<uint32_t>(page.data() + 8), 0x00A00F11u);
  EXPECT_EQ(page[0x10], 7);
  EXPECT_EQ(page[0x20], 0xA0);  // VMPCK0
  EXPECT_EQ(page[0x40], 0xA1);  // VMPCK1
  EXPECT_EQ(page[0x60], 0xA2);
  EXPECT_EQ(page[0x9F], 0xA3);  // last byte of VMPCK3
  EXPECT_EQ(page[0xA0], 0);     // OS area starts zeroed
  EXPECT_EQ(load_le<uint32_t>(page.data() + 0x160), 200u);
  const auto info = snp_secrets_page_read(page);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->version, 3u);
  EXPECT_TRUE(info->imi_en);
  EXPECT_EQ(info->fms, 0x00A00F11u);
  EXPECT_EQ(info->tsc_factor, 200u);
}

TEST(SnpSecretsPage, GuestReadsKeysFromThePageAndWipesThem) {
  const auto k = keys();
  Bytes page = snp_secrets_page_build({}, k);
  const ByteSpan k2 = vmpck(page, 2);
  ASSERT_EQ(k2.size(), kVmpckSize);
  EXPECT_EQ(k2.data(), page.data() + 0x60);  // a view, not a copy
  EXPECT_FALSE(vmpck_disabled(page, 0));
  wipe_vmpck(page, 0);
  EXPECT_TRUE(vmpck_disabled(page, 0));
  EXPECT_FALSE(vmpck_disabled(page, 1));  // control: the others stay
  EXPECT_TRUE(vmpck(page, 4).empty());
  set_msg_seqno(page, 3, 41);
  EXPECT_EQ(msg_seqno(page, 3), 41u);
  EXPECT_EQ(load_le<uint32_t>(page.data() + 0xAC), 41u);
  EXPECT_EQ(snp_secrets_page_read(page)->msg_seqno[3], 41u);
}

TEST(SnpSecretsPage, ReadRefusesShortPagesAndOldVersions) {
  Bytes page(kSecretsPageSize, 0);
  EXPECT_FALSE(snp_secrets_page_read(page));  // version 0
  store_le<uint32_t>(page.data(), 2);
  EXPECT_TRUE(snp_secrets_page_read(page));
  EXPECT_FALSE(snp_secrets_page_read(ByteSpan(page.data(), 64)));
  EXPECT_TRUE(vmpck(ByteSpan(page.data(), 64), 0).empty());
}

}  // namespace
}  // namespace cbit::psp::snp
