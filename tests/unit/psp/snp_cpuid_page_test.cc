// The SNP CPUID page: layout, the firmware's sanitiser (AMD-ASPFW cpuid_lookup.c rules against
// the part) with a control for each rule, QEMU's table builder and mismatch line.
#include <gtest/gtest.h>

#include "hw/cpu/cpuid.h"
#include "hw/cpu_models.h"
#include "psp/snp/cpuid_page.h"

namespace cbit::psp::snp {
namespace {

using hw::psp::sev::SevStatus;

const hw::CpuModel& milan() { return hw::cpu_model_by_name("milan"); }

// What a VMM gives the guest: the part's answers with the hypervisor bit and without SVM, as
// sw/hv/vcpu.cc does.
hw::CpuidResult guest_view(uint32_t leaf, uint32_t subleaf) {
  hw::CpuidResult r = hw::cpuid(milan(), leaf, subleaf);
  if (leaf == 1) r.ecx |= 1u << 31;
  if (leaf == hw::cpuid_leaf::kExtFeatures) r.ecx &= ~hw::cpuid_bit::kSvm;
  if (leaf == hw::cpuid_leaf::kMemEncrypt) r = {0x1A, milan().fn8000_001f.ebx & 0x3f, 0, 0};
  return r;
}

CpuidTable good_table() { return snp_cpuid_table_build(guest_view); }

CpuidFunction& entry(CpuidTable& t, uint32_t leaf) {
  for (CpuidFunction& f : t.functions)
    if (f.eax_in == leaf && f.ecx_in == 0) return f;
  ADD_FAILURE() << "no leaf " << leaf;
  return t.functions.front();
}

TEST(SnpCpuidPage, LayoutRoundTripsAndMatchesLinuxOffsets) {
  CpuidTable t;
  t.functions.push_back({0x8000001F, 0, 1, 2, 0x11, 0x22, 0x33, 0x44, 0});
  const Bytes page = t.serialize();
  ASSERT_EQ(page.size(), kCpuidPageSize);
  EXPECT_EQ(load_le<uint32_t>(page.data()), 1u);                  // count
  EXPECT_EQ(load_le<uint32_t>(page.data() + 0x10), 0x8000001Fu);  // eax_in of entry 0
  EXPECT_EQ(load_le<uint64_t>(page.data() + 0x18), 1u);           // xcr0_in
  EXPECT_EQ(load_le<uint64_t>(page.data() + 0x20), 2u);           // xss_in
  EXPECT_EQ(load_le<uint32_t>(page.data() + 0x28), 0x11u);        // eax
  EXPECT_EQ(load_le<uint32_t>(page.data() + 0x34), 0x44u);        // edx
  const auto back = CpuidTable::parse(page);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, t);
}

TEST(SnpCpuidPage, ParseRefusesMoreThan64EntriesAndWrongSizes) {
  Bytes page(kCpuidPageSize, 0);
  store_le<uint32_t>(page.data(), 64);
  EXPECT_TRUE(CpuidTable::parse(page));  // control: 64 is the maximum
  store_le<uint32_t>(page.data(), 65);
  EXPECT_FALSE(CpuidTable::parse(page));
  store_le<uint32_t>(page.data(), 0xFFFFFFFF);
  EXPECT_FALSE(CpuidTable::parse(page));
  EXPECT_FALSE(CpuidTable::parse(ByteSpan(page.data(), 100)));
}

TEST(SnpCpuidPage, TableBuiltFromTheGuestsCpuidPasses) {
  const CpuidTable t = good_table();
  EXPECT_GE(t.functions.size(), 3u);
  ASSERT_NE(t.find(0x8000001F, 0), nullptr);
  EXPECT_EQ(t.find(0x8000001F, 0)->eax, 0x1Au);
  const auto r = snp_cpuid_sanitize(t, milan());
  EXPECT_EQ(r.status, SevStatus::Success);
  EXPECT_TRUE(r.mismatches.empty());
  EXPECT_EQ(r.table, t);
}

TEST(SnpCpuidPage, FeatureBitThePartLacksIsCleared) {
  CpuidTable t = good_table();
  const uint32_t hw_ecx = hw::cpuid(milan(), hw::cpuid_leaf::kExtFeatures).ecx;
  const uint32_t extra = 1u << 30;  // not a bit the model's part reports
  ASSERT_EQ(hw_ecx & extra, 0u);
  const uint32_t provided = entry(t, hw::cpuid_leaf::kExtFeatures).ecx |= extra;
  const auto r = snp_cpuid_sanitize(t, milan());
  EXPECT_EQ(r.status, SevStatus::InvalidParam);
  ASSERT_EQ(r.mismatches.size(), 1u);
  EXPECT_EQ(r.mismatches[0].function, hw::cpuid_leaf::kExtFeatures);
  EXPECT_EQ(r.mismatches[0].provided.ecx, provided);
  EXPECT_EQ(r.mismatches[0].expected.ecx, provided & ~extra);
  EXPECT_EQ(r.table.find(hw::cpuid_leaf::kExtFeatures, 0)->ecx, provided & ~extra);
}

TEST(SnpCpuidPage, HypervisorAndOsxsaveBitsAreUnchecked) {
  CpuidTable t = good_table();
  entry(t, 1).ecx |= 1u << 27 | 1u << 31;
  EXPECT_EQ(snp_cpuid_sanitize(t, milan()).status, SevStatus::Success);
}

TEST(SnpCpuidPage, SignatureAboveThePartIsLoweredToIt) {
  CpuidTable t = good_table();
  const uint32_t part = hw::cpuid(milan(), 1).eax;
  entry(t, 1).eax = hw::encode_signature(milan().family, milan().model, milan().stepping + 1);
  auto r = snp_cpuid_sanitize(t, milan());
  EXPECT_EQ(r.status, SevStatus::InvalidParam);
  EXPECT_EQ(r.table.find(1, 0)->eax, part);
  // Control: an older model of the same family is allowed (LESSTHAN).
  entry(t, 1).eax = hw::encode_signature(milan().family, 0, 0);
  EXPECT_EQ(snp_cpuid_sanitize(t, milan()).status, SevStatus::Success);
}

TEST(SnpCpuidPage, ClflushSizeIsExact) {
  CpuidTable t = good_table();
  entry(t, 1).ebx = (entry(t, 1).ebx & ~0xFF00u) | 16u << 8;
  const auto r = snp_cpuid_sanitize(t, milan());
  EXPECT_EQ(r.status, SevStatus::InvalidParam);
  EXPECT_EQ((r.table.find(1, 0)->ebx >> 8) & 0xFF, 8u);
}

TEST(SnpCpuidPage, MemEncryptLeafRules) {
  CpuidTable t = good_table();
  CpuidFunction& f = entry(t, 0x8000001F);
  f.ebx = (f.ebx & ~(0x3Fu << 6)) | 5u << 6;  // reduction: unchecked
  EXPECT_EQ(snp_cpuid_sanitize(t, milan()).status, SevStatus::Success);
  f.ebx |= 0xFu << 12;  // more VMPLs than the part has: lowered
  auto r = snp_cpuid_sanitize(t, milan());
  EXPECT_EQ(r.status, SevStatus::InvalidParam);
  EXPECT_EQ((r.table.find(0x8000001F, 0)->ebx >> 12) & 0xF, milan().fn8000_001f.num_vmpls());
  f.ebx &= ~(0xFu << 12);
  f.ebx ^= 1;  // a different C-bit position: EBX[5:0] is exact
  EXPECT_EQ(snp_cpuid_sanitize(t, milan()).status, SevStatus::InvalidParam);
}

TEST(SnpCpuidPage, UnknownLeafMustBeZeroButHypervisorLeavesAreNotChecked) {
  CpuidTable t = good_table();
  t.functions.push_back({0x40000000, 0, 0, 0, 0x40000001, 0x4b4d564b, 0, 0, 0});
  EXPECT_EQ(snp_cpuid_sanitize(t, milan()).status, SevStatus::Success);
  t.functions.push_back({0x7, 0, 0, 0, 0, 1u << 5, 0, 0, 0});  // leaf 7 the model lacks
  const auto r = snp_cpuid_sanitize(t, milan());
  EXPECT_EQ(r.status, SevStatus::InvalidParam);
  ASSERT_EQ(r.mismatches.size(), 1u);
  EXPECT_EQ(r.mismatches[0].function, 7u);
  EXPECT_EQ(r.mismatches[0].expected, hw::CpuidResult{});
}

TEST(SnpCpuidPage, XsaveSizeFollowsXcr0In) {
  CpuidTable t;
  t.functions.push_back({0xD, 0, 1, 0, 0x3, 0x240, 0x240, 0, 0});  // QEMU's x87-only entry
  EXPECT_EQ(snp_cpuid_sanitize(t, milan()).status, SevStatus::Success);
  t.functions[0].xcr0_in = 0x7;  // AVX enabled: the area is 0x340 bytes
  const auto r = snp_cpuid_sanitize(t, milan());
  EXPECT_EQ(r.status, SevStatus::InvalidParam);
  EXPECT_EQ(r.table.functions[0].ebx, 0x340u);
}

TEST(SnpCpuidPage, ReservedFieldsFail) {
  CpuidTable t = good_table();
  t.reserved1 = 1;
  EXPECT_EQ(snp_cpuid_sanitize(t, milan()).status, SevStatus::InvalidParam);
  t = good_table();
  t.functions[0].reserved = 1;
  EXPECT_EQ(snp_cpuid_sanitize(t, milan()).status, SevStatus::InvalidParam);
}

TEST(SnpCpuidPage, MismatchLineIsQemus) {
  const CpuidMismatch m{0x80000001, 0, {1, 2, 0x40000001, 4}, {1, 2, 1, 4}};
  EXPECT_EQ(cpuid_mismatch_message(m),
            "SEV-SNP: CPUID validation failed for function 0x80000001, index: 0x0, provided: "
            "eax:0x00000001, ebx: 0x00000002, ecx: 0x40000001, edx: 0x00000004\n"
            "  expected: eax:0x00000001, ebx: 0x00000002, ecx: 0x00000001, edx: 0x00000004");
}

TEST(SnpCpuidPage, BuilderStopsAt64Entries) {
  const auto t = snp_cpuid_table_build([](uint32_t leaf, uint32_t) {
    return hw::CpuidResult{leaf == 0 ? 0xFFFFu : 0, 0, 0, 0};
  });
  EXPECT_EQ(t.functions.size(), kCpuidCountMax);
  EXPECT_TRUE(CpuidTable::parse(t.serialize()));
}

}  // namespace
}  // namespace cbit::psp::snp
