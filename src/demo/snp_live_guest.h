// A live SEV-SNP platform and its guests for the attestation round trip and its attack rows
// (issue 10 §3): an SNP host (the BIOS reserved the RMP, SNP_INIT via the PSP driver, KVM), the
// machine's KDS stand-in (hw/psp/sev/sim_kds.h: the chip's ARK, ASK and VCEK certificates, as
// AMD's KDS serves them), and guests launched from Debian's OVMF as QEMU does, from the plan
// `cbit measure` walks (psp/digest/launch_plan.h), with the host's certificate table given to
// KVM (SNP_SET_CERTIFICATES' role: VmConfig::snp_certs) for extended reports.
//
// A guest's report request goes the way Linux's does (SNP-FACTS.md §3, §5): a guest-kernel task
// calls the sev-guest driver (sw/guest/sev_guest.h) for SNP_GET_EXT_REPORT; the driver seals
// MSG_REPORT_REQ under VMPCK<n> from the secrets page, the GHCB NAE event exits to KVM, which
// copies the ciphertext to the firmware's SNP_GUEST_REQUEST (SNP ABI §8.26) and returns the
// response and the certificate table. Nothing here reads a VMPCK or the VCEK's private key.
//
// Hostile-host knobs, each an ordinary host operation: SNP_CONFIG's REPORTED_TCB (`snphost
// config set`: an older TCB, signed by that TCB's genuine VCEK) and KVM's hook on the request
// page (hv::Vm::on_guest_request). The guest-side knob for the VMPL rows: zeroing a VMPCK in
// the secrets page, as an SVSM at VMPL0 does before it hands the page to a VMPL1 kernel
// (SNP ABI §8.26, SNP-FACTS.md §3.1 [FIX]).
//
// Errors: InputError when OVMF is missing, the CPU model has no SEV-SNP, or a launch fails.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "hw/machine.h"
#include "psp/certs/ossl.h"
#include "psp/certs/sim_chip.h"
#include "psp/digest/launch_plan.h"
#include "psp/digest/ovmf.h"
#include "psp/report/tcb_version.h"
#include "sw/attest/report_binding.h"
#include "sw/guest/attest_agent.h"
#include "sw/guest/kernel.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/vm.h"

namespace cbit::sw::guest {
class SevGuestDevice;
}

namespace cbit::demo {

inline constexpr const char* kSnpOvmfPath = "/usr/share/ovmf/OVMF.fd";

struct SnpPlatformOptions {
  hw::CpuModel cpu = hw::cpu_model_by_name("genoa");
  uint64_t seed = 7;  // the machine's seed: its chip secret, hence its VCEKs
  uint64_t guest_ram = 16ull << 20;
  std::string ovmf_path = kSnpOvmfPath;
  // The KDS's RSA-4096 ARK and ASK keys (role "ark" / "ask"); generated when empty.
  std::function<psp::PkeyPtr(const char* role)> rsa_key;
};

// The SNP host, its KDS stand-in and the OVMF image the owner measured.
class SnpPlatform {
 public:
  explicit SnpPlatform(const SnpPlatformOptions& opt);
  ~SnpPlatform();

  hw::Machine& machine() { return m_; }
  sw::host::HostKernel& host_kernel() { return k_; }
  sw::host::SevDev& sev_dev() { return dev_; }
  sw::hv::KvmSev& kvm() { return kvm_; }
  const psp::SimulatedChip& kds() const { return *kds_; }
  const SnpPlatformOptions& options() const { return opt_; }
  const Bytes& ovmf() const { return ovmf_; }
  // The launch configuration `cbit measure` would use (SNP, 1 vCPU, EPYC-v4).
  static psp::digest::LaunchConfig launch_config();
  // `cbit measure`'s digest of `image` under launch_config(): what a relying party expects.
  static std::array<uint8_t, 48> expected_measurement(const Bytes& image);
  // The certificate table the host serves for a TCB: VCEK(tcb), ASK, ARK (snpguest's GUIDs).
  Bytes cert_table(const psp::TcbVersion& tcb) const;
  psp::TcbVersion reported_tcb();  // SNP_PLATFORM_STATUS
  // The committed TCB (REPORTED_TCB at boot, before any SNP_CONFIG).
  psp::TcbVersion committed_tcb() const;
  // SNP_CONFIG with REPORTED_TCB = tcb (nullopt: 0, the committed TCB), as `snphost config
  // set` does through the PSP driver. 0, the firmware's status, or the driver's -errno.
  int set_reported_tcb(const std::optional<psp::TcbVersion>& tcb);

 private:
  SnpPlatformOptions opt_;
  hw::Machine m_;
  sw::host::HostKernel k_;
  sw::host::SevDev dev_;
  sw::hv::KvmSev kvm_;
  std::optional<psp::SimulatedChip> kds_;
  Bytes ovmf_;
  psp::TcbVersion committed_;
};

// A guest of `image` launched on `platform`, its kernel booted on vCPU 0.
class LiveSnpGuest {
 public:
  // `image` empty: the platform's OVMF. `disk`: the cbit disk (hv::make_cbit_disk) or empty.
  LiveSnpGuest(SnpPlatform& platform, Bytes image = {}, Bytes disk = {});
  ~LiveSnpGuest();

  // Runs `task` as a guest-kernel task; the guest must come back to its idle HLT (else
  // std::runtime_error with the exit and the kernel's log).
  void in_guest(sw::guest::GuestKernel::Task task);
  // SNP_GET_EXT_REPORT through the driver for VMPCK<vmpck> (probed on first use, as
  // `modprobe sev-guest vmpck_id=<vmpck>`), MSG_REPORT_REQ.VMPL = vmpl. Enters the guest itself
  // unless called from a task of this guest.
  sw::guest::ReportRequestOutcome request_report(const sw::attest::ReportData& report_data,
                                                 unsigned vmpck = 0, uint32_t vmpl = 0);
  // request_report(rd, vmpck, vmpl) as an AttestAgent's report source (nullopt unless the
  // firmware answered with a report).
  sw::guest::GetReportFn report_source(unsigned vmpck = 0, uint32_t vmpl = 0);
  // Whether VMPCK<vmpck> in the secrets page is zero (read by the guest kernel).
  bool vmpck_zero(unsigned vmpck);
  // The SVSM's step before a VMPL1 kernel runs: VMPCK<vmpck> zeroed in the secrets page.
  void zero_vmpck(unsigned vmpck);
  // The launch digest the firmware holds for this guest (what MEASUREMENT says).
  std::array<uint8_t, 48> launch_digest();

  sw::hv::Vm& vm() { return *vm_; }
  sw::guest::GuestKernel& kernel() { return *k_; }
  const psp::digest::LaunchPlan& plan() const { return plan_; }  // refers to the guest's image

 private:
  sw::guest::SevGuestDevice* device(unsigned vmpck);
  SnpPlatform& p_;
  std::unique_ptr<psp::digest::Ovmf> ovmf_;  // the plan's steps point into it
  psp::digest::LaunchPlan plan_;
  std::unique_ptr<sw::hv::Vm> vm_;
  std::unique_ptr<sw::guest::GuestKernel> k_;
  std::map<unsigned, std::unique_ptr<sw::guest::SevGuestDevice>> devices_;
  bool inside_ = false;
};

}  // namespace cbit::demo
