// The host the SEV attacks run on: a machine booted with SME (SEV needs it), its kernel, the PSP
// driver and KVM's SEV state; VMs of each mode, launched as QEMU would; and the attacker's bus
// master, a DMA-capable device whose mask reaches every address bit including the C-bit.
//
// The hypervisor is the attacker here: it owns everything on this host except the keys in the
// memory controller and the VMSA integrity values the hardware keeps. What it holds is
// attacker(): the raw view, the DMA device, the bus, and its own software (launching VMs, KVM's
// VM and vCPU objects, the host kernel's mappings). The Machine and the kernel are the
// testbed's, for setting up and checking (a test's own view), never passed to an attack.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attacks/attacker.h"
#include "hw/machine.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/vm.h"
#include "testbed/physical_access.h"

namespace cbit::testbed {

struct SevHostOptions {
  std::string cpu = "milan";  // a preset of hw/cpu_models.h
  uint64_t seed = 1;          // reproducible keys
  // `--set field=value` on the preset (e.g. cachewarp-fix=0), applied in order.
  std::vector<std::string> cpu_overrides;
  // The platform variants of the SNP column (docs/attacks-snp.md):
  bool badram_dimm = false;           // a DIMM whose SPD claims one more row bit (BadRAM)
  bool snp_alias_check = false;       // firmware with the boot-time alias check (1.55.22+)
  bool ciphertext_hiding = false;     // kvm-amd.ciphertext_hiding_asids + SNP policy bit 24
  bool restricted_injection = false;  // SNP guests launched with SEV_FEATURES bit 3
  // The machine (scenario files' `sev-host`): DRAM size; the BIOS's RMP reservation (nullopt:
  // on when the CPU has SEV-SNP, as on every EPYC since Milan); fresh keys from the OS RNG
  // instead of `seed` (a real part's keys at each reset).
  uint64_t dram_bytes = 128ull << 20;
  std::optional<bool> snp_bios;
  bool fresh_keys = false;
};

class SevHost {
 public:
  explicit SevHost(const SevHostOptions& opt = {});
  ~SevHost();
  SevHost(const SevHost&) = delete;
  SevHost& operator=(const SevHost&) = delete;

  // A VM of `mode` with `ram` bytes, launched (LAUNCH_START .. LAUNCH_FINISH for SEV and
  // SEV-ES). Throws std::runtime_error naming the failed step when the platform cannot.
  std::unique_ptr<sw::hv::Vm> make_vm(sw::hv::SevMode mode, uint64_t ram = 8ull << 20);

  // What the malicious host owner holds: the only thing an attack is given.
  attacks::HostAttacker& attacker();

  hw::Machine m;
  sw::host::HostKernel k;
  sw::host::SevDev dev;
  sw::hv::KvmSev kvm;

 private:
  class Attacker;
  static hw::MachineConfig config(const SevHostOptions& opt);
  SevHostOptions opt_;
  std::unique_ptr<Attacker> attacker_;
};

}  // namespace cbit::testbed
