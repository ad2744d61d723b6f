// Fuzz target: the page-map JSON reader of `cbit scan --page-map`. Either InputError, or a map
// whose regions are sorted, page-aligned, non-empty and non-overlapping, and whose lookups agree
// with the regions.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "tools/scan/page_map.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit::tools::scan;
  try {
    const PageMap map =
        PageMap::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    const auto& regs = map.regions();
    for (size_t i = 0; i < regs.size(); ++i) {
      CBIT_ASSERT(regs[i].size > 0 && regs[i].gpa % 4096 == 0 && regs[i].size % 4096 == 0);
      if (i) CBIT_ASSERT(regs[i - 1].gpa + regs[i - 1].size <= regs[i].gpa);
      CBIT_ASSERT(map.find(regs[i].gpa) == &regs[i]);
      CBIT_ASSERT(map.find(regs[i].gpa + regs[i].size - 1) == &regs[i]);
    }
  } catch (const cbit::InputError&) {
  }
  return 0;
}
