// The RMP on the guest's memory path (issue 9 §5): the same guest programs in an SEV-SNP guest
// and in an SEV-ES guest, interleaved in one benchmark run, each guest booted once beforehand
// on its own simulated Milan host (the SNP host with the RMP on: every guest access, page-table
// read and instruction fetch passes Table 15-39's checks; the SEV-ES host without SNP).
//
//   prog:0  seed 004's program (secret.elf "123": ELF from disk through bounce buffers, load,
//           run to pause()), a new process each iteration;
//   prog:1  the x86 memory loop of bench_x86.cc (a load and a store of a stack slot per
//           iteration, 200k iterations) as a user program from the guest's disk.
// Times are the thread's CPU time. Unicorn (the x86 engine) is loaded once per process before
// anything is timed (unicorn_load_ms): with it inside the first guest's first run, the SNP guest
// (which runs first) paid ~6 ms that has nothing to do with SNP. Counters: the first run of the
// program in each guest apart (snp_first_ms, es_first_ms: it pays one-time costs, and with few
// iterations it decided the mean), then the median of the later runs (snp_ms, es_ms) and snp_vs_es
// = SEV-ES median / SNP median (the goal is >= 0.8: the RMP must not make the memory path slow);
// first_snp_vs_es is the same for the first run.
#include <benchmark/benchmark.h>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <vector>

#include "../tests/unit/x86/elf_builder.h"
#include "common/file.h"
#include "hw/machine.h"
#include "sw/guest/kernel.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/devices.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/snp_cc_blob.h"
#include "sw/hv/vm.h"
#include "x86/guest_programs.h"

namespace {

using namespace cbit;
using sw::hv::SevMode;

constexpr uint64_t kRam = 64ull << 20;
constexpr uint32_t kLoopIters = 200'000;

// mov ecx, N; loop: mov rax,[rsp+8]; add rax,rcx; mov [rsp+8],rax; dec ecx; jnz loop;
// mov eax, 231; xor edi, edi; syscall (exit_group(0))
Bytes mem_loop_elf() {
  Bytes c = {0xb9, uint8_t(kLoopIters), uint8_t(kLoopIters >> 8), uint8_t(kLoopIters >> 16),
             uint8_t(kLoopIters >> 24)};
  const Bytes body = {0x48, 0x8b, 0x44, 0x24, 0x08, 0x48, 0x01, 0xc8, 0x48, 0x89, 0x44, 0x24, 0x08};
  c.insert(c.end(), body.begin(), body.end());
  c.insert(c.end(), {0xff, 0xc9, 0x75});
  c.push_back(static_cast<uint8_t>(-(static_cast<int>(body.size()) + 4)));
  c.insert(c.end(), {0xb8, 231, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05});
  return x86::testing::build_elf(0x401000, {{0x401000, PF_R | PF_X, c}});
}

Bytes program(const std::string& name) {
  if (name == "memloop") return mem_loop_elf();
  return read_file(x86::find_guest_program("secret"), uint64_t(64) << 20);
}

// This thread's CPU time: on a shared 2-core host the wall clock mostly measures the wait for a
// core (the guest runs on the calling thread).
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// A host, a launched VM and its booted guest kernel.
struct BootedGuest {
  BootedGuest(SevMode mode, const std::string& prog)
      : m([&] {
          hw::MachineConfig c;
          c.cpu = hw::cpu_model_by_name("milan");
          c.dram_bytes = 256ull << 20;
          c.seed = 5;
          c.firmware.sme = true;
          c.firmware.snp = mode == SevMode::Snp;
          return c;
        }()),
        k(m, sw::host::KernelConfig{"mem_encrypt=on", false, 0}),
        dev((k.boot(), k), m),
        kvm(dev) {
    sw::hv::VmConfig cfg;
    cfg.mode = mode;
    cfg.ram_bytes = kRam;
    cfg.policy = mode == SevMode::SevEs ? 0x4 : 0x0;
    cfg.disk = sw::hv::make_cbit_disk(program(prog), prog);
    vm = std::make_unique<sw::hv::Vm>(m, k, &kvm, cfg);
    if (vm->launch(nullptr).rc != 0) throw std::runtime_error("launch failed");
    sw::guest::GuestKernelConfig gc;
    gc.ram_bytes = kRam;
    if (mode == SevMode::Snp) sw::hv::apply_cc_blob(vm->snp_cc_blob(), gc);
    guest = std::make_unique<sw::guest::GuestKernel>(gc);
    vm->run(*guest);
    if (!guest->booted()) throw std::runtime_error("guest did not boot");
  }
  // Seconds for one program run; false if it did not do what it should.
  bool run(const std::vector<std::string>& argv, double* seconds) {
    guest->queue_program(argv);
    const size_t n = guest->programs().size();
    const double t0 = thread_cpu_seconds();
    vm->run(*guest);
    *seconds = thread_cpu_seconds() - t0;
    if (guest->programs().size() != n + 1) return false;
    const auto& p = guest->programs().back();
    if (argv[0] == "secret.elf") return p.output == "My secret is 123\n";
    return p.state == sw::guest::ProgramRun::State::Exited && p.exit_code == 0;
  }
  hw::Machine m;
  sw::host::HostKernel k;
  sw::host::SevDev dev;
  sw::hv::KvmSev kvm;
  std::unique_ptr<sw::hv::Vm> vm;
  std::unique_ptr<sw::guest::GuestKernel> guest;
};

void BM_SnpVsSevEsGuest(benchmark::State& st) {
  const std::vector<std::string> argv = st.range(0) == 0
                                            ? std::vector<std::string>{"secret.elf", "123"}
                                            : std::vector<std::string>{"memloop"};
  BootedGuest snp(SevMode::Snp, argv[0]), es(SevMode::SevEs, argv[0]);
  // The process's one-time cost of x86 code: Unicorn is loaded with dlopen() on first use
  // (x86/unicorn_loader.cc; ~6 ms of relocations), which the guest that runs first would pay
  // inside its first program run. Paid here and reported apart (unicorn_load_ms).
  const double load0 = thread_cpu_seconds();
  {
    uc_engine* uc = nullptr;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) == UC_ERR_OK) uc_close(uc);
  }
  const double unicorn_load = thread_cpu_seconds() - load0;
  std::vector<double> snp_s, es_s;
  for (auto _ : st) {
    double a = 0, b = 0;
    if (!snp.run(argv, &a) || !es.run(argv, &b)) {
      st.SkipWithError("the program did not run as it should");
      return;
    }
    snp_s.push_back(a);
    es_s.push_back(b);
  }
  if (snp_s.size() < 2) return;
  auto median_of_later = [](std::vector<double> v) {
    v.erase(v.begin());
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  const double snp_med = median_of_later(snp_s), es_med = median_of_later(es_s);
  st.counters["unicorn_load_ms"] = unicorn_load * 1e3;
  st.counters["snp_first_ms"] = snp_s.front() * 1e3;
  st.counters["es_first_ms"] = es_s.front() * 1e3;
  st.counters["first_snp_vs_es"] = es_s.front() / snp_s.front();
  st.counters["snp_ms"] = snp_med * 1e3;
  st.counters["es_ms"] = es_med * 1e3;
  st.counters["snp_vs_es"] = es_med / snp_med;
}
BENCHMARK(BM_SnpVsSevEsGuest)
    ->ArgName("prog")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(15)
    ->Unit(benchmark::kMillisecond);

}  // namespace
