// `cbit map --scenario snp`: pages coloured by RMP state and owner. Two SNP guests (ASIDs 1 and
// 2) accept 16 and 32 pages: those are guest-valid under their own ASID, each guest has a VMSA
// page, the RMP itself is firmware-owned. Control: the same machine classified by content
// alone has no RMP class, and a preset without SNP is refused.
#include <gtest/gtest.h>

#include <map>

#include "common/error.h"
#include "demo/scenarios.h"
#include "tools/map/classify.h"
#include "tools/map/palette.h"

namespace cbit::tools::map {
namespace {

TEST(MapSnp, ColoursPagesByRmpStateAndAsid) {
  demo::DemoOptions opt;
  opt.cpu = "milan";
  opt.seed = 1;
  const auto w = demo::build_scenario("snp", opt);
  const MapInput in = classify_machine_rmp(*w.machine, "t");
  std::map<std::pair<PageKind, uint32_t>, size_t> n;
  for (const auto& c : in.cells) ++n[{c.kind, c.key}];
  EXPECT_GT((n[{PageKind::RmpFirmware, 0}]), 0u);
  EXPECT_GE((n[{PageKind::RmpGuestValid, 1}]), 16u);
  EXPECT_GE((n[{PageKind::RmpGuestValid, 2}]), 32u);
  EXPECT_EQ((n[{PageKind::RmpVmsa, 1}]), 1u);
  EXPECT_EQ((n[{PageKind::RmpVmsa, 2}]), 1u);
  EXPECT_NE(cell_colour({PageKind::RmpGuestValid, 1}), cell_colour({PageKind::RmpGuestValid, 2}));
  EXPECT_NE(cell_colour({PageKind::RmpVmsa, 1}), cell_colour({PageKind::RmpFirmware, 0}));

  const MapInput plain = classify_machine(*w.machine, "t");
  for (const auto& c : plain.cells)
    EXPECT_TRUE(c.kind <= PageKind::Mixed) << "content classes only without the RMP";
}

TEST(MapSnp, NeedsAPartWithSnp) {
  demo::DemoOptions opt;
  opt.cpu = "rome";
  EXPECT_THROW(demo::check_scenario("snp", opt), InputError);
}

}  // namespace
}  // namespace cbit::tools::map
