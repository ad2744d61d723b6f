// Real x86-64 code on cbit's simulated CPU (src/x86/process.h) against plain Unicorn running
// the same machine code from uc_mem_map RAM, in the same run. Items = guest instructions, so
// items_per_second is IPS; "vs_unicorn" is the Process's IPS over the baseline's, measured in
// the same benchmark invocation.
//
// Two loops: "mem" loads and stores a stack slot every iteration (data through the MMIO path
// and the plaintext page cache), "alu" touches no memory (the cost of bounding the run).
// The Process runs with the guest kernel's default budget (sw/guest/kernel.h,
// program_budget), as a program in a guest does: its first Process::kExactInstructions counted
// block by block, the rest under the CPU-time deadline (process.h).
//
// Times are the process's CPU time (all threads: the Process's watchdog thread included), not
// the wall clock: on the shared 2-core host other processes' load decided wall-clock ratios.
// vs_unicorn is the ratio of the medians of interleaved runs (BM_X86Loop_ProcessOnSimulatedCpu).
#include <benchmark/benchmark.h>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "../tests/unit/x86/x86_rig.h"
#include "x86/process.h"

namespace {

using namespace cbit;
using namespace cbit::x86;

constexpr uint64_t kCode = 0x401000;
constexpr uint64_t kStackTop = 0x7fff0000;
constexpr uint32_t kIters = 2'000'000;
constexpr uint64_t kBudget = 100'000'000;  // sw::guest::KernelConfig::program_budget

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

// mov ecx, kIters; loop: [body]; dec ecx; jnz loop; mov eax, 60; xor edi, edi; syscall
Bytes loop_program(bool mem, uint64_t* insns) {
  Bytes c = {0xb9, uint8_t(kIters), uint8_t(kIters >> 8), uint8_t(kIters >> 16),
             uint8_t(kIters >> 24)};
  Bytes body;
  if (mem)  // mov rax,[rsp+8]; add rax,rcx; mov [rsp+8],rax
    body = {0x48, 0x8b, 0x44, 0x24, 0x08, 0x48, 0x01, 0xc8, 0x48, 0x89, 0x44, 0x24, 0x08};
  else  // add rax,rcx; xor rax,rdx; add rdx,rax
    body = {0x48, 0x01, 0xc8, 0x48, 0x31, 0xd0, 0x48, 0x01, 0xc2};
  c.insert(c.end(), body.begin(), body.end());
  c.insert(c.end(), {0xff, 0xc9, 0x75});
  c.push_back(static_cast<uint8_t>(-(static_cast<int>(body.size()) + 4)));
  c.insert(c.end(), {0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05});
  *insns = 1 + uint64_t{kIters} * 5 + 3;
  return c;
}

void stop_on_syscall(uc_engine* uc, void*) { uc_emu_stop(uc); }

// Plain Unicorn: code and stack in uc_mem_map RAM, no hooks but the exit syscall.
double unicorn_seconds(const Bytes& code) {
  uc_engine* uc = nullptr;
  uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
  uc_mem_map(uc, kCode, kPageSize, UC_PROT_ALL);
  uc_mem_map(uc, kStackTop - 4 * kPageSize, 4 * kPageSize, UC_PROT_READ | UC_PROT_WRITE);
  uc_mem_write(uc, kCode, code.data(), code.size());
  uint64_t rsp = kStackTop - 64;
  uc_reg_write(uc, UC_X86_REG_RSP, &rsp);
  uc_hook h;
  uc_hook_add(uc, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&stop_on_syscall), nullptr, 1, 0,
              UC_X86_INS_SYSCALL);
  const double t0 = cpu_now();
  uc_emu_start(uc, kCode, ~0ull, 0, 0);
  const double t1 = cpu_now();
  uc_close(uc);
  return t1 - t0;
}

struct ProcessRun {
  explicit ProcessRun(const Bytes& code) : rig(true), proc(rig.mem, sys) {
    rig.mem.map(VirtAddr(kCode), kPageSize, Prot::R | Prot::W);
    rig.mem.write(VirtAddr(kCode), code);
    proc.map(VirtAddr(kCode), kPageSize, Prot::R | Prot::X);
    proc.map(VirtAddr(kStackTop - 4 * kPageSize), 4 * kPageSize, Prot::R | Prot::W);
    hw::GprFile g;
    g.rip = kCode;
    g.rsp = kStackTop - 64;
    proc.set_regs(g);
  }
  testing::X86Rig rig;  // SME: every page and table with the C-bit
  DefaultSyscallHandler sys;
  Process proc;
};

void BM_X86Loop_UnicornRam(benchmark::State& st) {
  uint64_t insns = 0;
  const Bytes code = loop_program(st.range(0) != 0, &insns);
  double total = 0;
  for (auto _ : st) total += unicorn_seconds(code);
  st.SetItemsProcessed(static_cast<int64_t>(insns * st.iterations()));
  st.counters["MIPS"] = double(insns) * double(st.iterations()) / total / 1e6;
}
BENCHMARK(BM_X86Loop_UnicornRam)->ArgName("mem")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Each iteration runs the Process and plain Unicorn once, in alternating order; the ratio is
// that of the medians (the shared host's load spikes hit single runs, and whichever side they
// hit would decide a ratio of sums).
void BM_X86Loop_ProcessOnSimulatedCpu(benchmark::State& st) {
  uint64_t insns = 0;
  const Bytes code = loop_program(st.range(0) != 0, &insns);
  std::vector<double> proc_s, base_s;
  for (auto _ : st) {
    st.PauseTiming();
    auto run = std::make_unique<ProcessRun>(code);
    const bool base_first = proc_s.size() % 2 == 1;
    if (base_first) base_s.push_back(unicorn_seconds(code));
    st.ResumeTiming();
    const double t0 = cpu_now();
    const RunResult r = run->proc.run(kBudget);
    const double t1 = cpu_now();
    proc_s.push_back(t1 - t0);
    if (r.reason != RunResult::Reason::Exited) st.SkipWithError("the loop did not exit");
    st.PauseTiming();
    if (!base_first) base_s.push_back(unicorn_seconds(code));  // the baseline, same run
    run.reset();
    st.ResumeTiming();
  }
  st.SetItemsProcessed(static_cast<int64_t>(double(insns) * double(st.iterations())));
  const double p = median(proc_s), b = median(base_s);
  st.counters["MIPS"] = double(insns) / p / 1e6;
  st.counters["unicorn_MIPS"] = double(insns) / b / 1e6;
  st.counters["vs_unicorn"] = b / p;
}
BENCHMARK(BM_X86Loop_ProcessOnSimulatedCpu)
    ->ArgName("mem")
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond);

// The seed program end to end: load, run to pause() (stack, ELF, page tables, C-bit).
void BM_X86SeedProgram(benchmark::State& st) {
  const ElfImage img = ElfImage::load(CBIT_GUEST_SECRET_ELF);
  for (auto _ : st) {
    testing::X86Rig rig(true);
    DefaultSyscallHandler sys;
    Process p(rig.mem, sys);
    p.load(img, {"secret", "123"});
    benchmark::DoNotOptimize(p.run());
  }
}
BENCHMARK(BM_X86SeedProgram)->Unit(benchmark::kMillisecond);

}  // namespace
