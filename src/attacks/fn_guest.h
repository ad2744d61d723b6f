// Guests for the attack demonstrations: guest code as a C++ function that runs on the simulated
// core in guest mode (hw/svm/guest_software.h), plus the few things such a guest does to set
// itself up: learn its C-bit the way a real SEV / SEV-ES guest does, identity-map some pages
// private or shared, and turn paging on.
//
// A guest function is called again at every VMRUN that follows an exit the hypervisor did not
// resume from (HLT): it keeps its own step counter and continues from there. Returning is HLT.
#pragma once
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "hw/cpu/cpu.h"
#include "hw/svm/guest_software.h"

namespace cbit::attacks {

struct FnGuest final : hw::svm::GuestSoftware {
  explicit FnGuest(std::function<void(hw::Cpu&)> f) : fn(std::move(f)) {}
  void run(hw::Cpu& cpu) override { fn(cpu); }
  std::function<void(hw::Cpu&)> fn;
};

// The guest's C-bit mask: 0 without SEV (SEV_STATUS bit 0 clear); else from CPUID Fn8000_001F
// EBX[5:0] (SEV), or from the GHCB MSR protocol's SEV_INFO response (SEV-ES, where CPUID would
// raise #VC), as Linux's sme_enable() / sev_es_negotiate_protocol() get it.
uint64_t guest_cbit_mask(hw::Cpu& cpu);

struct GuestPage {
  uint64_t gpa;
  bool is_private;  // guest PTE C-bit
};
// Identity-maps 4 KiB `pages` (all inside one 2 MiB-aligned region) with 4-level tables at
// `tables` .. tables + 4 pages (written with paging off: private for an SEV guest), then turns on
// long mode paging. Every page the guest touches afterwards must be in `pages`.
void guest_identity_paging(hw::Cpu& cpu, uint64_t tables, const std::vector<GuestPage>& pages,
                           uint64_t cbit_mask);

}  // namespace cbit::attacks
