// KVM's SEV / SEV-ES layer (Linux arch/x86/kvm/svm/sev.c), over the host's PSP driver.
//
// KvmSev is the module-wide state (sev_hardware_setup, the ASID bitmaps): SEV-ES guests take
// ASIDs 1 .. min_sev_asid-1, SEV guests min_sev_asid .. max_sev_asid (CPUID Fn8000_001F ECX,
// EDX). A destroyed guest's ASID goes to the reclaim bitmap and is handed out again only after
// sev_flush_asids(): WBINVD on every core, then DF_FLUSH (the firmware refuses to ACTIVATE a
// dirty ASID).
//
// KvmSevVm is one VM's struct kvm_sev_info and its KVM_SEV_* commands. Each returns 0 or
// -errno as KVM does, and leaves the firmware's status in *error (argp->error).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"
#include "psp/digest/vmsa.h"
#include "sw/host/psp_sev.h"

namespace cbit::sw::host {
class SevDev;
class HostKernel;
}  // namespace cbit::sw::host

namespace cbit::sw::hv {

class VmMemory;

class KvmSev {
 public:
  // sev_hardware_setup(): CPUID Fn8000_001F through the CPU model.
  explicit KvmSev(host::SevDev& dev);

  bool sev_enabled() const { return sev_enabled_; }
  bool sev_es_enabled() const { return sev_es_enabled_; }
  unsigned min_sev_asid() const { return min_sev_asid_; }
  unsigned max_sev_asid() const { return max_sev_asid_; }

  // An ASID from the guest type's range, recycling reclaimed ones (with a flush) when the range
  // is exhausted. Returns the ASID, -ENOTTY when the type is not supported, -EBUSY when none is
  // free.
  int sev_asid_new(bool es);
  // The ASID goes to the reclaim bitmap (still unusable until the next flush).
  void sev_asid_free(unsigned asid);
  // wbinvd_on_all_cpus() + DF_FLUSH (under sev_deactivate_lock in Linux). 0, -EBUSY when nothing
  // in [min, max] is waiting, or the DF_FLUSH error.
  int sev_flush_asids(unsigned min_asid, unsigned max_asid);

  bool asid_in_use(unsigned asid) const { return asid < used_.size() && used_[asid]; }
  bool asid_reclaimable(unsigned asid) const { return asid < reclaim_.size() && reclaim_[asid]; }
  uint64_t flushes() const { return flushes_; }
  host::SevDev& dev() { return dev_; }

 private:
  bool sev_recycle_asids(unsigned min_asid, unsigned max_asid);

  host::SevDev& dev_;
  bool sev_enabled_ = false, sev_es_enabled_ = false;
  unsigned min_sev_asid_ = 0, max_sev_asid_ = 0;
  std::vector<bool> used_;     // sev_asid_bitmap (index = ASID)
  std::vector<bool> reclaim_;  // sev_reclaim_asid_bitmap
  uint64_t flushes_ = 0;
};

// One vCPU as LAUNCH_UPDATE_VMSA sees it: its VMSA page (svm->sev_es.vmsa, a kernel page the
// caller owns) and sev_es_sync_vmsa(): the save area KVM writes into that page before the
// firmware encrypts it. reset_vmsa() gives the reset state QEMU and KVM set up.
struct SevEsVcpu {
  VirtAddr vmsa;
  std::function<psp::digest::VmsaPage()> sync_vmsa;
};
SevEsVcpu reset_vmsa(VirtAddr vmsa_page, uint32_t eip, uint64_t vcpu_sig, psp::digest::VmmType vmm);

// struct kvm_sev_launch_start's blobs (the guest owner's DH certificate and session).
struct SevSessionBlobs {
  Bytes dh_cert;
  Bytes session;
};

class KvmSevVm {
 public:
  KvmSevVm(KvmSev& sev, VmMemory& mem);
  ~KvmSevVm();  // sev_vm_destroy() if still active
  KvmSevVm(const KvmSevVm&) = delete;
  KvmSevVm& operator=(const KvmSevVm&) = delete;

  // KVM_SEV_INIT / KVM_SEV_ES_INIT: an ASID, and the platform initialized on first use.
  int sev_guest_init(bool es, int* error);
  // KVM_SEV_LAUNCH_START: the blobs copied into kernel memory, LAUNCH_START, then
  // sev_bind_asid() (ACTIVATE); a failed ACTIVATE decommissions the new handle.
  // `share_handle`: 0 for a fresh VEK (struct kvm_sev_launch_start.handle).
  int sev_launch_start(uint32_t policy, const std::optional<SevSessionBlobs>& blobs, int* error,
                       uint32_t share_handle = 0);
  // KVM_SEV_LAUNCH_UPDATE_DATA over guest-physical [gpa, gpa+len): sev_clflush_pages() on
  // parts without SME_COHERENT, then one LAUNCH_UPDATE_DATA per physically contiguous stretch
  // with its address as __sme_page_pa() gives it (C-bit set under SME).
  int sev_launch_update_data(GuestPhysAddr gpa, uint64_t len, int* error);
  // KVM_SEV_LAUNCH_UPDATE_VMSA: for each vCPU, sev_es_sync_vmsa() writes the save area,
  // clflush_cache_range() on the page, LAUNCH_UPDATE_VMSA. -ENOTTY for a non-ES guest.
  int sev_launch_update_vmsa(const std::vector<SevEsVcpu>& vcpus, int* error);
  // KVM_SEV_LAUNCH_MEASURE (struct kvm_sev_launch_measure): *len == 0 asks the firmware for
  // the length it needs (the firmware answers INVALID_LEN, *len set, -EIO as in Linux);
  // otherwise the blob (measurement || MNONCE) lands in *out.
  int sev_launch_measure(Bytes* out, uint32_t* len, int* error);
  // KVM_SEV_LAUNCH_SECRET: the packet header and encrypted secret, injected at guest `gpa`.
  int sev_launch_secret(ByteSpan hdr, ByteSpan trans, GuestPhysAddr gpa, int* error);
  int sev_launch_finish(int* error);
  // KVM_SEV_GUEST_STATUS.
  int sev_guest_status(host::sev_data_guest_status* status, int* error);
  // KVM_SEV_DBG_DECRYPT / _ENCRYPT through a kernel bounce page (16-byte granules; an
  // unaligned encrypt decrypts the covering blocks first, as sev_dbg_crypt does).
  int sev_dbg_decrypt(GuestPhysAddr gpa, MutByteSpan out, int* error);
  int sev_dbg_encrypt(GuestPhysAddr gpa, ByteSpan in, int* error);
  // sev_vm_destroy(): WBINVD on all CPUs (guest-tagged lines must not outlive the pages),
  // DEACTIVATE, DECOMMISSION, the ASID to the reclaim bitmap.
  void sev_vm_destroy();

  bool active() const { return active_; }
  bool es_active() const { return es_active_; }
  unsigned asid() const { return asid_; }
  uint32_t handle() const { return handle_; }
  VmMemory& memory() { return mem_; }

 private:
  int issue(host::SevCmd cmd, Bytes& data, int* error);
  template <typename T>
  int issue(host::SevCmd cmd, T* data, int* error);
  void sev_clflush_pages(VirtAddr va, uint64_t len);
  int sev_bind_asid(uint32_t handle, int* error);
  void sev_unbind_asid();
  int dbg_crypt_page(GuestPhysAddr gpa, uint8_t* data, uint64_t len, bool encrypt, int* error);

  KvmSev& sev_;
  host::SevDev& dev_;
  host::HostKernel& k_;
  VmMemory& mem_;
  bool active_ = false, es_active_ = false;
  unsigned asid_ = 0;
  uint32_t handle_ = 0;
};

}  // namespace cbit::sw::hv
