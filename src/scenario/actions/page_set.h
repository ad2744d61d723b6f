// Pages an `alloc-pages` step made on a host (scenario/actions/sme.cc), kept under the step's id
// so later steps (set-memory-decrypted, read-pages, dump-pages) name them with `pages = [...]`.
#pragma once
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"
#include "sw/host/kernel.h"

namespace cbit::scenario {

struct PageSet {
  sw::host::HostKernel* host = nullptr;  // the kernel that allocated them (outlives the set)
  std::vector<VirtAddr> pages;           // direct-map addresses, one per page
  std::vector<Bytes> written;            // what was written into each page
  bool decrypted = false;                // mapped without the C-bit now
};

}  // namespace cbit::scenario
