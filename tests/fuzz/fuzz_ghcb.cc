// Fuzz target: the hypervisor's VMGEXIT handling under a hostile SEV-ES guest. The guest
// controls the GHCB MSR value and every byte of its GHCB page; KVM must answer or refuse, never
// crash, assert or touch memory outside the guest.
//   input = { u8 kind } then
//     kind even: u64 GHCB MSR value (MSR protocol request, whatever its code);
//     kind odd:  up to 4096 bytes of GHCB page (at the registered GHCB GPA).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "hw/cpu/cpu.h"
#include "hw/cpu/msr.h"
#include "hw/machine.h"
#include "hw/svm/vmcb.h"
#include "sw/ghcb/ghcb.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/vm.h"

using namespace cbit;
using namespace cbit::sw;

namespace {

constexpr uint64_t kGhcbGpa = 0x10000;

struct Guest final : hw::svm::GuestSoftware {
  uint64_t msr = 0;
  void run(hw::Cpu& cpu) override {
    cpu.wrmsr(hw::msr::kGhcb, msr);
    cpu.vmgexit();
  }
};

struct Host {
  Host()
      : m(config()),
        k(m, host::KernelConfig{"mem_encrypt=on", false, 0}),
        dev((k.boot(), k), m),
        kvm(dev) {
    fresh_vm();
  }
  static hw::MachineConfig config() {
    hw::MachineConfig c;
    c.cpu = hw::cpu_model_by_name("milan");
    c.dram_bytes = 128ull << 20;
    c.seed = 3;
    return c;
  }
  void fresh_vm() {
    vm.reset();
    hv::VmConfig cfg;
    cfg.mode = hv::SevMode::SevEs;
    cfg.ram_bytes = 1ull << 20;
    cfg.policy = 0x4;
    vm = std::make_unique<hv::Vm>(m, k, &kvm, cfg);
    vm->launch(nullptr);
    guest.msr = ghcb::msr_proto::reg_gpa(kGhcbGpa >> 12, false);  // register the GHCB
    vm->run(guest);
  }
  hw::Machine m;
  host::HostKernel k;
  host::SevDev dev;
  hv::KvmSev kvm;
  std::unique_ptr<hv::Vm> vm;
  Guest guest;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Host* h = new Host();
  if (size < 1) return 0;
  if (data[0] % 2 == 0) {
    uint8_t v[8] = {};
    std::memcpy(v, data + 1, std::min<size_t>(8, size - 1));
    h->guest.msr = load_le<uint64_t>(v);
    // A termination request ends the VM (tested in the unit tests); recreating VMs thousands
    // of times would only exercise the host's page allocator.
    if (ghcb::msr_proto::code(h->guest.msr) == ghcb::msr_proto::kTermReq) return 0;
  } else {
    Bytes page(ghcb::kGhcbSize, 0);
    std::memcpy(page.data(), data + 1, std::min<size_t>(page.size(), size - 1));
    h->vm->memory().write(GuestPhysAddr(kGhcbGpa), page);
    h->guest.msr = kGhcbGpa;
  }
  const auto exit = h->vm->run(h->guest);
  // Only the exits the run loop may see: HLT after a handled request, the VMGEXIT KVM gave up
  // on, or SHUTDOWN after a termination request.
  if (exit.code != hw::svm::exit_code::kHlt && exit.code != hw::svm::exit_code::kVmgexit &&
      exit.code != hw::svm::exit_code::kShutdown)
    __builtin_trap();
  if (exit.code == hw::svm::exit_code::kShutdown) h->fresh_vm();
  return 0;
}
