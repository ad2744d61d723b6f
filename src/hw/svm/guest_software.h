// How the two sides of SVM meet in the model.
//
// On real hardware VMRUN starts fetching guest instructions, and a #VMEXIT resumes the
// hypervisor after its VMRUN. Here the guest is software (a guest-kernel model, or real x86-64
// code under Unicorn) that calls the CPU's instruction methods while the CPU is in guest mode.
// An intercepted instruction performs the #VMEXIT there and then: the CPU saves the guest state
// into the VMCB (or, under SEV-ES, the encrypted VMSA), switches to host mode and calls the
// hypervisor's exit handler; if the handler asks to resume, the CPU executes VMRUN again with
// the same VMCB (reading whatever the hypervisor changed) and the guest's instruction completes.
// If not, the guest is left: Cpu::vmrun() returns the exit to the hypervisor's run loop, and the
// next VMRUN calls the guest software's run() again (it continues from its own state).
#pragma once
#include <cstdint>

#include "common/addr.h"

namespace cbit::hw {
class Cpu;
}

namespace cbit::hw::svm {

struct VmExit {
  uint64_t code = 0;
  uint64_t info1 = 0;
  uint64_t info2 = 0;
};

class GuestSoftware {
 public:
  virtual ~GuestSoftware() = default;
  // Runs guest code on `cpu` (in guest mode). Returning is the guest executing HLT.
  virtual void run(Cpu& cpu) = 0;
  // An event VMRUN injected (VMCB EVENTINJ), delivered before the guest's next instruction:
  // the guest's handler for `vector` runs on `cpu` with the pushed `error_code`. Guest software
  // without a handler for it lets the exception escape (default: thrown as the CPU exception,
  // which ends the run as an unhandled exception does: #VMEXIT(SHUTDOWN)).
  virtual void exception(Cpu& cpu, uint8_t vector, uint32_t error_code);
};

class VmExitHandler {
 public:
  virtual ~VmExitHandler() = default;
  // Called in host mode after the #VMEXIT wrote the VMCB. True: VMRUN again, the guest goes on.
  virtual bool handle_exit(Cpu& cpu, const VmExit& exit) = 0;
};

// What VMRUN asks the Secure Processor's side before it lets an SEV guest run: is the ASID bound
// to a launched guest whose key is loaded in the memory controller (SEV-API ACTIVATE)?
class AsidGate {
 public:
  virtual ~AsidGate() = default;
  virtual bool asid_runnable(Asid asid) const = 0;
};

}  // namespace cbit::hw::svm
