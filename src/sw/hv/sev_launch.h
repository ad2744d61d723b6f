// The VMM's side of an SEV / SEV-ES launch, in QEMU's order (target/i386/sev.c:
// sev_kvm_init, sev_launch_start, sev_encrypt_flash, sev_add_kernel_loader_hashes,
// sev_launch_update_vmsa, sev_launch_get_measure, sev_launch_finish).
//
// The VM's memory is a RAM slot at GPA 0 and a flash slot ending at 4 GiB (the firmware image,
// reset vector at 0xFFFFFFF0), both zero-filled kernel pages. The firmware image is copied in
// through the hypervisor's view and then encrypted in place by LAUNCH_UPDATE_DATA; SEV-ES
// vCPUs get one VMSA page each, written from their reset state (BSP at 0xFFFFFFF0, APs at the
// OVMF SEV-ES reset block's address) and encrypted by LAUNCH_UPDATE_VMSA.
//
// The steps come from psp::digest::plan_launch (the plan `cbit measure` walks) and go through
// run_launch_to_measure() with SevLaunchCommands (launch_sequence.h), the same sequence and
// commands Vm::launch uses. Every KVM error is a KvmError carrying KVM's -errno and the
// firmware's status.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "psp/digest/launch_plan.h"
#include "psp/digest/ovmf.h"
#include "psp/digest/sev_hashes.h"
#include "psp/digest/vmsa.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv {

class KvmError : public std::runtime_error {
 public:
  KvmError(std::string op, int ret, int fw_error);
  const std::string& op() const { return op_; }
  int ret() const { return ret_; }            // -errno
  int fw_error() const { return fw_error_; }  // SEV status (0 when the firmware was not asked)

 private:
  std::string op_;
  int ret_, fw_error_;
};
// "KVM_SEV_LAUNCH_START: -EIO, firmware status 0x07 POLICY_FAILURE (the guest policy forbids the
// command)".
std::string kvm_error_text(const std::string& op, int ret, int fw_error);

// The most vCPUs a launch takes (one VMSA page each under SEV-ES).
inline constexpr uint64_t kMaxLaunchVcpus = 512;

struct SevGuestConfig {
  psp::digest::SevMode mode = psp::digest::SevMode::Sev;  // Sev or SevEs
  uint32_t policy = 0x1;
  uint64_t ram_bytes = 16ull << 20;
  uint64_t vcpus = 1;
  uint64_t vcpu_sig = 0;  // CPUID Fn0000_0001_EAX: RDX of the reset VMSA (QEMU)
  psp::digest::VmmType vmm = psp::digest::VmmType::Qemu;
  std::optional<psp::digest::SevHashes> hashes;  // measured direct boot
};

class SevLaunchCommands;

class SevGuestLaunch {
 public:
  // Parses the firmware (OVMF footer table: SEV-ES reset block, hashes table) and sets up the
  // VM's memory slots. Throws InputError naming `firmware_name` for an image that does not fit
  // or cannot be launched this way.
  SevGuestLaunch(KvmSev& kvm, const SevGuestConfig& cfg, ByteSpan firmware,
                 std::string firmware_name);
  ~SevGuestLaunch();

  // KVM_SEV_INIT / KVM_SEV_ES_INIT.
  void sev_kvm_init();
  // Single steps, for tests that stop part-way: KVM_SEV_LAUNCH_START (and ACTIVATE; without
  // blobs the launch has no owner channel) and LAUNCH_UPDATE_DATA over the firmware image,
  // which the constructor put into the flash slot (QEMU's pflash contents).
  void sev_launch_start(const std::optional<SevSessionBlobs>& blobs);
  void sev_encrypt_flash();
  // KVM_SEV_LAUNCH_SECRET into guest memory at `gpa`.
  void sev_inject_launch_secret(ByteSpan hdr, ByteSpan data, GuestPhysAddr gpa);
  void sev_launch_finish();

  // KVM_SEV_INIT, then run_launch_to_measure() over the plan: LAUNCH_START, the firmware, the
  // hashes table, the VMSAs (SEV-ES), LAUNCH_MEASURE (measurement || MNONCE, 48 bytes).
  // `session` runs after the platform is initialized (the owner needs the platform's PDH) and
  // gives LAUNCH_START's blobs.
  Bytes launch_to_measure(const std::function<std::optional<SevSessionBlobs>()>& session);

  VmMemory& memory() { return *mem_; }
  KvmSevVm& vm() { return *vm_; }
  const MemSlot& ram_slot() const { return mem_->slots().at(0); }
  const MemSlot& flash_slot() const { return mem_->slots().at(1); }
  GuestPhysAddr firmware_gpa() const { return fw_gpa_; }
  uint32_t ap_reset_eip() const { return ap_eip_; }
  const std::vector<VirtAddr>& vmsa_pages() const { return vmsa_pages_; }
  const psp::digest::LaunchPlan& plan() const { return plan_; }

 private:
  void check(const char* op, int ret, int error) const;
  VirtAddr vmsa_page(uint64_t vcpu);

  KvmSev& kvm_;
  SevGuestConfig cfg_;
  ByteSpan firmware_;
  std::string firmware_name_;
  GuestPhysAddr fw_gpa_;
  uint32_t ap_eip_ = 0;
  std::optional<uint32_t> hashes_gpa_;
  std::unique_ptr<VmMemory> mem_;
  std::unique_ptr<KvmSevVm> vm_;
  std::vector<VirtAddr> vmsa_pages_;
  std::unique_ptr<psp::digest::Ovmf> ovmf_;
  psp::digest::LaunchPlan plan_;
  std::function<std::optional<SevSessionBlobs>()> session_;
  std::unique_ptr<SevLaunchCommands> cmds_;
};

}  // namespace cbit::sw::hv
