// The firmware's DRAM alias probe (BadRAM fix) and the memory controller's BadRAM decoding:
// on a DIMM that claims one more row bit, SPA and SPA + DRAM size reach one cell and the probe
// finds that bit; on an honest DIMM (the control) the alias range is no memory and the probe
// finds nothing. Which firmware versions run it.
#include "hw/psp/sev/alias_check.h"

#include <gtest/gtest.h>

#include <cstring>

#include "common/error.h"
#include "hw/machine.h"

namespace cbit::hw {
namespace {

MachineConfig small(bool badram) {
  MachineConfig c;
  c.dram_bytes = 16ull << 20;
  c.seed = 1;
  c.badram_dimm = badram;
  return c;
}

TEST(AliasCheck, BadRamDimmAliasesTheUpperHalf) {
  Machine m(small(true));
  const uint8_t v[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  m.memctrl().write(SysPhysAddr((16ull << 20) + 0x5000), v, EncTag::none());
  uint8_t back[16] = {};
  m.memctrl().read(SysPhysAddr(0x5000), back, EncTag::none());
  EXPECT_EQ(0, std::memcmp(v, back, 16));
  EXPECT_EQ(psp::sev::dram_alias_check(m.memctrl(), 1ull << 40), 16ull << 20);
  // The probe put the cells back.
  m.memctrl().read(SysPhysAddr(0x1000), back, EncTag::none());
  EXPECT_EQ(back[0], 0);
}

TEST(AliasCheck, HonestDimmHasNoAlias) {
  Machine m(small(false));
  EXPECT_FALSE(m.memctrl().is_backed(SysPhysAddr((16ull << 20) + 0x5000), 16));
  EXPECT_EQ(psp::sev::dram_alias_check(m.memctrl(), 1ull << 40), 0u);
}

TEST(AliasCheck, FirmwareVersionsWithTheCheck) {
  EXPECT_FALSE(psp::sev::firmware_has_alias_check(1, 55, 21));
  EXPECT_TRUE(psp::sev::firmware_has_alias_check(1, 55, 22));
  EXPECT_TRUE(psp::sev::firmware_has_alias_check(1, 57, 0));
  EXPECT_FALSE(psp::sev::firmware_has_alias_check(1, 51, 30));
}

TEST(AliasCheck, BadRamNeedsAPowerOfTwoDram) {
  auto c = small(true);
  c.dram_bytes = 24ull << 20;
  EXPECT_THROW(Machine m(c), InputError);
}

}  // namespace
}  // namespace cbit::hw
