#include "tools/map/classify.h"

#include <algorithm>

namespace cbit::tools::map {

MapInput classify_machine(hw::Machine& m, std::string title) {
  MapInput in;
  in.title = std::move(title);
  in.first_pfn = 0;
  const uint64_t pages = m.dram().size() >> kPageShift;
  in.cells.resize(pages);
  const auto& tracker = m.memctrl().write_tracker();
  m.dram().for_each_touched([&](Pfn pfn, const uint8_t* data) {
    if (pfn.value >= pages) return;
    PageCell& c = in.cells[pfn.value];
    const auto s = tracker.page(pfn);
    const bool all_zero = std::all_of(data, data + kPageSize, [](uint8_t b) { return b == 0; });
    if (s.mixed) {
      c.kind = PageKind::Mixed;
    } else if (s.written && s.tag.encrypted) {
      c.kind = PageKind::Ciphertext;
      c.key = s.tag.key.value;
    } else {
      c.kind = all_zero ? PageKind::Zero : PageKind::Plaintext;
    }
  });
  return in;
}

MapInput classify_machine_rmp(hw::Machine& m, std::string title) {
  MapInput in = classify_machine(m, std::move(title));
  if (!m.rmp().enabled()) return in;
  const auto& t = m.rmp().table();
  for (uint64_t pfn = 0; pfn < in.cells.size(); ++pfn) {
    const SysPhysAddr spa(pfn << kPageShift);
    if (!t.covers(spa)) continue;
    const hw::rmp::RmpEntry e = t.read(spa);
    PageCell& c = in.cells[pfn];
    using S = hw::rmp::PageState;
    switch (hw::rmp::rmp_entry_get_state(e)) {
      case S::Firmware:
      case S::Context:
      case S::Metadata:
      case S::FirmwareIommu:
        c = {PageKind::RmpFirmware, 0};
        break;
      case S::GuestValid:
        c = {e.vmsa ? PageKind::RmpVmsa : PageKind::RmpGuestValid, e.asid};
        break;
      case S::GuestInvalid:
      case S::PreGuest:
      case S::PreSwap:
        c = {PageKind::RmpGuestInvalid, e.asid};
        break;
      default:
        break;  // the hypervisor's (Hypervisor, HV_Fixed, Reclaim): what its bytes show
    }
  }
  return in;
}

}  // namespace cbit::tools::map
