// CPUID as each preset answers it.
#include <gtest/gtest.h>

#include <cstring>

#include "hw/cpu/cpuid.h"

namespace cbit::hw {
namespace {

std::string vendor(const CpuidResult& r) {
  char s[13] = {};
  std::memcpy(s, &r.ebx, 4);
  std::memcpy(s + 4, &r.edx, 4);
  std::memcpy(s + 8, &r.ecx, 4);
  return s;
}

TEST(CpuCpuid, Seed004NaplesReadOut) {
  // `cpuid -r -1 -l 0x8000001f` on the seed's host:
  // eax=0x0000000f ebx=0x0000016f ecx=0x0000000f edx=0x00000001
  const auto r = cpuid(cpu_model_by_name("naples"), 0x8000001F);
  EXPECT_EQ(r, (CpuidResult{0x0000000f, 0x0000016f, 0x0000000f, 0x00000001}));
}

TEST(CpuCpuid, EveryPresetReportsItsModel) {
  for (const auto& m : cpu_model_presets()) {
    SCOPED_TRACE(m.name);
    const auto v = cpuid(m, 0);
    EXPECT_EQ(vendor(v), "AuthenticAMD");
    EXPECT_GE(v.eax, 1u);
    const auto ext = cpuid(m, 0x80000000);
    EXPECT_EQ(vendor(ext), "AuthenticAMD");
    EXPECT_GE(ext.eax, 0x8000001Fu);  // software finds the memory-encryption leaf

    const auto f = cpuid(m, 0x8000001F);
    EXPECT_EQ(f.eax, m.fn8000_001f.eax);
    EXPECT_EQ(f.ebx & 0x3f, m.fn8000_001f.cbit_position());
    EXPECT_EQ((f.ebx >> 6) & 0x3f, m.fn8000_001f.phys_addr_reduction());
    EXPECT_EQ((f.ebx >> 12) & 0xf, m.fn8000_001f.num_vmpls());
    EXPECT_EQ(f.ecx, m.fn8000_001f.num_encrypted_guests());
    EXPECT_EQ(f.edx, m.fn8000_001f.min_sev_asid());
    EXPECT_TRUE(f.eax & 1u) << "SME";
    EXPECT_TRUE(f.eax & 2u) << "SEV";

    const auto e1 = cpuid(m, 0x80000001);
    EXPECT_TRUE(e1.ecx & (1u << 2)) << "SVM";
    EXPECT_TRUE(e1.edx & (1u << 20)) << "NX";
    EXPECT_TRUE(e1.edx & (1u << 29)) << "LM";
    EXPECT_EQ(e1.eax, cpuid(m, 1).eax);

    // Fn8000_0008 reports the unreduced width; the reduction is only in Fn8000_001F EBX[11:6].
    EXPECT_EQ(cpuid(m, 0x80000008).eax & 0xff, m.maxphyaddr);
    EXPECT_EQ((cpuid(m, 0x80000008).eax >> 8) & 0xff, m.linear_bits);
  }
}

TEST(CpuCpuid, SignatureEncodesExtendedFamilyAndModelAsAmdDoes) {
  // Real parts (tests/data/cpuid/): EPYC 7551P 0x00800F12, EPYC 7742 0x00830F10,
  // EPYC 7763 0x00A00F11, EPYC 9124 0x00A10F11, EPYC 9655 0x00B00F21.
  EXPECT_EQ(cpuid(cpu_model_by_name("naples"), 1).eax, 0x00800F12u);
  EXPECT_EQ(cpuid(cpu_model_by_name("rome"), 1).eax, 0x00830F10u);
  EXPECT_EQ(cpuid(cpu_model_by_name("milan"), 1).eax, 0x00A00F11u);
  EXPECT_EQ(cpuid(cpu_model_by_name("genoa"), 1).eax, 0x00A10F11u);
  EXPECT_EQ(cpuid(cpu_model_by_name("turin"), 1).eax, 0x00B00F21u);
  // Below family 0Fh the extended fields stay zero.
  EXPECT_EQ(encode_signature(6, 0x1A, 5), 0x000006A5u);
}

TEST(CpuCpuid, SevFeatureBitsFollowTheGeneration) {
  auto eax = [](const char* n) { return cpuid(cpu_model_by_name(n), 0x8000001F).eax; };
  EXPECT_FALSE(eax("naples") & (1u << 4));  // no SNP on Zen 1
  EXPECT_FALSE(eax("rome") & (1u << 4));
  EXPECT_TRUE(eax("milan") & (1u << 4));
  EXPECT_TRUE(eax("genoa") & (1u << 4));
  EXPECT_TRUE(eax("milan") & (1u << 10));  // SME_COHERENT
  EXPECT_FALSE(eax("naples") & (1u << 10));
}

TEST(CpuCpuid, WbnoinvdFromZen2) {
  EXPECT_FALSE(cpuid(cpu_model_by_name("naples"), 0x80000008).ebx & (1u << 9));
  EXPECT_TRUE(cpuid(cpu_model_by_name("rome"), 0x80000008).ebx & (1u << 9));
  EXPECT_TRUE(cpuid(cpu_model_by_name("turin"), 0x80000008).ebx & (1u << 9));
}

TEST(CpuCpuid, OverridesReachCpuid) {
  CpuModel m = cpu_model_by_name("naples");
  apply_cpu_override(m, "cbit=51");
  apply_cpu_override(m, "maxphyaddr=52");
  EXPECT_EQ(cpuid(m, 0x8000001F).ebx & 0x3f, 51u);
  EXPECT_EQ(cpuid(m, 0x80000008).eax & 0xff, 52u);
}

TEST(CpuCpuid, UnimplementedLeavesReadZero) {
  const auto& m = cpu_model_by_name("milan");
  EXPECT_EQ(cpuid(m, 7), CpuidResult{});
  EXPECT_EQ(cpuid(m, 0x80000020), CpuidResult{});
}

}  // namespace
}  // namespace cbit::hw
