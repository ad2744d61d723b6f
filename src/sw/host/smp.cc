#include "sw/host/smp.h"

#include "hw/machine.h"

namespace cbit::sw::host {

void wbinvd_on_all_cpus(hw::Machine& m) {
  // on_each_cpu(do_wbinvd): the instruction runs on each core, through that core's cache
  // controls (the kernel runs at CPL 0).
  for (unsigned core = 0; core < m.cores(); ++core) m.cpu(core).wbinvd();
}

}  // namespace cbit::sw::host
