// What the guest actions of a scenario (actions/guest.cc, guest_memory.cc, dump.cc) keep in the
// Run, under the id of the step that made them, for later steps to name:
//  - a SEV host (`sev-host`): testbed::SevHost itself — the machine with SME, the host kernel
//    booted with mem_encrypt=on, the PSP driver and KVM's SEV state, and the attacker that
//    owns it (h-scnatk's attack actions may take it: run.get<testbed::SevHost>(args, "host",
//    "a SEV host"));
//  - a guest (`guest`): a VM of one mode launched on that host as QEMU does (sw/hv/vm.h), the
//    guest kernel model that boots in it on its first run and stays (its programs stay
//    resident), and what the launch reported;
//  - a guest page (`guest-page`): one page the guest allocated, private or shared with the
//    hypervisor (seed 002);
//  - a dump (`dump-guest-memory`): the ELF core the hypervisor wrote, and the guest it is of.
// Objects are released newest first (Run), so a page or dump never outlives its guest.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/addr.h"
#include "scenario/action.h"
#include "sw/guest/kernel.h"
#include "sw/hv/vm.h"
#include "testbed/sev_host.h"

namespace cbit::scenario {

class Run;

// The guest-kernel side of one VM; the kernel is made (and boots) on the first run().
class GuestVm {
 public:
  GuestVm(testbed::SevHost& host, std::unique_ptr<sw::hv::Vm> vm,
          sw::guest::GuestKernelConfig kcfg);
  ~GuestVm();
  GuestVm(const GuestVm&) = delete;
  GuestVm& operator=(const GuestVm&) = delete;

  // `task` in the guest (none: just enter it), then the guest's idle HLT: one KVM_RUN.
  hw::svm::VmExit run(sw::guest::GuestKernel::Task task = {});
  // Queues a program (argv[0] from the guest's disk) and runs the guest until it ends or pauses.
  const sw::guest::ProgramRun* run_program(std::vector<std::string> argv);

  sw::guest::GuestKernel& kernel();  // made on first use (boots on the first run())
  bool started() const { return kernel_ != nullptr; }
  sw::hv::Vm& vm() { return *vm_; }
  testbed::SevHost& host() { return host_; }
  sw::hv::SevMode mode() const { return vm_->config().mode; }

  // Filled by the `guest` action.
  std::string id;               // the step id ("g"), for default file names
  std::string disk_file;        // the program's file name on the guest's disk ("a.out"), or ""
  bool owner_verified = false;  // the guest owner accepted LAUNCH_MEASURE
  uint64_t ram_bytes = 0;

 private:
  testbed::SevHost& host_;
  std::unique_ptr<sw::hv::Vm> vm_;
  sw::guest::GuestKernelConfig kcfg_;
  std::unique_ptr<sw::guest::GuestKernel> kernel_;  // declared after vm_: goes first
};

struct GuestPage {
  GuestVm* guest = nullptr;
  GuestPhysAddr gpa;
  bool shared = false;
};

struct GuestDump {
  GuestVm* guest = nullptr;
  std::string path;  // the file
  std::string file;  // its name, for transcripts (the work directory may be a temporary one)
};

// The groups of guest actions (scenario/actions.cc lists them in doc order).
void add_guest_actions(std::vector<Action>& out);         // sev-host, guest, guest-run, ...
void add_guest_memory_actions(std::vector<Action>& out);  // guest-page, guest-read, hv-write ...
void add_dump_actions(std::vector<Action>& out);          // dump-guest-memory, scan

// The guest under args' `guest` key, or (no key) the latest guest; InputError naming the key.
GuestVm& guest_of(const Args& a, Run& run);

// Printable text of guest bytes ('.' for the rest), as the demo shows what a side read.
std::string printable(ByteSpan b);

// "off", "sev", "sev-es", "snp" (the `mode` key's values) and back.
sw::hv::SevMode mode_from_key(const std::string& s);
const char* mode_key(sw::hv::SevMode m);

}  // namespace cbit::scenario
