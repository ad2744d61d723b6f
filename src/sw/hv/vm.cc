#include "sw/hv/vm.h"

#include "common/error.h"
#include "hw/cpu/msr.h"
#include "hw/machine.h"
#include "psp/digest/vmsa.h"
#include "psp/snp/cpuid_page.h"
#include "sw/host/kernel.h"
#include "sw/hv/sev_launch.h"
#include "sw/hv/snp_cc_blob.h"

namespace cbit::sw::hv {

const char* sev_mode_name(SevMode m) {
  switch (m) {
    case SevMode::None:
      return "off";
    case SevMode::Sev:
      return "SEV";
    case SevMode::SevEs:
      return "SEV-ES";
    case SevMode::Snp:
      return "SEV-SNP";
  }
  return "?";
}

Vm::Vm(hw::Machine& machine, host::HostKernel& kernel, KvmSev* sev, VmConfig cfg)
    : m_(machine), k_(kernel), kvm_sev_(sev), cfg_(std::move(cfg)) {
  if (cfg_.mode != SevMode::None && !kvm_sev_)
    throw InputError("VM: SEV requested but the host has no SEV support loaded");
  if (cfg_.vcpus == 0) throw InputError("VM: at least one vCPU");
  if (cfg_.ram_bytes == 0 || cfg_.ram_bytes % kPageSize || cfg_.ram_bytes > (1ull << 31))
    throw InputError("VM: RAM size must be a page multiple up to 2 GiB");
  // svm_hardware_enable(): EFER.SVME on the host core.
  auto& cpu = m_.cpu();
  // With SYSCFG[MemEncryptionModEn]=0 Linux clears X86_FEATURE_SEV at boot
  // (early_detect_mem_encrypt: "SME/SEV disabled by BIOS"): KVM offers no SEV.
  if (cfg_.mode != SevMode::None &&
      !(cpu.rdmsr(hw::msr::kSyscfg) & hw::syscfg::kMemEncryptionModEn))
    throw InputError("VM: SEV is disabled by the BIOS (SYSCFG MemEncryptionModEn=0)");
  cpu.wrmsr(hw::msr::kEfer, cpu.rdmsr(hw::msr::kEfer) | hw::efer::kSvme);

  mem_ = std::make_unique<VmMemory>(k_);
  const MemSlot& ram = mem_->add_slot("pc.ram", GuestPhysAddr(0), cfg_.ram_bytes);
  npt_ = std::make_unique<NestedPageTables>(k_);
  npt_->map(ram.gpa, ram.spa, ram.size);
  if (!cfg_.firmware.empty()) {
    const uint64_t size = (cfg_.firmware.size() + kPageSize - 1) & ~(kPageSize - 1);
    if (size > (16ull << 20)) throw InputError("VM: firmware image larger than 16 MiB");
    const MemSlot& fw = mem_->add_slot("pc.bios", GuestPhysAddr(k4GiB - size), size, true);
    mem_->write(fw.gpa, cfg_.firmware);  // QEMU loads the flash through its own mapping
    npt_->map(fw.gpa, fw.spa, fw.size, /*writable=*/false);
  }
  blk_ = std::make_unique<CbitBlk>(cfg_.disk);

  if (cfg_.mode == SevMode::Snp) {
    snp_vm_ = std::make_unique<KvmSnpVm>(*kvm_sev_, *mem_);
    int err = 0;
    const int rc = snp_vm_->sev_init2(&err);
    if (rc) throw InputError(kvm_error_text("KVM_SEV_INIT2", rc, err));
    // QEMU: all guest memory private from the start (KVM_SET_MEMORY_ATTRIBUTES).
    for (const MemSlot& s : mem_->slots()) mem_->set_memory_attributes(s.gpa, s.size, true);
    asid_ = snp_vm_->asid();
  } else if (cfg_.mode != SevMode::None) {
    sev_vm_ = std::make_unique<KvmSevVm>(*kvm_sev_, *mem_);
    int err = 0;
    const int rc = sev_vm_->sev_guest_init(cfg_.mode == SevMode::SevEs, &err);
    if (rc) throw InputError("VM: KVM_SEV_INIT failed (" + std::to_string(rc) + ")");
    asid_ = sev_vm_->asid();
  } else {
    // KVM hands plain guests ASIDs above the SEV range (svm->asid from max_sev_asid + 1).
    asid_ = m_.cpu_model().fn8000_001f.num_encrypted_guests() + 1;
  }
  for (unsigned i = 0; i < cfg_.vcpus; ++i) vcpus_.push_back(std::make_unique<Vcpu>(*this, i));
}

Vm::~Vm() {
  vcpus_.clear();
  snp_vm_.reset();  // DECOMMISSION, guest pages and VMSAs made shared again
  sev_vm_.reset();  // sev_vm_destroy(): DEACTIVATE, DECOMMISSION
}

LaunchResult Vm::launch(LaunchOwner* owner) {
  LaunchResult r;
  if (cfg_.mode == SevMode::None) {
    r.owner_ok = true;
    return r;
  }
  const auto fail = [&](const char* step, int rc) {
    r.rc = rc;
    r.step = step;
    return r;
  };
  if (cfg_.mode == SevMode::Snp) return launch_snp();
  std::optional<SevSessionBlobs> blobs;
  if (owner) blobs = owner->session();
  if (int rc = sev_vm_->sev_launch_start(cfg_.policy, blobs, &r.fw_error))
    return fail("LAUNCH_START", rc);
  std::vector<Bytes> measured;
  for (const MemSlot& s : mem_->slots()) {
    if (s.name != "pc.bios") continue;
    if (int rc = sev_vm_->sev_launch_update_data(s.gpa, s.size, &r.fw_error))
      return fail("LAUNCH_UPDATE_DATA", rc);
    measured.push_back(cfg_.firmware);
    measured.back().resize(s.size, 0);
  }
  if (cfg_.mode == SevMode::SevEs) {
    std::vector<SevEsVcpu> es;
    for (auto& v : vcpus_) {
      const VirtAddr page = *v->vmsa();
      es.push_back({page, [] {
                      // The entry state in the SEV-ES save-area format (hw/svm/vmcb.h save::).
                      auto p = psp::digest::build_vmsa(psp::digest::kBspEip, 0, 0,
                                                       psp::digest::VmmType::Qemu);
                      store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kCr0, kEntryCr0);
                      store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kRip, kEntryRip);
                      store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kCs + 8, 0);
                      return p;
                    }});
      const auto page_bytes = es.back().sync_vmsa();
      measured.emplace_back(page_bytes.begin(), page_bytes.end());
    }
    if (int rc = sev_vm_->sev_launch_update_vmsa(es, &r.fw_error))
      return fail("LAUNCH_UPDATE_VMSA", rc);
  }
  uint32_t len = 48;
  if (int rc = sev_vm_->sev_launch_measure(&r.measure, &len, &r.fw_error))
    return fail("LAUNCH_MEASURE", rc);
  if (owner) {
    std::vector<ByteSpan> pages(measured.begin(), measured.end());
    r.owner_ok = owner->verify(r.measure, pages);
    if (!r.owner_ok) return fail("owner refused the measurement", -EPERM);
    if (auto s = owner->secret()) {
      const auto& [packet, gpa] = *s;
      if (int rc = sev_vm_->sev_launch_secret(packet.first, packet.second, gpa, &r.fw_error))
        return fail("LAUNCH_SECRET", rc);
    }
  }
  if (int rc = sev_vm_->sev_launch_finish(&r.fw_error)) return fail("LAUNCH_FINISH", rc);
  return r;
}

// The SNP launch of this VM's firmware: its pages as NORMAL, then the vCPUs' VMSAs (entry
// state as for SEV-ES, SEV_FEATURES SNPActive) measured by KVM inside LAUNCH_FINISH.
LaunchResult Vm::launch_snp() {
  LaunchResult r;
  const auto fail = [&](const char* step, int rc) {
    r.rc = rc;
    r.step = step;
    return r;
  };
  if (int rc = snp_vm_->snp_launch_start(cfg_.snp_policy, {}, 0, &r.fw_error))
    return fail("KVM_SEV_SNP_LAUNCH_START", rc);
  for (const MemSlot& s : mem_->slots()) {
    if (s.name != "pc.bios") continue;
    Bytes image = cfg_.firmware;
    image.resize(s.size, 0);
    if (int rc = snp_vm_->snp_launch_update(s.gpa.value >> kPageShift, image, s.size,
                                            KVM_SEV_SNP_PAGE_TYPE_NORMAL, &r.fw_error))
      return fail("KVM_SEV_SNP_LAUNCH_UPDATE", rc);
  }
  // The RAM pages of the firmware's SNP metadata (or the direct boot's CPUID and secrets
  // pages), which the guest kernel finds through the CC blob (snp_cc_blob.h).
  const auto ram_pages = snp_ram_pages(cfg_.firmware, cfg_.ram_bytes);
  for (const auto& p : ram_pages) {
    Bytes src(p.pages * kPageSize, 0);
    if (p.type == KVM_SEV_SNP_PAGE_TYPE_CPUID) {
      // sev_snp_cpuid_info_fill(): the CPUID KVM reports (the host part's here, as in
      // SnpGuestLaunch), which the firmware checks against the part.
      src = psp::snp::snp_cpuid_table_build([&](uint32_t leaf, uint32_t sub) {
              return m_.cpu().cpuid(leaf, sub);
            }).serialize();
    }
    if (int rc =
            snp_vm_->snp_launch_update(p.gpa.pfn(), src, p.pages * kPageSize, p.type, &r.fw_error))
      return fail("KVM_SEV_SNP_LAUNCH_UPDATE", rc);
  }
  snp_cc_blob_ = hv::snp_cc_blob(ram_pages);
  std::vector<SevEsVcpu> vcpus;
  for (auto& v : vcpus_) {
    // SEV_FEATURES: SNPActive plus what the guest owner asked for (e.g. restricted injection).
    const uint64_t features = 1 | cfg_.sev_features;
    vcpus.push_back({*v->vmsa(), [features] {
                       auto p = psp::digest::build_vmsa(psp::digest::kBspEip, features, 0,
                                                        psp::digest::VmmType::Qemu);
                       store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kCr0, kEntryCr0);
                       store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kRip, kEntryRip);
                       store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kCs + 8, 0);
                       return p;
                     }});
  }
  if (int rc = snp_vm_->snp_launch_finish(vcpus, cfg_.snp_finish, &r.fw_error))
    return fail("KVM_SEV_SNP_LAUNCH_FINISH", rc);
  r.owner_ok = true;
  return r;
}

hw::svm::VmExit Vm::run(hw::svm::GuestSoftware& guest, unsigned id) { return vcpu(id).run(guest); }

}  // namespace cbit::sw::hv
