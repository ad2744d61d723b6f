#include "sw/hv/vm.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "hw/cpu/fault.h"
#include "hw/cpu/msr.h"
#include "hw/machine.h"
#include "psp/digest/vmsa.h"
#include "sw/host/kernel.h"
#include "sw/hv/launch_sequence.h"
#include "sw/hv/sev_launch.h"
#include "sw/hv/sev_launch_commands.h"
#include "sw/hv/snp_cc_blob.h"
#include "sw/hv/snp_launch_commands.h"

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
  // Guest RAM is faulted in on first use, as the real stack does it:
  //  - SEV, SEV-ES and plain VMs: QEMU's anonymous memory. A page is allocated and cleared by the
  //    host kernel on its first touch, by QEMU (loading an image, a device's DMA, KVM pinning it
  //    for LAUNCH_UPDATE_DATA) or by the guest: its first access to the GFN misses in the nested
  //    tables (#NPF, not present), and KVM's fault handler (kvm_tdp_page_fault ->
  //    kvm_faultin_pfn, get_user_pages) faults the page in and installs the leaf (tdp_map()).
  //    So the nested tables start empty and hold only what the guest touched.
  //  - SEV-SNP: guest_memfd. KVM allocates and clears a page when the guest first faults on it
  //    (kvm_gmem_get_folio, kvm_gmem_prepare_folio) or the launch populates it; the nested tables
  //    map all of RAM (the fault is the RMP's: Vcpu makes the page private, faulting it in first).
  const bool snp = cfg_.mode == SevMode::Snp;
  const MemSlot& ram = mem_->add_slot("pc.ram", GuestPhysAddr(0), cfg_.ram_bytes, false,
                                      VmMemory::Fault::kOnFirstTouch);
  npt_ = std::make_unique<NestedPageTables>(k_);
  if (snp) npt_->map(ram.gpa, ram.spa, ram.size);
  const ByteSpan firmware = cfg_.firmware_image();
  if (!firmware.empty()) {
    const uint64_t size = (firmware.size() + kPageSize - 1) & ~(kPageSize - 1);
    if (size > (16ull << 20)) throw InputError("VM: firmware image larger than 16 MiB");
    // SEV-SNP: the flash is guest_memfd too; SNP_LAUNCH_UPDATE populates each of its pages from
    // QEMU's copy of the image (the plan's source), so nothing is written into it before.
    // Otherwise QEMU loads the flash through its own mapping (every page of it present).
    const MemSlot& fw =
        snp ? mem_->add_slot("pc.bios", GuestPhysAddr(k4GiB - size), size, true,
                             VmMemory::Fault::kOnFirstTouch)
            : mem_->add_slot_with_contents("pc.bios", GuestPhysAddr(k4GiB - size), size, firmware);
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
  const auto iopm = k_.alloc_pages(2);
  if (!iopm) throw InputError("VM: out of host memory");
  k_.memcpy_to(*iopm, Bytes(4 * kPageSize, 0xff));
  iopm_ = *iopm;
  try {
    for (unsigned i = 0; i < cfg_.vcpus; ++i) vcpus_.push_back(std::make_unique<Vcpu>(*this, i));
  } catch (...) {  // no ~Vm for a VM never made: the host gets its pages back here
    vcpus_.clear();
    k_.free_pages(iopm_, 2);
    throw;
  }
}

bool Vm::tdp_page_fault(uint64_t gpa, uint64_t error_code) {
  // An SNP VM's tables map all of RAM: its faults are the RMP's (vcpu_snp.cc). A present leaf
  // that faults (a write to the firmware's read-only flash, reserved bits) is not this path's:
  // KVM hands such an access to QEMU as MMIO, which the model does not emulate.
  if (cfg_.mode == SevMode::Snp || (error_code & hw::pf_err::kPresent)) return false;
  const GuestPhysAddr page(gpa & kPageMask);
  const MemSlot* s = mem_->slot_of(page);
  if (!s) return false;  // no memslot: MMIO, exits to QEMU
  // kvm_faultin_pfn(): hva_to_pfn() -> get_user_pages(); for an untouched anonymous page the
  // host kernel allocates it and clears it through its own (C-bit, host key) mapping.
  mem_->fault_in(page, kPageSize);
  // The leaf as kvm_tdp_mmu_map() makes it: writable unless the slot is read-only, and the
  // nested C-bit KVM puts in every entry (shadow_me_value = sme_me_mask).
  npt_->map_page(page, s->spa + (page.value - s->gpa.value), !s->readonly, k_.sme_me_mask() != 0);
  ++tdp_faults_;
  return true;
}

Vm::~Vm() {
  vcpus_.clear();
  k_.free_pages(iopm_, 2);
  snp_vm_.reset();  // DECOMMISSION, guest pages and VMSAs made shared again
  sev_vm_.reset();  // sev_vm_destroy(): DEACTIVATE, DECOMMISSION
}

// What this VM's launch measures, as a plan for run_launch_to_measure(): the firmware slot (the
// image zero-padded to whole pages) at its GPA; for SNP the RAM pages of the firmware's SNP
// metadata (or the direct boot's CPUID and secrets pages), which the guest kernel finds through
// the CC blob (snp_cc_blob.h); then the vCPUs' VMSAs with the entry state of the model's guest
// (SEV-ES save-area format, hw/svm/vmcb.h save::; SNP adds SEV_FEATURES SNPActive).
psp::digest::LaunchPlan Vm::launch_plan() const {
  namespace digest = psp::digest;
  digest::LaunchPlan plan;
  plan.mode = cfg_.mode == SevMode::Snp     ? digest::SevMode::Snp
              : cfg_.mode == SevMode::SevEs ? digest::SevMode::SevEs
                                            : digest::SevMode::Sev;
  const auto keep = [&plan](Bytes b) -> ByteSpan {
    auto p = std::make_shared<const Bytes>(std::move(b));
    plan.buffers.push_back(p);
    return *p;
  };
  for (const MemSlot& s : mem_->slots()) {
    if (s.name != "pc.bios") continue;
    digest::LaunchStep st;
    st.source = digest::LaunchStep::Source::Firmware;
    st.label = "firmware image";
    st.gpa = s.gpa.value;
    st.pages = plan.mode == digest::SevMode::Snp ? s.size / kPageSize : 0;
    // The image as it is when it fills whole pages (the plan lives only inside launch()), else
    // a copy zero-padded to the slot.
    const ByteSpan firmware = cfg_.firmware_image();
    if (firmware.size() == s.size) {
      st.data = firmware;
    } else {
      Bytes image(firmware.begin(), firmware.end());
      image.resize(s.size, 0);
      st.data = keep(std::move(image));
    }
    plan.steps.push_back(std::move(st));
  }
  if (plan.mode == digest::SevMode::Snp) {
    for (const auto& p : snp_ram_pages(cfg_.firmware_image(), cfg_.ram_bytes)) {
      digest::LaunchStep st;
      st.source = digest::LaunchStep::Source::MetadataSection;
      st.label = p.label;
      st.gpa = p.gpa.value;
      st.pages = p.pages;
      st.page_type = p.type == KVM_SEV_SNP_PAGE_TYPE_CPUID     ? digest::PageType::Cpuid
                     : p.type == KVM_SEV_SNP_PAGE_TYPE_SECRETS ? digest::PageType::Secrets
                                                               : digest::PageType::Zero;
      plan.steps.push_back(std::move(st));
    }
  }
  if (plan.mode != digest::SevMode::Sev) {
    // SNP: SEV_FEATURES SNPActive plus what the guest owner asked for (e.g. restricted injection).
    const uint64_t features = plan.mode == digest::SevMode::Snp ? 1 | cfg_.sev_features : 0;
    auto page = digest::build_vmsa(digest::kBspEip, features, 0, digest::VmmType::Qemu);
    store_le<uint64_t>(page.data() + digest::vmsa_off::kCr0, kEntryCr0);
    store_le<uint64_t>(page.data() + digest::vmsa_off::kRip, kEntryRip);
    store_le<uint64_t>(page.data() + digest::vmsa_off::kCs + 8, 0);
    digest::LaunchStep st;
    st.source = digest::LaunchStep::Source::Vmsa;
    st.label = "VMSA of every vCPU (the guest kernel's entry state)";
    st.page_type = digest::PageType::Vmsa;
    st.gpa = digest::kVmsaGpa;
    st.pages = cfg_.vcpus;
    st.repeat = true;
    st.data = keep(Bytes(page.begin(), page.end()));
    plan.steps.push_back(std::move(st));
  }
  return plan;
}

// A caller's plan against this VM: its mode, its vCPU count and every page in a memslot (a
// metadata section beyond RAM cannot be launched; QEMU refuses such an image too).
void Vm::check_plan(const psp::digest::LaunchPlan& plan) const {
  namespace digest = psp::digest;
  const digest::SevMode want = cfg_.mode == SevMode::Snp     ? digest::SevMode::Snp
                               : cfg_.mode == SevMode::SevEs ? digest::SevMode::SevEs
                                                             : digest::SevMode::Sev;
  if (plan.mode != want)
    throw InputError(fmt::format("VM: a launch plan for {} given to an {} VM",
                                 digest::sev_mode_name(plan.mode), sev_mode_name(cfg_.mode)));
  uint64_t vmsas = 0;
  for (const auto& s : plan.steps) {
    if (s.source == digest::LaunchStep::Source::Vmsa) {
      vmsas += s.repeat ? s.pages : 1;
      continue;
    }
    if (plan.mode != digest::SevMode::Snp) continue;  // SEV measures bytes, not GPAs
    const uint64_t pages = std::max<uint64_t>(s.pages, 1);
    for (uint64_t i = 0; i < pages; ++i)
      if (!mem_->slot_of(GuestPhysAddr(s.gpa + i * kPageSize)))
        throw InputError(fmt::format("{} at GPA {:#x} is outside guest memory ({} MiB of RAM)",
                                     s.label, s.gpa + i * kPageSize, cfg_.ram_bytes >> 20));
  }
  if (plan.mode != digest::SevMode::Sev && vmsas != cfg_.vcpus)
    throw InputError(
        fmt::format("VM: the launch plan measures {} VMSAs for {} vCPUs", vmsas, cfg_.vcpus));
}

// The launch through the one sequence every launch uses (launch_sequence.h), with the per-mode
// commands: SEV / SEV-ES's owner checks LAUNCH_MEASURE before LAUNCH_FINISH and may inject a
// secret; an SNP guest's owner checks the attestation report later (its digest is the firmware's).
LaunchResult Vm::launch(LaunchOwner* owner, const psp::digest::LaunchPlan* given) {
  LaunchResult r;
  if (cfg_.mode == SevMode::None) {
    r.owner_ok = true;
    return r;
  }
  const psp::digest::LaunchPlan own = given ? psp::digest::LaunchPlan{} : launch_plan();
  const psp::digest::LaunchPlan& plan = given ? *given : own;
  if (given) check_plan(plan);
  const auto vmsa_page = [this](uint64_t i) { return *vcpus_.at(i)->vmsa(); };
  std::unique_ptr<LaunchCommands> cmds;
  SnpLaunchCommands* snp = nullptr;
  if (cfg_.mode == SevMode::Snp) {
    auto& cpu = m_.cpu();
    // sev_snp_cpuid_info_fill(): the CPUID KVM reports (the host part's here, as in
    // SnpGuestLaunch), which the firmware checks against the part.
    auto c = std::make_unique<SnpLaunchCommands>(
        *snp_vm_, SnpLaunchParams{cfg_.snp_policy, {}, cfg_.snp_finish},
        [&cpu](uint32_t leaf, uint32_t sub) { return cpu.cpuid(leaf, sub); }, vmsa_page);
    snp = c.get();
    cmds = std::move(c);
  } else {
    cmds = std::make_unique<SevLaunchCommands>(
        *sev_vm_, *mem_, cfg_.policy,
        [owner] { return owner ? owner->session() : std::optional<SevSessionBlobs>(); }, vmsa_page);
  }
  try {
    r.measure = run_launch_to_measure(plan, *cmds);
    if (snp) snp_cc_blob_ = snp->cc_blob();
    if (owner && !snp) {
      r.owner_ok = owner->verify(r.measure, measured_pages(plan));
      if (!r.owner_ok) {
        r.rc = -EPERM;
        r.step = "owner refused the measurement";
        return r;
      }
      if (auto s = owner->secret()) {
        const auto& [packet, gpa] = *s;
        cmds->launch_secret(packet.first, packet.second, gpa);
      }
    }
    cmds->launch_finish();
  } catch (const KvmError& e) {
    r.rc = e.ret();
    r.fw_error = e.fw_error();
    r.step = e.op();
    if (snp) r.cpuid_report = snp->cpuid_report();
    return r;
  }
  if (snp) r.owner_ok = true;
  return r;
}

hw::svm::VmExit Vm::run(hw::svm::GuestSoftware& guest, unsigned id) { return vcpu(id).run(guest); }

}  // namespace cbit::sw::hv
