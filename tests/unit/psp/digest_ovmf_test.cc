// OVMF parsing: footer table, SEV metadata, reset block and hashes-table entries, and the
// refusals sev-snp-measure makes (each with a control that parses).
#include <gtest/gtest.h>

#include "common/error.h"
#include "psp/digest/ovmf.h"
#include "unit/psp/digest_test_util.h"

namespace cbit::psp::digest {
namespace {

using testutil::build_firmware;
using testutil::SynthFirmware;

SynthFirmware amdsev() {
  SynthFirmware s;
  s.sections = testutil::standard_sections();
  s.sections.push_back({0x810000, 0x1000, 0x10});
  return s;
}

TEST(DigestGuid, ParseAndPrintRoundTripInMixedEndianForm) {
  const Guid g = Guid::parse("96b582de-1fb2-45f7-baea-a366c55a082d");
  EXPECT_EQ(to_hex(g.bytes), "de82b596b21ff745baeaa366c55a082d");  // fields 1-3 little-endian
  EXPECT_EQ(g.str(), "96b582de-1fb2-45f7-baea-a366c55a082d");
  EXPECT_NE(g, guids::kSevMetadata);
}

TEST(DigestOvmf, ParsesFooterTableAndMetadata) {
  const Ovmf o(build_firmware(amdsev()), "fw");
  EXPECT_TRUE(o.has_footer_table());
  EXPECT_EQ(o.gpa(), kFourGiB - 8 * 4096);
  EXPECT_EQ(o.sev_es_reset_eip(), 0x80b004u);
  EXPECT_EQ(o.sev_hashes_table_gpa(), 0x810c00u);
  EXPECT_TRUE(o.sev_hashes_table_supported());
  ASSERT_EQ(o.metadata().size(), 5u);
  EXPECT_EQ(o.metadata()[2].type, uint32_t(SectionType::SnpSecrets));
  EXPECT_EQ(o.metadata()[4].gpa, 0x810000u);
  EXPECT_TRUE(o.has_section(SectionType::SnpKernelHashes));
  EXPECT_FALSE(o.has_section(SectionType::SvsmCaa));
}

TEST(DigestOvmf, NoFooterTableIsNotAnErrorButHasNothing) {
  const Bytes blob = testutil::filler(8192, 3);
  const Ovmf o(blob, "blob");
  EXPECT_FALSE(o.has_footer_table());
  EXPECT_TRUE(o.metadata().empty());
  EXPECT_FALSE(o.sev_hashes_table_supported());
  EXPECT_THROW(o.sev_es_reset_eip(), InputError);
  try {
    o.sev_hashes_table_gpa();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("blob: Can't find SEV_HASH_TABLE_RV_GUID"),
              std::string::npos);
  }
}

TEST(DigestOvmf, HashesEntryOfZeroMeansUnsupported) {
  SynthFirmware s = amdsev();
  s.hashes_gpa = 0;
  const Ovmf o(build_firmware(s), "fw");
  EXPECT_EQ(o.sev_hashes_table_gpa(), 0u);
  EXPECT_FALSE(o.sev_hashes_table_supported());
}

TEST(DigestOvmf, RefusesBadMetadataSignatureAndVersion) {
  SynthFirmware s = amdsev();
  s.meta_signature = "XSEV";
  EXPECT_THROW(Ovmf(build_firmware(s), "fw"), InputError);
  s = amdsev();
  s.meta_version = 2;
  EXPECT_THROW(Ovmf(build_firmware(s), "fw"), InputError);
  EXPECT_NO_THROW(Ovmf(build_firmware(amdsev()), "fw"));  // control
}

TEST(DigestOvmf, RefusesTooSmallImagesAndBadEntrySizes) {
  EXPECT_THROW(Ovmf(Bytes(10), "tiny"), InputError);
  EXPECT_THROW(Ovmf(Bytes{}, "empty"), InputError);
  EXPECT_NO_THROW(Ovmf(Bytes(60), "sixty"));  // room for a footer, just no GUID
  Bytes img = build_firmware(amdsev());
  // The last table entry before the footer: its size field sits 32+18+18 bytes from the end.
  const size_t size_at = img.size() - 32 - 18 - 18;
  img[size_at] = 5;
  img[size_at + 1] = 0;
  EXPECT_THROW(Ovmf(img, "fw"), InputError);
}

TEST(DigestOvmf, MetadataOffsetOutsideTheImageIsRefused) {
  SynthFirmware s = amdsev();
  s.with_metadata = false;
  Bytes img = build_firmware(s);
  // Control: without metadata there are no sections.
  EXPECT_TRUE(Ovmf(img, "fw").metadata().empty());
  img = build_firmware(amdsev());
  // Point the metadata entry (last entry, data 4 bytes before its header) past the start.
  const size_t data_at = img.size() - 32 - 18 - 18 - 4;
  store_le<uint32_t>(img.data() + data_at, 0xFFFFFF00u);
  EXPECT_THROW(Ovmf(img, "fw"), InputError);
}

}  // namespace
}  // namespace cbit::psp::digest
