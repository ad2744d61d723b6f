// The presets against recorded CPUID dumps of real EPYC parts (tests/data/cpuid/, README.md
// there): every value a preset takes from its part must equal the dump's register, and the only
// value that may differ, Fn8000_001F EDX, is the BIOS setting documented in hw/cpu_models.h.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <string>

#include "hw/cpu/cpuid.h"

namespace cbit::hw {
namespace {

struct Dump {
  std::string header;                    // the '#' lines
  std::map<uint32_t, CpuidResult> leaf;  // subleaf 0
};

// `cpuid -r -1` lines: "   0x8000001f 0x00: eax=0x... ebx=0x... ecx=0x... edx=0x...".
Dump read_dump(const std::string& file) {
  Dump d;
  std::ifstream in(std::string(CBIT_SOURCE_DIR) + "/tests/data/cpuid/" + file);
  EXPECT_TRUE(in) << file;
  const std::regex line(
      R"(^\s+0x([0-9a-f]{8}) 0x00: eax=0x([0-9a-f]{8}) ebx=0x([0-9a-f]{8}) ecx=0x([0-9a-f]{8}) edx=0x([0-9a-f]{8})$)");
  for (std::string l; std::getline(in, l);) {
    if (l.empty()) continue;
    if (l[0] == '#') {
      d.header += l + "\n";
      continue;
    }
    std::smatch m;
    if (!std::regex_match(l, m, line)) {
      ADD_FAILURE() << file << ": not a `cpuid -r -1` line: " << l;
      continue;
    }
    auto hex = [&](int i) { return static_cast<uint32_t>(std::stoul(m[i].str(), nullptr, 16)); };
    d.leaf[hex(1)] = {hex(2), hex(3), hex(4), hex(5)};
  }
  return d;
}

// Which dump each preset must equal. Kept here, not taken from the preset, so a preset that
// names the wrong dump fails too.
const std::map<std::string, std::string> kPresetDump = {
    {"naples", "epyc-7551p.txt"}, {"rome", "epyc-7742.txt"},  {"milan", "epyc-7763.txt"},
    {"genoa", "epyc-9124.txt"},   {"turin", "epyc-9655.txt"},
};

// The registers a preset answers as its part does. The rest of leaves 0, 1, 0x80000000 and
// 0x80000001 (maximum leaves, feature flags, APIC ids) is the model's own: it implements fewer
// leaves and features than the part (hw/cpu/cpuid.h).
struct Field {
  uint32_t leaf;
  const char* reg;
  uint32_t CpuidResult::*r;
};
const Field kFromThePart[] = {
    {0x00000000, "ebx", &CpuidResult::ebx}, {0x00000000, "ecx", &CpuidResult::ecx},
    {0x00000000, "edx", &CpuidResult::edx}, {0x00000001, "eax", &CpuidResult::eax},
    {0x80000000, "ebx", &CpuidResult::ebx}, {0x80000000, "ecx", &CpuidResult::ecx},
    {0x80000000, "edx", &CpuidResult::edx}, {0x80000001, "eax", &CpuidResult::eax},
    {0x80000002, "eax", &CpuidResult::eax}, {0x80000002, "ebx", &CpuidResult::ebx},
    {0x80000002, "ecx", &CpuidResult::ecx}, {0x80000002, "edx", &CpuidResult::edx},
    {0x80000003, "eax", &CpuidResult::eax}, {0x80000003, "ebx", &CpuidResult::ebx},
    {0x80000003, "ecx", &CpuidResult::ecx}, {0x80000003, "edx", &CpuidResult::edx},
    {0x80000004, "eax", &CpuidResult::eax}, {0x80000004, "ebx", &CpuidResult::ebx},
    {0x80000004, "ecx", &CpuidResult::ecx}, {0x80000004, "edx", &CpuidResult::edx},
    {0x80000008, "eax", &CpuidResult::eax}, {0x8000001F, "eax", &CpuidResult::eax},
    {0x8000001F, "ebx", &CpuidResult::ebx}, {0x8000001F, "ecx", &CpuidResult::ecx},
};

// The fields where `model` and `dump` differ, as "leaf reg model!=dump".
std::vector<std::string> differences(const CpuModel& model, const Dump& dump) {
  std::vector<std::string> out;
  for (const auto& f : kFromThePart) {
    const auto it = dump.leaf.find(f.leaf);
    if (it == dump.leaf.end()) {
      out.push_back("leaf missing from the dump");
      continue;
    }
    const uint32_t want = it->second.*f.r, got = cpuid(model, f.leaf).*f.r;
    if (want != got) {
      char s[80];
      std::snprintf(s, sizeof s, "0x%08x %s 0x%08x!=0x%08x", f.leaf, f.reg, got, want);
      out.push_back(s);
    }
  }
  return out;
}

TEST(CpuPresets, EveryPresetEqualsTheDumpOfItsPart) {
  ASSERT_EQ(cpu_model_presets().size(), kPresetDump.size());
  for (const auto& m : cpu_model_presets()) {
    SCOPED_TRACE(m.name);
    const auto file = kPresetDump.find(m.name);
    ASSERT_NE(file, kPresetDump.end());
    EXPECT_EQ(m.source, "tests/data/cpuid/" + file->second);
    const Dump d = read_dump(file->second);
    EXPECT_EQ(differences(m, d), std::vector<std::string>{});
  }
}

TEST(CpuPresets, MinSevAsidIsTheOnlyBiosSettingAndItsDefaultIsTheDumps) {
  for (const auto& m : cpu_model_presets()) {
    SCOPED_TRACE(m.name);
    const Dump d = read_dump(kPresetDump.at(m.name));
    const CpuidResult dumped = d.leaf.at(0x8000001F);
    // Every recorded part shows the BIOS default.
    EXPECT_EQ(dumped.edx, kBiosDefaultMinSevAsid);
    // With the BIOS back at its default the whole leaf is the dump's.
    CpuModel bios_default = m;
    apply_cpu_override(bios_default, "min-sev-asid=" + std::to_string(kBiosDefaultMinSevAsid));
    EXPECT_EQ(cpuid(bios_default, 0x8000001F), dumped);
    // The BIOS setting the preset models is documented, and in the range KVM accepts
    // (sev_hardware_setup: 1 .. ECX; ES guests get 1 .. EDX-1).
    EXPECT_FALSE(m.bios_note.empty());
    EXPECT_GE(m.fn8000_001f.edx, 1u);
    EXPECT_LE(m.fn8000_001f.edx, m.fn8000_001f.ecx);
  }
  // The parts that run SEV-ES guests (all but the first generation, whose SEV firmware has no
  // SEV-ES) are set up with ASIDs for them; Naples keeps the default the seeds' host shows.
  EXPECT_EQ(cpu_model_by_name("naples").fn8000_001f.edx, kBiosDefaultMinSevAsid);
  for (const char* n : {"rome", "milan", "genoa", "turin"})
    EXPECT_GT(cpu_model_by_name(n).fn8000_001f.edx, 1u) << n;
}

// Control: the comparison sees a real difference. An EPYC 9654 has Genoa's family, model and
// stepping but its machine reports SNP (Fn8000_001F EAX[4]) clear; against it the genoa preset
// differs in that bit and the brand string only.
TEST(CpuPresets, ComparisonCatchesAnotherGenoasDifferences) {
  const Dump d9654 = read_dump("epyc-9654.txt");
  const auto diff = differences(cpu_model_by_name("genoa"), d9654);
  ASSERT_FALSE(diff.empty());
  EXPECT_EQ(d9654.leaf.at(0x8000001F).eax ^ cpuid(cpu_model_by_name("genoa"), 0x8000001F).eax,
            1u << static_cast<unsigned>(SevFeature::SevSnp));
  for (const auto& s : diff) {
    const bool brand = s.rfind("0x80000002", 0) == 0 || s.rfind("0x80000003", 0) == 0 ||
                       s.rfind("0x80000004", 0) == 0;
    EXPECT_TRUE(brand || s.rfind("0x8000001f eax", 0) == 0) << s;
  }
  // And the preset the issue found wrong: the derived Milan feature set of earlier cbit
  // (RMPQUERY set, which no Milan reports) fails the comparison.
  CpuModel derived = cpu_model_by_name("milan");
  derived.fn8000_001f.eax |= 1u << static_cast<unsigned>(SevFeature::RmpQuery);
  EXPECT_EQ(differences(derived, read_dump("epyc-7763.txt")),
            std::vector<std::string>{"0x8000001f eax 0x0001fc7f!=0x0001fc3f"});
}

TEST(CpuPresets, DumpsNameTheirSourceAndHoldEveryComparedLeaf) {
  for (const char* f : {"epyc-7551p.txt", "epyc-7742.txt", "epyc-7763.txt", "epyc-9124.txt",
                        "epyc-9654.txt", "epyc-9655.txt"}) {
    SCOPED_TRACE(f);
    const Dump d = read_dump(f);
    EXPECT_NE(d.header.find("# source: https://github.com/"), std::string::npos);
    EXPECT_NE(d.header.find("AuthenticAMD/"), std::string::npos);  // the path in the repository
    EXPECT_NE(d.header.find("AMD EPYC "), std::string::npos);      // the part
    for (const auto& fld : kFromThePart) EXPECT_TRUE(d.leaf.count(fld.leaf)) << fld.leaf;
    // The dump describes itself: its brand leaves spell the part named in the header.
    std::string brand;
    for (uint32_t l : {0x80000002u, 0x80000003u, 0x80000004u})
      for (uint32_t r : {d.leaf.at(l).eax, d.leaf.at(l).ebx, d.leaf.at(l).ecx, d.leaf.at(l).edx})
        for (int i = 0; i < 4; ++i) brand += static_cast<char>(r >> (8 * i) & 0xFF);
    brand = brand.substr(0, brand.find_last_not_of(std::string(" \0", 2)) + 1);
    EXPECT_NE(d.header.find(brand), std::string::npos) << brand;
  }
}

}  // namespace
}  // namespace cbit::hw
