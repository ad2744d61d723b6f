// The instruction budget of Process::run past its exact part (process.h, docs/x86.md "Speed"):
// a program that never ends is stopped in bounded time, and a program stopped by the CPU-time
// deadline - at a basic block boundary, mid-loop - and resumed ends exactly as one unbroken run.
// The exact part itself (budgets up to Process::kExactInstructions) is x86_process_test.cc's
// BudgetSlicesGiveTheSameRun.
#include <gtest/gtest.h>

#include <chrono>

#include "common/error.h"
#include "unit/x86/x86_rig.h"
#include "x86/process.h"

namespace cbit::x86 {
namespace {

using testing::X86Rig;
using Reason = RunResult::Reason;

constexpr uint64_t kCode = 0x401000;
constexpr uint64_t kStackTop = 0x7fff0000;

struct RawRun {
  explicit RawRun(const Bytes& code) : rig(true), proc(rig.mem, sys) {
    rig.mem.map(VirtAddr(kCode), kPageSize, Prot::R | Prot::W);  // the "kernel" writes it
    rig.mem.write(VirtAddr(kCode), code);
    proc.map(VirtAddr(kCode), kPageSize, Prot::R | Prot::X);
    proc.map(VirtAddr(kStackTop - 4 * kPageSize), 4 * kPageSize, Prot::R | Prot::W);
    hw::GprFile g;
    g.rip = kCode;
    g.rsp = kStackTop - 64;
    proc.set_regs(g);
  }
  X86Rig rig;
  DefaultSyscallHandler sys;
  Process proc;
};

// mov ecx, n; loop: mov rax,[rsp+8]; add rax,rcx; xor rdx,rax; add rdx,rcx; mov [rsp+8],rax;
// dec ecx; jnz loop; mov edi, edx; mov eax, 60; syscall - exit with a checksum of every
// iteration, which a lost, repeated or torn iteration changes. 7 instructions an iteration.
Bytes checksum_loop(uint32_t n) {
  Bytes c = {0xb9, uint8_t(n), uint8_t(n >> 8), uint8_t(n >> 16), uint8_t(n >> 24)};
  const Bytes body = {0x48, 0x8b, 0x44, 0x24, 0x08, 0x48, 0x01, 0xc8, 0x48, 0x31, 0xc2,
                      0x48, 0x01, 0xca, 0x48, 0x89, 0x44, 0x24, 0x08, 0xff, 0xc9, 0x75};
  c.insert(c.end(), body.begin(), body.end());
  c.push_back(static_cast<uint8_t>(-static_cast<int>(body.size() + 1)));
  c.insert(c.end(), {0x89, 0xd7, 0xb8, 60, 0, 0, 0, 0x0f, 0x05});
  return c;
}

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

TEST(X86ProcessBudget, EndlessLoopIsStoppedInBoundedTime) {
  RawRun r({0xeb, 0xfe});  // jmp $: one instruction, one block, forever
  constexpr uint64_t kBudget = 20'000'000;
  const double t0 = cpu_seconds();
  const RunResult res = r.proc.run(kBudget);
  const double spent = cpu_seconds() - t0;
  EXPECT_EQ(res.reason, Reason::Budget);
  EXPECT_EQ(res.rip, kCode);
  EXPECT_FALSE(res.instructions_exact) << "past kExactInstructions the count is estimated";
  EXPECT_EQ(res.instructions, kBudget) << "a budget stop reports the budget spent";
  // The deadline is the budget at the rate the hooked part ran (>= ~20 MIPS even for one-
  // instruction blocks on a loaded host): a second of CPU time is far more than it takes.
  EXPECT_LT(spent, 5.0);
  // Resumed, it goes on looping and is stopped again: nothing about the stop ended it.
  const RunResult again = r.proc.run(kBudget);
  EXPECT_EQ(again.reason, Reason::Budget);
  EXPECT_EQ(r.proc.instructions(), 2 * kBudget);
}

TEST(X86ProcessBudget, ABudgetLargerThanTheProgramDoesNotCutIt) {
  // Control for the test above: the same kind of budget on a loop that ends (3.5M
  // instructions, 20M budget). The estimate errs low, so the program is never cut short.
  RawRun r(checksum_loop(500'000));
  const RunResult res = r.proc.run(20'000'000);
  EXPECT_EQ(res.reason, Reason::Exited);
  EXPECT_FALSE(res.instructions_exact);
  EXPECT_LE(res.instructions, 20'000'000u);
}

TEST(X86ProcessBudget, ATightExactBudgetStopsAnEndlessLoopExactly) {
  RawRun r({0xeb, 0xfe});
  const RunResult res = r.proc.run(1000);
  EXPECT_EQ(res.reason, Reason::Budget);
  EXPECT_TRUE(res.instructions_exact);
  EXPECT_EQ(res.instructions, 1000u) << "one-instruction blocks fill the budget exactly";
}

// mov ecx, n; loop: add rax,rcx; xor rdx,rax; add rdx,rcx; dec ecx; jnz loop; mov edi, edx;
// mov eax, 60; syscall - the checksum without memory accesses: a deadline stop lands at a block
// boundary. 5 instructions an iteration.
Bytes alu_checksum_loop(uint32_t n) {
  Bytes c = {0xb9, uint8_t(n), uint8_t(n >> 8), uint8_t(n >> 16), uint8_t(n >> 24)};
  const Bytes body = {0x48, 0x01, 0xc8, 0x48, 0x31, 0xc2, 0x48, 0x01, 0xca, 0xff, 0xc9, 0x75};
  c.insert(c.end(), body.begin(), body.end());
  c.push_back(static_cast<uint8_t>(-static_cast<int>(body.size() + 1)));
  c.insert(c.end(), {0x89, 0xd7, 0xb8, 60, 0, 0, 0, 0x0f, 0x05});
  return c;
}

// Runs `code` to its end in slices of `budget`; the slices that stopped by the deadline.
struct Sliced {
  Sliced(const Bytes& code, uint64_t budget) : run(code) {
    do {
      last = run.proc.run(budget);
      ++slices;
      if (last.reason == Reason::Budget) {
        EXPECT_TRUE(last.resumable);
        if (!last.instructions_exact) ++deadline_stops;
        EXPECT_GE(last.rip, kCode);  // at a block boundary in the program, never elsewhere
        EXPECT_LT(last.rip, kCode + 32);
      }
    } while (last.reason == Reason::Budget && slices < 5000);
  }
  RawRun run;
  RunResult last;
  int slices = 0, deadline_stops = 0;
};

TEST(X86ProcessBudget, PausedByTheDeadlineAndResumedEndsAsOneRun) {
  // 100M instructions, ~50 ms of translated code: several times the watchdog's 10 ms poll on
  // any host. Slices one instruction past the exact part, so each slice's deadline is already
  // due when the hook goes: the watchdog's next poll stops it, whatever rate the hooked part
  // measured (under ASan the hook runs far slower than the translated code).
  const Bytes code = alu_checksum_loop(20'000'000);
  RawRun whole(code);
  const RunResult one = whole.proc.run();
  ASSERT_EQ(one.reason, Reason::Exited);
  Sliced sliced(code, Process::kExactInstructions + 1);
  ASSERT_EQ(sliced.last.reason, Reason::Exited);
  EXPECT_GT(sliced.deadline_stops, 0) << "the deadline must have stopped it at least once";
  EXPECT_EQ(sliced.last.exit_code, one.exit_code);
  EXPECT_EQ(sliced.run.proc.regs(), whole.proc.regs()) << "every register as in one run";
}

TEST(X86ProcessBudget, PausedWithMemoryAccessesAndResumedEndsAsOneRun) {
  // Loads and stores every iteration; slices within the exact part, so every stop is at a
  // block boundary whatever the code does.
  const Bytes code = checksum_loop(300'000);  // 2.1M instructions
  RawRun whole(code);
  const RunResult one = whole.proc.run();
  ASSERT_EQ(one.reason, Reason::Exited);
  Sliced sliced(code, Process::kExactInstructions - 1);
  ASSERT_EQ(sliced.last.reason, Reason::Exited);
  EXPECT_GT(sliced.slices, 20);
  EXPECT_EQ(sliced.last.exit_code, one.exit_code);
  EXPECT_EQ(sliced.run.proc.regs(), whole.proc.regs());
  EXPECT_EQ(sliced.run.rig.read_string(kStackTop - 64 + 8, 8),
            whole.rig.read_string(kStackTop - 64 + 8, 8))
      << "the stack slot the loop stores to, read back through the CPU";
}

TEST(X86ProcessBudget, ADeadlineStopInsideABlockEndsTheProcess) {
  // The memory loop endlessly (ecx wraps), a budget past the exact part: the deadline stops it
  // after a load or store, inside a block. Resuming would run instructions twice: refused.
  RawRun r(checksum_loop(0));  // n = 0: 2^32 iterations
  const RunResult res = r.proc.run(Process::kExactInstructions + 2'000'000);
  ASSERT_EQ(res.reason, Reason::Budget);
  if (res.resumable) GTEST_SKIP() << "the stop happened to land at a block boundary";
  EXPECT_THROW(r.proc.run(), InputError);
}

}  // namespace
}  // namespace cbit::x86
