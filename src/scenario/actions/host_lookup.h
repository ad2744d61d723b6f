// How the SME and DMA actions find what earlier steps made: the host kernel a `host-boot` step
// booted: by the step's `host` key, else the latest one.
#pragma once
#include <string>

#include "common/error.h"
#include "scenario/run.h"
#include "sw/host/kernel.h"

namespace cbit::scenario {

// The host named by `key` ("h" of an earlier host-boot step), or the most recent host when the
// step has no such key. InputError naming the key when there is none.
inline sw::host::HostKernel& host_of(const Args& a, Run& run, std::string_view key = "host") {
  if (a.has(key)) return run.get<sw::host::HostKernel>(a, key, "a host (do = \"host-boot\")");
  if (auto* k = run.latest<sw::host::HostKernel>()) return *k;
  throw InputError(a.where(key) + ": no earlier step booted a host (do = \"host-boot\")");
}

}  // namespace cbit::scenario
