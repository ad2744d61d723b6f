#include "sw/hv/sev_launch.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "hw/psp/sev/sev_api.h"
#include "psp/digest/ovmf.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/sev_launch_commands.h"

namespace cbit::sw::hv {

namespace sev = hw::psp::sev;
using SevMode = psp::digest::SevMode;

std::string kvm_error_text(const std::string& op, int ret, int fw_error) {
  const char* err = ret == -EIO      ? "-EIO"
                    : ret == -EINVAL ? "-EINVAL"
                    : ret == -EBUSY  ? "-EBUSY"
                    : ret == -ENOTTY ? "-ENOTTY"
                    : ret == -EFAULT ? "-EFAULT"
                    : ret == -ENOMEM ? "-ENOMEM"
                                     : nullptr;
  std::string s = err ? fmt::format("{}: {}", op, err) : fmt::format("{}: {}", op, ret);
  if (ret == -EIO)
    s += fmt::format(", firmware status {:#04x} {} ({})", fw_error,
                     sev::name(static_cast<sev::SevStatus>(fw_error)),
                     sev::describe(static_cast<sev::SevStatus>(fw_error)));
  else if (ret == -ENOTTY)
    s += " (SEV or SEV-ES not available for this guest)";
  else if (ret == -EBUSY)
    s += " (no free ASID)";
  return s;
}

KvmError::KvmError(std::string op, int ret, int fw_error)
    : std::runtime_error(kvm_error_text(op, ret, fw_error)),
      op_(std::move(op)),
      ret_(ret),
      fw_error_(fw_error) {}

SevGuestLaunch::SevGuestLaunch(KvmSev& kvm, const SevGuestConfig& cfg, ByteSpan firmware,
                               std::string firmware_name)
    : kvm_(kvm), cfg_(cfg), firmware_(firmware), firmware_name_(std::move(firmware_name)) {
  if (cfg_.mode == SevMode::Snp)
    throw InputError("SEV-SNP launches are not part of the legacy SEV / SEV-ES path");
  if (firmware_.empty()) throw InputError(firmware_name_ + ": empty firmware image");
  if (firmware_.size() % kAesBlockSize)
    throw InputError(fmt::format("{}: {} bytes, not a multiple of 16 (LAUNCH_UPDATE_DATA)",
                                 firmware_name_, firmware_.size()));
  if (firmware_.size() > (256ull << 20))
    throw InputError(
        fmt::format("{}: {} bytes, larger than a 256 MiB flash", firmware_name_, firmware_.size()));
  // The image ends at 4 GiB (reset vector at 0xFFFFFFF0), as QEMU maps its pflash / -bios.
  ovmf_ = std::make_unique<psp::digest::Ovmf>(firmware_, nullptr, firmware_name_);
  const psp::digest::Ovmf& ovmf = *ovmf_;
  fw_gpa_ = GuestPhysAddr(ovmf.gpa());
  if (cfg_.mode == SevMode::SevEs) ap_eip_ = ovmf.sev_es_reset_eip();  // needs the reset block
  if (cfg_.mode == SevMode::SevEs && cfg_.vcpus > 1 && ap_eip_ == 0)
    throw InputError(fmt::format("{}: {} vCPUs asked for but the SEV-ES reset block gives AP EIP 0",
                                 firmware_name_, cfg_.vcpus));
  if (cfg_.vcpus == 0 || cfg_.vcpus > kMaxLaunchVcpus)
    throw InputError(fmt::format("--vcpus {}: choose 1 to {}", cfg_.vcpus, kMaxLaunchVcpus));
  if (cfg_.hashes) {
    if (!ovmf.sev_hashes_table_supported())
      throw InputError(firmware_name_ +
                       ": Kernel specified but OVMF doesn't support kernel/initrd/cmdline "
                       "measurement");
    hashes_gpa_ = ovmf.sev_hashes_table_gpa();
  }
  const uint64_t flash_base = fw_gpa_.value & kPageMask;
  if (cfg_.ram_bytes == 0 || cfg_.ram_bytes % kPageSize || cfg_.ram_bytes > flash_base)
    throw InputError(
        fmt::format("guest RAM of {:#x} bytes: not whole pages below the flash at {:#x}",
                    cfg_.ram_bytes, flash_base));
  if (hashes_gpa_ && *hashes_gpa_ + psp::digest::kSevHashTablePaddedSize > cfg_.ram_bytes)
    throw InputError(fmt::format("{}: the SEV hashes table at GPA {:#x} is beyond guest RAM",
                                 firmware_name_, *hashes_gpa_));
  mem_ = std::make_unique<VmMemory>(kvm_.dev().kernel());
  // QEMU's RAM: anonymous memory (guest_memfd for SNP) faulted in when first touched.
  mem_->add_slot("pc.ram", GuestPhysAddr(0), cfg_.ram_bytes, false, VmMemory::Fault::kOnFirstTouch);
  // QEMU's pflash: the image is the block's contents from the start.
  mem_->add_slot_with_contents("pc.flash0", GuestPhysAddr(flash_base),
                               psp::digest::kFourGiB - flash_base, firmware_,
                               fw_gpa_.value - flash_base);
  vm_ = std::make_unique<KvmSevVm>(kvm_, *mem_);
  psp::digest::LaunchConfig pc;
  pc.mode = cfg_.mode;
  pc.vcpus = cfg_.mode == SevMode::SevEs ? cfg_.vcpus : 0;
  pc.vcpu_sig = cfg_.vcpu_sig;
  pc.vmm = cfg_.vmm;
  pc.hashes = cfg_.hashes;
  plan_ = psp::digest::plan_launch(ovmf, pc);
  cmds_ = std::make_unique<SevLaunchCommands>(
      *vm_, *mem_, cfg_.policy,
      [this] { return session_ ? session_() : std::optional<SevSessionBlobs>(); },
      [this](uint64_t i) { return vmsa_page(i); });
}

SevGuestLaunch::~SevGuestLaunch() {
  cmds_.reset();
  vm_.reset();  // sev_vm_destroy: WBINVD, DEACTIVATE, DECOMMISSION
  auto& k = kvm_.dev().kernel();
  for (VirtAddr p : vmsa_pages_) k.free_pages(p, 0);
}

void SevGuestLaunch::check(const char* op, int ret, int error) const {
  if (ret) throw KvmError(op, ret, error);
}

void SevGuestLaunch::sev_kvm_init() {
  int error = 0;
  const bool es = cfg_.mode == SevMode::SevEs;
  const int ret = vm_->sev_guest_init(es, &error);
  check(es ? "KVM_SEV_ES_INIT" : "KVM_SEV_INIT", ret, error);
}

VirtAddr SevGuestLaunch::vmsa_page(uint64_t vcpu) {
  while (vmsa_pages_.size() <= vcpu) {
    auto p = kvm_.dev().kernel().alloc_pages(0);  // svm_vcpu_create: the VMSA page
    if (!p) throw InputError("host kernel: out of memory for VMSA pages");
    vmsa_pages_.push_back(*p);
  }
  return vmsa_pages_[vcpu];
}

void SevGuestLaunch::sev_launch_start(const std::optional<SevSessionBlobs>& blobs) {
  session_ = [blobs] { return blobs; };
  cmds_->launch_start();
}

void SevGuestLaunch::sev_encrypt_flash() {
  for (const auto& s : plan_.steps)
    if (s.source == psp::digest::LaunchStep::Source::Firmware) cmds_->launch_update(s);
}

void SevGuestLaunch::sev_inject_launch_secret(ByteSpan hdr, ByteSpan data, GuestPhysAddr gpa) {
  cmds_->launch_secret(hdr, data, gpa);
}

void SevGuestLaunch::sev_launch_finish() { cmds_->launch_finish(); }

Bytes SevGuestLaunch::launch_to_measure(
    const std::function<std::optional<SevSessionBlobs>()>& session) {
  sev_kvm_init();
  session_ = session;
  return run_launch_to_measure(plan_, *cmds_);
}

}  // namespace cbit::sw::hv
