#include "sw/hv/kvm_sev.h"

#include <algorithm>
#include <cerrno>

#include "hw/machine.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/host/smp.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv {

using host::SevCmd;

namespace {

constexpr uint32_t SEV_FW_BLOB_MAX_SIZE = 0x4000;  // arch/x86/kvm/svm/sev.c

unsigned get_order(uint64_t size) {
  unsigned order = 0;
  while ((kPageSize << order) < size) ++order;
  return order;
}

// psp_copy_user_blob(): a kernel copy of a blob the firmware will read, freed on scope exit.
class KernelBlob {
 public:
  KernelBlob(host::HostKernel& k, ByteSpan data) : k_(k), order_(get_order(data.size())) {
    auto va = k_.alloc_pages(order_);
    if (va) {
      va_ = *va;
      k_.memcpy_to(va_, data);
    }
  }
  ~KernelBlob() {
    if (ok()) k_.free_pages(va_, order_);
  }
  KernelBlob(const KernelBlob&) = delete;
  KernelBlob& operator=(const KernelBlob&) = delete;
  bool ok() const { return va_.value != 0; }
  VirtAddr va() const { return va_; }

 private:
  host::HostKernel& k_;
  unsigned order_;
  VirtAddr va_;
};

// A guest-physical range as the pinned pages sev_pin_memory() returns: each stretch is
// host-physically contiguous. Pinning faults the pages in (get_user_pages() with FOLL_WRITE).
struct Stretch {
  VirtAddr hva;
  SysPhysAddr spa;
  uint64_t len;
};

bool pin(VmMemory& mem, GuestPhysAddr gpa, uint64_t len, std::vector<Stretch>* out) {
  if (gpa.value + len < gpa.value) return false;
  for (uint64_t done = 0; done < len; done += kPageSize)
    if (!mem.slot_of(gpa + done)) return false;
  if (len && !mem.slot_of(gpa + (len - 1))) return false;
  mem.fault_in(gpa, len);
  for (uint64_t done = 0; done < len;) {
    const GuestPhysAddr a = gpa + done;
    const MemSlot* s = mem.slot_of(a);
    if (!s) return false;
    const uint64_t off = a.value - s->gpa.value;
    const uint64_t n = std::min(len - done, s->size - off);
    out->push_back({s->hva + off, s->spa + off, n});
    done += n;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// KvmSev: module-wide state.

KvmSev::KvmSev(host::SevDev& dev) : dev_(dev) {
  const auto& f = dev.machine().cpu_model().fn8000_001f;
  // sev_hardware_setup(): no SEV without the feature bit or without ASIDs.
  if (!f.has(hw::SevFeature::Sev)) return;
  max_sev_asid_ = f.num_encrypted_guests();
  min_sev_asid_ = f.min_sev_asid();
  if (max_sev_asid_ == 0) return;
  used_.assign(max_sev_asid_ + 1, false);
  reclaim_.assign(max_sev_asid_ + 1, false);
  // "min ASID can end up larger than the max if basic SEV support is effectively disabled by
  // disallowing use of ASIDs for SEV guests".
  sev_enabled_ = min_sev_asid_ >= 1 && min_sev_asid_ <= max_sev_asid_;
  // "Has the system been allocated ASIDs for SEV-ES?" (min_sev_asid == 1: none.)
  sev_es_enabled_ = f.has(hw::SevFeature::SevEs) && min_sev_asid_ > 1;
}

int KvmSev::sev_asid_new(bool es) {
  if (es ? !sev_es_enabled_ : !sev_enabled_) return -ENOTTY;
  const unsigned min_asid = es ? 1 : min_sev_asid_;
  const unsigned max_asid = es ? min_sev_asid_ - 1 : max_sev_asid_;
  for (bool retry = true;;) {
    for (unsigned a = min_asid; a <= max_asid; ++a) {
      if (!used_[a]) {
        used_[a] = true;
        return static_cast<int>(a);
      }
    }
    if (retry && sev_recycle_asids(min_asid, max_asid)) {
      retry = false;
      continue;
    }
    return -EBUSY;
  }
}

void KvmSev::sev_asid_free(unsigned asid) {
  if (asid == 0 || asid >= reclaim_.size()) return;
  reclaim_[asid] = true;
}

int KvmSev::sev_flush_asids(unsigned min_asid, unsigned max_asid) {
  bool any = false;
  for (unsigned a = min_asid; a <= max_asid && a < reclaim_.size(); ++a) any = any || reclaim_[a];
  if (!any) return -EBUSY;
  // "DEACTIVATE will clear the WBINVD indicator causing DF_FLUSH to fail, so it must be
  // guarded" (sev_deactivate_lock; the model runs one command at a time).
  host::wbinvd_on_all_cpus(dev_.machine());
  int error = 0;
  // With SNP initialised the flush is SNP_DF_FLUSH (it covers SEV and SEV-ES ASIDs too).
  const int ret =
      dev_.snp_initialized() ? dev_.snp_df_flush(&error) : dev_.sev_guest_df_flush(&error);
  ++flushes_;
  return ret;
}

// __sev_recycle_asids(): the flush cleans every reclaimable ASID, SEV and SEV-ES alike.
bool KvmSev::sev_recycle_asids(unsigned min_asid, unsigned max_asid) {
  if (sev_flush_asids(min_asid, max_asid) != 0) return false;
  for (size_t a = 0; a < reclaim_.size(); ++a) {
    if (reclaim_[a]) used_[a] = false;
    reclaim_[a] = false;
  }
  return true;
}

SevEsVcpu reset_vmsa(VirtAddr vmsa_page, uint32_t eip, uint64_t vcpu_sig,
                     psp::digest::VmmType vmm) {
  return {vmsa_page, [=] { return psp::digest::build_vmsa(eip, 0, vcpu_sig, vmm); }};
}

// ---------------------------------------------------------------------------------------------
// KvmSevVm: one VM.

KvmSevVm::KvmSevVm(KvmSev& sev, VmMemory& mem)
    : sev_(sev), dev_(sev.dev()), k_(dev_.kernel()), mem_(mem) {}

KvmSevVm::~KvmSevVm() { sev_vm_destroy(); }

int KvmSevVm::issue(SevCmd cmd, Bytes& data, int* error) {
  return dev_.sev_do_cmd(cmd, data, error);
}

template <typename T>
int KvmSevVm::issue(SevCmd cmd, T* data, int* error) {
  return dev_.sev_do_cmd(cmd, data, error);
}

int KvmSevVm::sev_guest_init(bool es, int* error) {
  if (es ? !sev_.sev_es_enabled() : !sev_.sev_enabled()) return -ENOTTY;
  if (active_) return -EBUSY;
  active_ = true;
  es_active_ = es;
  const int asid = sev_.sev_asid_new(es);
  if (asid < 0) {
    active_ = es_active_ = false;
    return asid;
  }
  asid_ = static_cast<unsigned>(asid);
  const int ret = dev_.sev_platform_init(error);
  if (ret) {
    sev_.sev_asid_free(asid_);
    asid_ = 0;
    active_ = es_active_ = false;
    return ret;
  }
  return 0;
}

int KvmSevVm::sev_launch_start(uint32_t policy, const std::optional<SevSessionBlobs>& blobs,
                               int* error, uint32_t share_handle) {
  if (!active_) return -ENOTTY;
  host::sev_data_launch_start start{};
  std::optional<KernelBlob> dh, session;
  if (blobs) {
    if (blobs->dh_cert.empty() || blobs->session.empty()) return -EINVAL;
    dh.emplace(k_, blobs->dh_cert);
    session.emplace(k_, blobs->session);
    if (!dh->ok() || !session->ok()) return -ENOMEM;
    start.dh_cert_address = dev_.__psp_pa(dh->va());
    start.dh_cert_len = static_cast<uint32_t>(blobs->dh_cert.size());
    start.session_address = dev_.__psp_pa(session->va());
    start.session_len = static_cast<uint32_t>(blobs->session.size());
  }
  start.handle = share_handle;
  start.policy = policy;
  int ret = issue(SevCmd::LaunchStart, &start, error);
  if (ret) return ret;
  ret = sev_bind_asid(start.handle, error);
  if (ret) {
    host::sev_data_decommission d{start.handle};
    int e = 0;
    dev_.sev_guest_decommission(&d, &e);
    return ret;
  }
  handle_ = start.handle;
  return 0;
}

// sev_clflush_pages(): only parts without SME_COHERENT need it.
void KvmSevVm::sev_clflush_pages(VirtAddr va, uint64_t len) {
  auto& m = dev_.machine();
  if (m.cpu_model().fn8000_001f.has(hw::SevFeature::SmeCoherent)) return;
  const uint64_t first = va.value & ~(kPageSize - 1);
  const uint64_t end = (va.value + len + kPageSize - 1) & ~(kPageSize - 1);
  m.cpu().clflush_range(VirtAddr(first), end - first);
}

int KvmSevVm::sev_launch_update_data(GuestPhysAddr gpa, uint64_t len, int* error) {
  if (!active_) return -ENOTTY;
  if (len == 0) return -EINVAL;
  std::vector<Stretch> pages;
  if (!pin(mem_, gpa, len, &pages)) return -EFAULT;
  // "Flush (on non-coherent CPUs) before LAUNCH_UPDATE encrypts pages in place; the cache may
  // contain the data that was written unencrypted."
  for (const auto& s : pages) sev_clflush_pages(s.hva, s.len);
  host::sev_data_launch_update_data data{};
  data.handle = handle_;
  for (const auto& s : pages) {
    for (uint64_t done = 0; done < s.len;) {
      // The length field is a u32: very large stretches go in several commands.
      const uint64_t n = std::min<uint64_t>(s.len - done, 1ull << 30);
      data.address = (s.spa.value + done) | k_.sme_me_mask();  // __sme_page_pa() + offset
      data.len = static_cast<uint32_t>(n);
      if (int ret = issue(SevCmd::LaunchUpdateData, &data, error)) return ret;
      done += n;
    }
  }
  return 0;
}

int KvmSevVm::sev_launch_update_vmsa(const std::vector<SevEsVcpu>& vcpus, int* error) {
  if (!active_ || !es_active_) return -ENOTTY;
  auto& cpu = dev_.machine().cpu();
  for (const auto& v : vcpus) {
    if (v.vmsa.page_offset() != 0 || !v.sync_vmsa) return -EINVAL;
    // sev_es_sync_vmsa(): the save area into the VMSA page.
    const psp::digest::VmsaPage page = v.sync_vmsa();
    k_.memcpy_to(v.vmsa, page);
    // "The LAUNCH_UPDATE_VMSA command will perform in-place encryption of the VMSA memory
    // content (i.e it will write the same memory region with the guest's key), so invalidate
    // it first."
    cpu.clflush_range(v.vmsa, kPageSize);
    host::sev_data_launch_update_vmsa vmsa{};
    vmsa.handle = handle_;
    vmsa.address = dev_.__psp_pa(v.vmsa);
    vmsa.len = kPageSize;
    if (int ret = issue(SevCmd::LaunchUpdateVmsa, &vmsa, error)) return ret;
  }
  return 0;
}

int KvmSevVm::sev_launch_measure(Bytes* out, uint32_t* len, int* error) {
  if (!active_) return -ENOTTY;
  host::sev_data_launch_measure data{};
  std::optional<KernelBlob> blob;
  const uint32_t want = *len;
  if (want) {  // else: "User wants to query the blob length"
    if (want > SEV_FW_BLOB_MAX_SIZE) return -EINVAL;
    blob.emplace(k_, Bytes(want, 0));  // kzalloc
    if (!blob->ok()) return -ENOMEM;
    data.address = dev_.__psp_pa(blob->va());
    data.len = want;
  }
  data.handle = handle_;
  const int ret = issue(SevCmd::LaunchMeasure, &data, error);
  *len = data.len;
  if (!want || ret) return ret;
  out->assign(want, 0);
  k_.memcpy_from(blob->va(), *out);
  return 0;
}

int KvmSevVm::sev_launch_secret(ByteSpan hdr, ByteSpan trans, GuestPhysAddr gpa, int* error) {
  if (!active_) return -ENOTTY;
  if (hdr.empty() || trans.empty()) return -EINVAL;
  std::vector<Stretch> pages;
  if (!pin(mem_, gpa, trans.size(), &pages)) return -EFAULT;
  // "The secret must be copied into contiguous memory region".
  if (pages.size() != 1) return -EINVAL;
  sev_clflush_pages(pages[0].hva, pages[0].len);
  KernelBlob t(k_, trans), h(k_, hdr);
  if (!t.ok() || !h.ok()) return -ENOMEM;
  host::sev_data_launch_secret data{};
  data.guest_address = pages[0].spa.value | k_.sme_me_mask();
  data.guest_len = static_cast<uint32_t>(trans.size());
  data.trans_address = dev_.__psp_pa(t.va());
  data.trans_len = static_cast<uint32_t>(trans.size());
  data.hdr_address = dev_.__psp_pa(h.va());
  data.hdr_len = static_cast<uint32_t>(hdr.size());
  data.handle = handle_;
  return issue(SevCmd::LaunchSecret, &data, error);
}

int KvmSevVm::sev_launch_finish(int* error) {
  if (!active_) return -ENOTTY;
  host::sev_data_launch_finish data{handle_};
  return issue(SevCmd::LaunchFinish, &data, error);
}

int KvmSevVm::sev_guest_status(host::sev_data_guest_status* status, int* error) {
  if (!active_) return -ENOTTY;
  *status = {};
  status->handle = handle_;
  return issue(SevCmd::GuestStatus, status, error);
}

// __sev_dbg_decrypt / __sev_dbg_encrypt_user for a range inside one page.
int KvmSevVm::dbg_crypt_page(GuestPhysAddr gpa, uint8_t* data, uint64_t len, bool encrypt,
                             int* error) {
  std::vector<Stretch> pages;
  if (!pin(mem_, gpa, len, &pages) || pages.size() != 1) return -EFAULT;
  // "Flush (on non-coherent CPUs) before DBG_{DE,EN}CRYPT read or modify the pages".
  sev_clflush_pages(pages[0].hva, len);
  const uint64_t off = gpa.value & (kAesBlockSize - 1);
  const uint64_t n = (off + len + kAesBlockSize - 1) & ~(kAesBlockSize - 1);
  const uint64_t guest_pa = (pages[0].spa.value - off) | k_.sme_me_mask();
  KernelBlob bounce(k_, Bytes(kPageSize, 0));
  if (!bounce.ok()) return -ENOMEM;
  host::sev_data_dbg d{};
  d.handle = handle_;
  d.len = static_cast<uint32_t>(n);
  const bool partial = off != 0 || len % kAesBlockSize != 0;
  if (!encrypt || partial) {
    d.src_addr = guest_pa;
    d.dst_addr = dev_.__psp_pa(bounce.va());
    if (int ret = issue(SevCmd::DbgDecrypt, &d, error)) return ret;
  }
  if (!encrypt) {
    k_.memcpy_from(bounce.va() + off, MutByteSpan(data, len));
    return 0;
  }
  k_.memcpy_to(bounce.va() + off, ByteSpan(data, len));
  d.src_addr = dev_.__psp_pa(bounce.va());
  d.dst_addr = guest_pa;
  return issue(SevCmd::DbgEncrypt, &d, error);
}

int KvmSevVm::sev_dbg_decrypt(GuestPhysAddr gpa, MutByteSpan out, int* error) {
  if (!active_) return -ENOTTY;
  if (out.empty() || gpa.value + out.size() < gpa.value) return -EINVAL;
  for (uint64_t done = 0; done < out.size();) {
    const GuestPhysAddr a = gpa + done;
    const uint64_t n = std::min<uint64_t>(out.size() - done, kPageSize - a.page_offset());
    if (int ret = dbg_crypt_page(a, out.data() + done, n, false, error)) return ret;
    done += n;
  }
  return 0;
}

int KvmSevVm::sev_dbg_encrypt(GuestPhysAddr gpa, ByteSpan in, int* error) {
  if (!active_) return -ENOTTY;
  if (in.empty() || gpa.value + in.size() < gpa.value) return -EINVAL;
  Bytes copy(in.begin(), in.end());
  for (uint64_t done = 0; done < copy.size();) {
    const GuestPhysAddr a = gpa + done;
    const uint64_t n = std::min<uint64_t>(copy.size() - done, kPageSize - a.page_offset());
    if (int ret = dbg_crypt_page(a, copy.data() + done, n, true, error)) return ret;
    done += n;
  }
  return 0;
}

// sev_bind_asid(): "activate ASID on the given handle".
int KvmSevVm::sev_bind_asid(uint32_t handle, int* error) {
  host::sev_data_activate activate{handle, asid_};
  return dev_.sev_guest_activate(&activate, error);
}

// sev_unbind_asid(): DEACTIVATE (guarded against a concurrent WBINVD/DF_FLUSH in Linux), then
// sev_decommission().
void KvmSevVm::sev_unbind_asid() {
  if (!handle_) return;
  int error = 0;
  host::sev_data_deactivate deactivate{handle_};
  dev_.sev_guest_deactivate(&deactivate, &error);
  host::sev_data_decommission decommission{handle_};
  dev_.sev_guest_decommission(&decommission, &error);
}

void KvmSevVm::sev_vm_destroy() {
  if (!active_) return;
  // "Ensure that all guest tagged cache entries are flushed before releasing the pages back to
  // the system for use. CLFLUSH will not do this, so issue a WBINVD."
  host::wbinvd_on_all_cpus(dev_.machine());
  sev_unbind_asid();
  sev_.sev_asid_free(asid_);
  active_ = es_active_ = false;
  asid_ = 0;
  handle_ = 0;
}

}  // namespace cbit::sw::hv
