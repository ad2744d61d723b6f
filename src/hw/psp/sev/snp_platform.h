// What the SNP firmware reads of the platform it runs on, beyond the memory controller: each
// core's MSRs (SNP_INIT's preconditions, SNP-FACTS.md §2.3: ASPFW snp_mcmd_init_common reads
// SYSCFG, HWCR, RMP_BASE/RMP_END and VM_HSAVE_PA on every core through the SMU), the RMP, and
// the part's CPUID (the CPUID page of SNP_LAUNCH_UPDATE is checked against it).
//
// One narrow read-only interface per boundary (STYLE.md): the Machine implements CoreMsrReader
// over its Cpus; the firmware never gets a Cpu.
#pragma once
#include <cstdint>
#include <optional>

#include "psp/report/tcb_version.h"

namespace cbit::hw {
struct CpuModel;
namespace rmp {
class Rmp;
}
}  // namespace cbit::hw

namespace cbit::hw::psp::sev {

class CoreMsrReader {
 public:
  virtual ~CoreMsrReader() = default;
  virtual unsigned cores() const = 0;
  // The MSR's value on `core` (0 for an MSR the core does not implement).
  virtual uint64_t read_msr(unsigned core, uint32_t index) const = 0;
};

// The SNP side of the platform, wired by the Machine (SevFirmware::attach_snp).
struct SnpPlatform {
  rmp::Rmp* rmp = nullptr;
  const CoreMsrReader* msrs = nullptr;
  const CpuModel* cpu = nullptr;  // CPUID of the part (CPUID page checks)
};

// The SNP firmware's versions (SNP-FACTS.md §4 "Which TCB is which"): `tcb` is what the running
// firmware and microcode are (CURRENT_TCB); `committed_tcb` the last SNP_COMMIT (defaults to
// `tcb`); the TCB layout follows the part.
struct SnpTcbConfig {
  ::cbit::psp::TcbVersion tcb{std::nullopt, 3, 0, 8, 115};
  std::optional<::cbit::psp::TcbVersion> committed_tcb;
  ::cbit::psp::TcbLayout layout = ::cbit::psp::TcbLayout::MilanGenoa;
  bool smt_enabled = true;         // the platform runs with SMT on (LAUNCH_START's SMT check)
  unsigned sockets = 1;            // POLICY.SINGLE_SOCKET at ACTIVATE
  bool ciphertext_hiding = false;  // the part can hide ciphertext (PLATFORM_STATUS bit 5)
};

}  // namespace cbit::hw::psp::sev
