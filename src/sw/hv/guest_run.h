// After a launch, the VM runs: cbit's guest kernel model boots in the launched VM and runs one
// program from the VM's cbit disk. This is what stands in for the firmware the launch measured
// (OVMF) booting Linux: OVMF's code is not executed; the kernel model takes over on vCPU 0 of
// the same VM, with the VM's ASID, its memory (guest_memfd for SEV-SNP), the VMSA the launch
// measured and, for SEV-SNP, the pages OVMF hands Linux in the CC blob (the CPUID and secrets
// pages the firmware placed, the ranges SNP_LAUNCH_UPDATE already validated; snp_cc_blob.h).
// The guest kernel's SNP path is Linux's (arch/x86/coco/sev/, docs/snp.md): SEV_STATUS,
// the CPUID table, unaccepted memory accepted on first use (docs/guest.md), the GHCB, the
// secrets page.
//
// Usage: guest_program("secret 123") names examples/guest/secret.elf; give
// guest_program_disk(p) to VmConfig::disk, launch the VM, then run_guest_program(vm, p): the
// result carries the program's output bytes (what it wrote to fds 1 and 2), the kernel's log,
// and, when the guest did not run the program to its end (a GHCB termination request such as
// the #VC 0x404 of an unvalidated page, a kernel panic, a killed or missing program), one line
// saying why.
// Errors: InputError for an unknown program, an empty command line or an ELF file too large
// for the disk; a failing guest is a result (failure), not an exception.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "hw/svm/guest_software.h"
#include "sw/guest/kernel.h"

namespace cbit::sw::hv {

class Vm;

struct GuestProgram {
  std::vector<std::string> argv;  // argv[0] is "./" + the file's name on the disk
  Bytes elf;
  std::string source;  // where the ELF came from on the host
};

// "NAME ARGS...": NAME is examples/guest/NAME.elf (x86::find_guest_program; ".elf" may be
// given), or, when it holds a '/', a path to an x86-64 ELF file. Words split on spaces.
GuestProgram guest_program(const std::string& command_line);
// The cbit disk holding the program (VmConfig::disk).
Bytes guest_program_disk(const GuestProgram& program);

struct GuestProgramResult {
  std::vector<std::string> dmesg;  // every line the guest kernel logged
  std::string output;              // the program's bytes on fds 1 and 2
  guest::ProgramRun::State state = guest::ProgramRun::State::NotFound;
  int exit_code = 0;
  uint64_t sev_status = 0;  // what the guest read from SEV_STATUS
  hw::svm::VmExit last_exit;
  // Why the guest did not run the program to its end, in one line; nullopt when it exited.
  std::optional<std::string> failure;
  bool ok() const { return !failure; }
};

// The guest kernel boots in `vm` (launched; vCPU 0) and runs `program`, which must be the file
// on vm's disk. `gcfg` is the kernel's configuration; its RAM size and, for SEV-SNP, the CC
// blob come from the VM.
GuestProgramResult run_guest_program(Vm& vm, const GuestProgram& program,
                                     guest::GuestKernelConfig gcfg = {});

// Why the guest stopped before `name` (the program's argv[0]) ended, in one line, or nullopt when
// the program exited or paused: a GHCB termination request (the guest's own verdict), a kernel
// panic, a kernel that did not boot, a program not found, refused or killed.
std::optional<std::string> guest_failure(const guest::GuestKernel& g, const std::string& name);

// The lines of the kernel's log about memory encryption (what `dmesg | grep -i 'SEV\|encrypt'`
// shows).
std::vector<std::string> sev_dmesg_lines(const std::vector<std::string>& dmesg);

}  // namespace cbit::sw::hv
