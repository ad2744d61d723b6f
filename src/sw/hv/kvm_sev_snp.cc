#include "sw/hv/kvm_sev_snp.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <span>

#include "hw/machine.h"
#include "hw/rmp/rmp.h"
#include "psp/digest/snp_launch_digest.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/host/smp.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv {

namespace {
constexpr uint8_t SNP_PAGE_TYPE_VMSA = 2;
constexpr int SEV_RET_INVALID_PARAM = 0x16;
}  // namespace

KvmSnpVm::KvmSnpVm(KvmSev& sev, VmMemory& mem)
    : sev_(sev), dev_(sev.dev()), k_(sev.dev().kernel()), mem_(mem) {}

KvmSnpVm::~KvmSnpVm() { sev_vm_destroy(); }

uint64_t KvmSnpVm::gctx_paddr() const { return snp_context_ ? dev_.__psp_pa(*snp_context_) : 0; }

// sev_guest_init() for KVM_X86_SNP_VM.
int KvmSnpVm::sev_init2(int* error) {
  if (active_) return -EINVAL;
  // "SNP guests use the SEV-ES ASID range"; no SNP without SNP in the host kernel.
  if (!k_.cc_platform_has(CcAttr::HostSevSnp) || !sev_.sev_es_enabled()) return -EINVAL;
  const int asid = sev_.sev_asid_new(true);
  if (asid < 0) return asid;
  if (int rc = dev_.sev_platform_init(error)) {
    sev_.sev_asid_free(static_cast<unsigned>(asid));
    return rc;
  }
  if (!dev_.snp_initialized()) {  // SNP_INIT failed: the VM type is not supported
    sev_.sev_asid_free(static_cast<unsigned>(asid));
    return -EINVAL;
  }
  asid_ = static_cast<unsigned>(asid);
  active_ = true;
  mem_.enable_guest_memfd();
  return 0;
}

// snp_launch_start() with snp_context_create() and snp_bind_asid().
int KvmSnpVm::snp_launch_start(uint64_t policy, const std::array<uint8_t, 16>& gosvw,
                               uint32_t flags, int* error) {
  if (!active_) return -ENOTTY;
  // "Don't allow userspace to allocate memory for more than 1 SNP context."
  if (snp_context_) return -EINVAL;
  if (flags) return -EINVAL;
  const uint64_t valid =
      SNP_POLICY_MASK_VALID |
      (dev_.snp_ciphertext_hiding() ? SNP_POLICY_MASK_CIPHERTEXT_HIDING_DRAM : 0);
  if (policy & ~valid) return -EINVAL;
  if (!(policy & SNP_POLICY_MASK_RSVD_MBO)) return -EINVAL;
  if (policy & SNP_POLICY_MASK_SINGLE_SOCKET) return -EINVAL;
  auto ctx = dev_.snp_alloc_firmware_page();
  if (!ctx) return -ENOMEM;
  if (int rc = dev_.snp_gctx_create(dev_.__psp_pa(*ctx), error)) {
    k_.pr_info(
        fmt::format("kvm_amd: Failed to create SEV-SNP context, rc {} fw_error {}", rc, *error));
    dev_.snp_free_firmware_page(*ctx);
    return rc;
  }
  snp_context_ = ctx;
  host::sev_data_snp_launch_start start{};
  start.gctx_paddr = gctx_paddr();
  start.policy = policy;
  std::memcpy(start.gosvw, gosvw.data(), gosvw.size());
  int rc = dev_.snp_launch_start(&start, error);
  if (rc == 0) {
    host::sev_data_snp_activate act{};
    act.gctx_paddr = gctx_paddr();
    act.asid = asid_;
    rc = dev_.snp_activate(&act, error);
  }
  if (rc) {
    // e_free_context: the context is decommissioned and its page reclaimed.
    int ignored = 0;
    dev_.snp_decommission(gctx_paddr(), &ignored);
    dev_.snp_free_firmware_page(*snp_context_);
    snp_context_.reset();
  }
  return rc;
}

int KvmSnpVm::launch_update_page(SysPhysAddr spa, uint64_t gpa, uint8_t type, int* error) {
  const Pfn pfn = Pfn::of(spa);
  if (int rc = k_.snp().rmp_make_private(pfn, gpa, host::PG_LEVEL_4K, asid_, true)) return rc;
  host::sev_data_snp_launch_update d{};
  d.gctx_paddr = gctx_paddr();
  d.address = spa.value | k_.sme_me_mask();  // __sme_set(pfn_to_hpa(pfn))
  d.page_info = host::snp_launch_update_page_info(type, false);
  const int rc = dev_.snp_launch_update(&d, error);
  if (rc) {
    // "The guest page is in firmware state or in Pre-Guest state: reclaim it before handing it
    // back to the host" (sev_gmem_post_populate's error path).
    int ignored = 0;
    if (dev_.snp_page_reclaim(spa.value, &ignored) == 0 ||
        k_.machine().rmp().table().read(spa).assigned)
      if (k_.snp().rmp_make_shared(pfn, host::PG_LEVEL_4K)) k_.snp().snp_leak_pages(pfn, 1);
  }
  return rc;
}

// snp_launch_update() -> kvm_gmem_populate() -> sev_gmem_post_populate().
int KvmSnpVm::snp_launch_update(uint64_t gfn_start, ByteSpan src, uint64_t len, uint8_t type,
                                int* error, Bytes* cpuid_out) {
  if (!active_) return -ENOTTY;
  if (!snp_context_) return -EINVAL;
  if (!len || len % kPageSize || gfn_start > (~0ull >> kPageShift)) return -EINVAL;
  if (type != KVM_SEV_SNP_PAGE_TYPE_NORMAL && type != KVM_SEV_SNP_PAGE_TYPE_ZERO &&
      type != KVM_SEV_SNP_PAGE_TYPE_UNMEASURED && type != KVM_SEV_SNP_PAGE_TYPE_SECRETS &&
      type != KVM_SEV_SNP_PAGE_TYPE_CPUID)
    return -EINVAL;
  const bool copy = type != KVM_SEV_SNP_PAGE_TYPE_ZERO;
  if (copy && src.size() < len) return -EFAULT;
  const uint64_t npages = len / kPageSize;
  const GuestPhysAddr gpa0(gfn_start << kPageShift);
  if (gpa0.value + len < gpa0.value) return -EINVAL;
  // kvm_gmem_populate: the whole range must be guest_memfd memory with the private attribute,
  // each page still shared in the RMP (a second populate of a page is refused).
  auto& rmp = k_.machine().rmp();
  for (uint64_t i = 0; i < npages; ++i) {
    const GuestPhysAddr g = gpa0 + i * kPageSize;
    const auto spa = mem_.gpa_to_spa(g);
    if (!spa || !mem_.is_private(g)) return -EINVAL;
    if (rmp.enabled() && rmp.table().read(*spa).assigned) return -EINVAL;
  }
  for (uint64_t i = 0; i < npages; ++i) {
    const GuestPhysAddr g = gpa0 + i * kPageSize;
    const SysPhysAddr spa = *mem_.gpa_to_spa(g);
    const VirtAddr va = k_.__va(spa);
    mem_.populate(g, kPageSize);  // filled whole below (copy) or by the firmware (ZERO)
    // The source goes into the guest_memfd page through the kernel's mapping.
    if (copy) k_.memcpy_to(va, src.subspan(i * kPageSize, kPageSize));
    int rc = launch_update_page(spa, g.value, type, error);
    if (rc) {
      // "When invalid CPUID function entries are detected, firmware corrects these entries for
      // debugging purpose and leaves the page unencrypted so it can be provided to users."
      if (type == KVM_SEV_SNP_PAGE_TYPE_CPUID && *error == SEV_RET_INVALID_PARAM && cpuid_out) {
        cpuid_out->assign(kPageSize, 0);
        k_.memcpy_from(va, *cpuid_out);
      }
      return rc;
    }
  }
  return 0;
}

// snp_launch_finish() with snp_launch_update_vmsa().
int KvmSnpVm::snp_launch_finish(const std::vector<SevEsVcpu>& vcpus, const KvmSevSnpLaunchFinish& p,
                                int* error) {
  if (!active_) return -ENOTTY;
  if (!snp_context_) return -EINVAL;
  if (p.id_block && p.id_block->size() != KVM_SEV_SNP_ID_BLOCK_SIZE) return -EINVAL;
  if (p.id_block && (!p.id_auth || p.id_auth->size() != KVM_SEV_SNP_ID_AUTH_SIZE)) return -EINVAL;
  // "Measure all vCPUs using LAUNCH_UPDATE before finalizing the launch flow."
  for (const SevEsVcpu& v : vcpus) {
    const auto page = v.sync_vmsa();  // sev_es_sync_vmsa()
    k_.memcpy_to(v.vmsa, page);
    const SysPhysAddr spa = k_.__pa(v.vmsa);
    // "Transition the VMSA page to a firmware state."
    if (int rc = k_.snp().rmp_make_private(Pfn::of(spa), INITIAL_VMSA_GPA, host::PG_LEVEL_4K, asid_,
                                           true))
      return rc;
    host::sev_data_snp_launch_update d{};
    d.gctx_paddr = gctx_paddr();
    d.address = spa.value | k_.sme_me_mask();  // __sme_pa(vmsa)
    d.page_info = host::snp_launch_update_page_info(SNP_PAGE_TYPE_VMSA, false);
    if (int rc = dev_.snp_launch_update(&d, error)) {
      int ignored = 0;
      dev_.snp_page_reclaim(spa.value, &ignored);
      k_.snp().rmp_make_shared(Pfn::of(spa), host::PG_LEVEL_4K);
      return rc;
    }
    vmsas_.push_back(v.vmsa);
  }
  // The ID block and its authentication page, copied into kernel memory (psp_copy_user_blob).
  std::optional<VirtAddr> id_block, id_auth;
  host::sev_data_snp_launch_finish data{};
  if (p.id_block) {
    id_block = k_.alloc_pages(0);
    id_auth = k_.alloc_pages(0);
    if (!id_block || !id_auth) {
      if (id_block) k_.free_pages(*id_block, 0);
      if (id_auth) k_.free_pages(*id_auth, 0);
      return -ENOMEM;
    }
    k_.memcpy_to(*id_block, *p.id_block);
    k_.memcpy_to(*id_auth, *p.id_auth);
    data.flags |= host::SNP_LAUNCH_FINISH_ID_BLOCK_EN;
    data.id_block_paddr = dev_.__psp_pa(*id_block);
    data.id_auth_paddr = dev_.__psp_pa(*id_auth);
    if (p.auth_key_en) data.flags |= host::SNP_LAUNCH_FINISH_AUTH_KEY_EN;
  }
  std::memcpy(data.host_data, p.host_data.data(), p.host_data.size());
  data.gctx_paddr = gctx_paddr();
  const int rc = dev_.snp_launch_finish(&data, error);
  if (id_block) k_.free_pages(*id_block, 0);
  if (id_auth) k_.free_pages(*id_auth, 0);
  return rc;
}

// sev_gmem_invalidate() over the whole guest_memfd and sev_free_vcpu()'s VMSA pages: every
// page still assigned in the RMP goes back to the hypervisor.
void KvmSnpVm::reclaim_guest_pages() {
  auto& rmp = k_.machine().rmp();
  if (!rmp.enabled()) return;
  auto give_back = [&](SysPhysAddr spa) {
    const auto e = rmp.table().read(spa);
    if (!e.assigned || e.asid != asid_) return;
    if (e.page_size_2m) {
      const Pfn base(Pfn::of(spa).value & ~(hw::rmp::kPagesPer2MiB - 1));
      int rc;
      do rc = k_.snp().psmash(base);
      while (rc == host::PSMASH_FAIL_INUSE);
    }
    if (k_.snp().rmp_make_shared(Pfn::of(spa), host::PG_LEVEL_4K))
      k_.snp().snp_leak_pages(Pfn::of(spa), 1);
  };
  // The slots' entries read 256 at a time; only this guest's pages go back one by one (give_back
  // reads its entry again: a PSMASH of an earlier page changes the entries that follow it).
  std::array<hw::rmp::RmpEntry, 256> e;
  for (const MemSlot& s : mem_.slots())
    for (uint64_t off = 0; off < s.size; off += e.size() * kPageSize) {
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(e.size(), (s.size - off) / kPageSize));
      rmp.table().read_run(s.spa + off, std::span(e.data(), n));
      for (size_t i = 0; i < n; ++i)
        if (e[i].assigned && e[i].asid == asid_) give_back(s.spa + off + i * kPageSize);
    }
  for (VirtAddr v : vmsas_) give_back(k_.__pa(v));
  vmsas_.clear();
}

void KvmSnpVm::sev_vm_destroy() {
  if (!active_) return;
  if (snp_context_) {
    // snp_decommission_context(): DECOMMISSION also unbinds the ASID. "If it fails for some
    // unexpected reason, just leak the ASID."
    int error = 0;
    if (dev_.snp_decommission(gctx_paddr(), &error) != 0) {
      active_ = false;
      return;
    }
    dev_.snp_free_firmware_page(*snp_context_);
    snp_context_.reset();
  }
  reclaim_guest_pages();
  // Guest-tagged lines must not outlive the pages (sev_writeback_caches).
  host::wbinvd_on_all_cpus(k_.machine());
  sev_.sev_asid_free(asid_);
  active_ = false;
}

int KvmSnpVm::snp_guest_status(uint64_t* policy, unsigned* asid, uint8_t* state, int* error) {
  if (!snp_context_) return -EINVAL;
  auto page = k_.alloc_pages(0);
  if (!page) return -ENOMEM;
  host::sev_data_snp_guest_status d{};
  d.gctx_paddr = gctx_paddr();
  d.address = dev_.__psp_pa(*page);
  const int rc = dev_.snp_guest_status(&d, error);
  if (!rc) {
    uint8_t out[0x18] = {};
    k_.memcpy_from(*page, MutByteSpan(out, sizeof out));
    if (policy) *policy = load_le<uint64_t>(out);
    if (asid) *asid = load_le<uint32_t>(out + 8);
    if (state) *state = out[0x0C];
  }
  k_.free_pages(*page, 0);
  return rc;
}

}  // namespace cbit::sw::hv
