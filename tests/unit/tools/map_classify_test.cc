// cbit map's page classes after hw::Dram's zero-write fast path: zeros written into a page never
// written store nothing in the DRAM model, yet the page was written (all zero) and the map must
// say so; a page no one wrote stays Untouched, plain data stays Plaintext.
#include <gtest/gtest.h>

#include "hw/machine.h"
#include "hw/memctrl/memory_controller.h"
#include "tools/map/classify.h"

namespace cbit::tools::map {
namespace {

TEST(MapClassify, ZerosWrittenIntoAFreshPageAreZeroNotUntouched) {
  hw::MachineConfig cfg;
  cfg.dram_bytes = 16ull << 20;
  cfg.seed = 1;
  hw::Machine m(cfg);
  m.memctrl().write(SysPhysAddr(0x100000), Bytes(kPageSize, 0), hw::EncTag::none());
  m.memctrl().write(SysPhysAddr(0x101000), Bytes(kPageSize, 0x11), hw::EncTag::none());
  ASSERT_EQ(m.dram().page_if_present(Pfn(0x100)), nullptr);  // the fast path stored nothing
  const MapInput in = classify_machine(m, "t");
  EXPECT_EQ(in.cells[0x100].kind, PageKind::Zero);
  EXPECT_EQ(in.cells[0x101].kind, PageKind::Plaintext);
  EXPECT_EQ(in.cells[0x102].kind, PageKind::Untouched);  // control: never written
}

}  // namespace
}  // namespace cbit::tools::map
