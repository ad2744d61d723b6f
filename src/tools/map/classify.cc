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
  const auto classify = [&](Pfn pfn, const auto& s, const uint8_t* data) {
    PageCell& c = in.cells[pfn.value];
    const bool all_zero =
        !data || std::all_of(data, data + kPageSize, [](uint8_t b) { return b == 0; });
    if (s.mixed) {
      c.kind = PageKind::Mixed;
    } else if (s.written && s.tag.encrypted) {
      c.kind = PageKind::Ciphertext;
      c.key = s.tag.key.value;
    } else {
      c.kind = all_zero ? PageKind::Zero : PageKind::Plaintext;
    }
  };
  m.dram().for_each_touched([&](Pfn pfn, const uint8_t* data) {
    if (pfn.value < pages) classify(pfn, tracker.page(pfn), data);
  });
  // Zeros written into a page never written before store nothing (hw::Dram::write): the page
  // is still written, all zero, as the memory controller's record shows.
  tracker.for_each_page([&](Pfn pfn, const hw::WriteTracker::PageSummary& s) {
    if (pfn.value < pages && !m.dram().page_if_present(pfn)) classify(pfn, s, nullptr);
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
