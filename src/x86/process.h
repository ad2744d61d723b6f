// One user process running real x86-64 code (Unicorn 2) on cbit's simulated CPU.
//
// How memory flows (docs/x86.md): Unicorn runs in 64-bit mode with its own paging off, so a
// Unicorn "physical" address is the guest's virtual address. Data pages are uc_mmio_map
// regions: every load and store the program makes calls back into the Process, which serves
// it from a small plaintext page cache (page_cache.h) filled and written back through
// GuestMemory - the simulated CPU's MMU (C-bit, U/S, R/W, NX), cache, memory controller and
// AES engine. Code pages are Unicorn RAM regions filled by GuestMemory::fetch at the start of
// every run(), refilled (and Unicorn's translation cache dropped) whenever they are written.
// Accesses to addresses the process never mapped are performed through GuestMemory as well,
// so the #PF the program gets is the one cbit's MMU raises.
//
// SYSCALL goes to a SyscallHandler; instructions Unicorn does not know (VMGEXIT) reach
// SyscallHandler::vmgexit. The data cache is flushed and dropped before either is called and
// before run() returns.
//
// After a Fault the registers are those before the faulting instruction, RIP at it (a fetch
// fault: RIP is the address that could not be fetched).
//
// Instruction budget (docs/x86.md "Speed"): the first kExactInstructions of every run are
// counted block by block by a Unicorn block hook - exact and deterministic, and a budget within
// them stops exactly. A hook call per block costs a tight loop a third of its speed, so a run
// that goes on past them (only when its budget allows more) drops the hook and is bounded by
// CPU time instead: the budget left, converted at the rate the exact part ran, is a deadline on
// the thread's CPU clock, enforced by RunWatchdog (run_watchdog.h). Such a run reports its
// instructions as an estimate (RunResult::instructions_exact false). Every stop within the exact
// part is at a basic block boundary with registers and memory exact, so a run cut into pieces
// ends in the same state as one run; so is a deadline stop of code that makes no memory access
// at the time. Unicorn 2.0.1 also takes a stop request after any load or store, mid-block and
// without the lazily kept flags: such a stop ends the process (RunResult::resumable false) - a
// guest kernel kills a program that spent its budget anyway (sw/guest/kernel_exec.cc).
//
// Limits: Unicorn executes at CPL 0 (privileged instructions do not #GP; HLT is reported as
// #GP), and reads of code pages are served from the fetched copy.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "hw/cpu/fault.h"
#include "hw/cpu/regs.h"
#include "x86/elf_image.h"
#include "x86/guest_memory.h"
#include "x86/syscall_handler.h"

namespace cbit::x86 {

struct RunResult {
  enum class Reason { Exited, Paused, Budget, Fault, InvalidInstruction };
  Reason reason = Reason::Budget;
  int exit_code = 0;                      // Exited: the status (exit(n) & 0xff)
  std::optional<hw::CpuException> fault;  // Fault: vector, error code, message
  std::optional<VirtAddr> fault_address;  // Fault with #PF: CR2
  uint64_t rip = 0;           // where execution stopped (Fault: start of the faulting basic block)
  Bytes instruction;          // InvalidInstruction: the bytes at rip (up to 15)
  uint64_t instructions = 0;  // executed during this run (see Process::run)
  bool instructions_exact = true;  // false: past the exact part, `instructions` is an estimate
  // Budget by the CPU-time deadline inside a basic block (code with memory accesses): the state
  // is not exact and a further run() throws InputError. Always true for other stops.
  bool resumable = true;
};

std::string to_string(RunResult::Reason r);

struct ProcessStats {
  uint64_t mmio_reads = 0, mmio_writes = 0;      // Unicorn callbacks on data pages
  uint64_t page_fills = 0, page_writebacks = 0;  // the plaintext cache's GuestMemory traffic
  uint64_t code_page_fetches = 0, code_page_changes = 0;
  uint64_t syscalls = 0;
};

class Process {
 public:
  // Linux's default top of the user stack on x86-64 (TASK_SIZE_LOW, arch/x86 page_64_types.h)
  static constexpr uint64_t kStackTop = 0x7fff'ffff'f000ull;
  static constexpr uint64_t kStackSize = 128 * 1024;

  Process(GuestMemory& mem, SyscallHandler& handler);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // execve: maps the image's segments and a stack, copies the file bytes, writes argv (argv[0]
  // is the program name), envp and the auxiliary vector, and sets RIP/RSP. Call once.
  void load(const ElfImage& image, const std::vector<std::string>& argv,
            const std::vector<std::string>& envp = {});
  // Maps more memory for the process (page-aligned): code if prot has X, data otherwise.
  void map(VirtAddr va, uint64_t size, unsigned prot);

  // Runs until the program exits, pauses, faults, meets an unknown instruction, or its budget
  // is spent. budget <= kExactInstructions: it stops before the basic block that would take it
  // past `budget` instructions (whole blocks only; the first block of a run always runs, so
  // every run makes progress). A larger budget: exactly as above for the first
  // kExactInstructions, then about `budget` instructions in all, by CPU time (the header
  // comment); UINT64_MAX: no bound after the exact part.
  static constexpr uint64_t kExactInstructions = uint64_t{1} << 16;
  RunResult run(uint64_t budget = UINT64_MAX);

  const hw::GprFile& regs() const;
  void set_regs(const hw::GprFile& regs);
  GuestMemory& memory();
  uint64_t instructions() const;  // over all runs
  ProcessStats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cbit::x86
