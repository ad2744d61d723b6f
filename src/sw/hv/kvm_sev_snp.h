// KVM's SEV-SNP VM (Linux arch/x86/kvm/svm/sev.c, 6.11, with guest_memfd; SNP-FACTS.md 2.3,
// 2.4, 2.6): one VM's SNP context and its KVM_SEV_SNP_* commands over the ccp driver.
//
//   KVM_SEV_INIT2 (vm type KVM_X86_SNP_VM): an ASID from the SEV-ES range (SNP guests share
//     it), the platform initialised (SNP_INIT_EX before INIT, sev_dev.h).
//   KVM_SEV_SNP_LAUNCH_START {policy, gosvw, flags}: KVM's policy checks (-EINVAL), the guest
//     context on a firmware page (SNP_GCTX_CREATE), SNP_LAUNCH_START, SNP_ACTIVATE.
//   KVM_SEV_SNP_LAUNCH_UPDATE {gfn_start, uaddr, len, type}: per 4 KiB page of the range
//     (which must be private in the memory attributes and still hypervisor-owned in the RMP):
//     the source copied into the guest_memfd page (no copy for ZERO), rmp_make_private(pfn,
//     gpa, 4K, asid, immutable), SNP_LAUNCH_UPDATE. A failed page goes back to the host
//     (SNP_PAGE_RECLAIM, rmp_make_shared); a refused CPUID page's corrected table is copied
//     back to the caller, as KVM does for userspace to report.
//   KVM_SEV_SNP_LAUNCH_FINISH {id_block, id_auth, host_data}: KVM measures every vCPU's VMSA
//     itself (sev_es_sync_vmsa, rmp_make_private at INITIAL_VMSA_GPA 0xFFFFFFFFF000, page type
//     VMSA), then SNP_LAUNCH_FINISH with the ID block and ID auth copied into kernel pages.
//   Teardown (sev_vm_destroy, sev_gmem_invalidate, sev_free_vcpu): SNP_DECOMMISSION (which
//     also unbinds the ASID), the context page reclaimed, every guest_memfd page and VMSA
//     still assigned made shared again (PSMASH first for a 2 MiB entry), caches written back,
//     the ASID to the reclaim bitmap (flushed with SNP_DF_FLUSH before reuse).
// Every command returns 0 or -errno and leaves the firmware status in *error.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"
#include "sw/hv/kvm_sev.h"

namespace cbit::sw::hv {

// KVM's uapi (arch/x86/include/uapi/asm/kvm.h).
inline constexpr uint32_t KVM_X86_SNP_VM = 4;
inline constexpr uint64_t INITIAL_VMSA_GPA = 0xFFFFFFFFF000ull;
inline constexpr size_t KVM_SEV_SNP_ID_BLOCK_SIZE = 96;
inline constexpr size_t KVM_SEV_SNP_ID_AUTH_SIZE = 4096;
inline constexpr size_t KVM_SEV_SNP_FINISH_DATA_SIZE = 32;
enum KvmSevSnpPageType : uint8_t {
  KVM_SEV_SNP_PAGE_TYPE_NORMAL = 1,
  KVM_SEV_SNP_PAGE_TYPE_ZERO = 3,
  KVM_SEV_SNP_PAGE_TYPE_UNMEASURED = 4,
  KVM_SEV_SNP_PAGE_TYPE_SECRETS = 5,
  KVM_SEV_SNP_PAGE_TYPE_CPUID = 6,
};
// SNP policy bits KVM accepts (SNP_POLICY_MASK_VALID) and the must-be-one bit 17.
inline constexpr uint64_t SNP_POLICY_MASK_SMT = 1ull << 16;
inline constexpr uint64_t SNP_POLICY_MASK_RSVD_MBO = 1ull << 17;
inline constexpr uint64_t SNP_POLICY_MASK_DEBUG = 1ull << 19;
inline constexpr uint64_t SNP_POLICY_MASK_SINGLE_SOCKET = 1ull << 20;
inline constexpr uint64_t SNP_POLICY_MASK_VALID = 0x1FFFFFull;
// Linux 6.18 (snp_supported_policy_bits): accepted once SNP_INIT_EX enabled ciphertext hiding.
inline constexpr uint64_t SNP_POLICY_MASK_CIPHERTEXT_HIDING_DRAM = 1ull << 24;

struct KvmSevSnpLaunchFinish {
  std::optional<Bytes> id_block;  // 96 bytes (id_block_en)
  std::optional<Bytes> id_auth;   // 4096 bytes
  bool auth_key_en = false;
  std::array<uint8_t, KVM_SEV_SNP_FINISH_DATA_SIZE> host_data{};
};

class KvmSnpVm {
 public:
  KvmSnpVm(KvmSev& sev, VmMemory& mem);
  ~KvmSnpVm();  // teardown if still active
  KvmSnpVm(const KvmSnpVm&) = delete;
  KvmSnpVm& operator=(const KvmSnpVm&) = delete;

  int sev_init2(int* error);
  int snp_launch_start(uint64_t policy, const std::array<uint8_t, 16>& gosvw, uint32_t flags,
                       int* error);
  // `src`: the caller's `len` bytes (uaddr); ignored for ZERO. On a refused CPUID page the
  // firmware's corrected table is copied back into *cpuid_out when given.
  int snp_launch_update(uint64_t gfn_start, ByteSpan src, uint64_t len, uint8_t type, int* error,
                        Bytes* cpuid_out = nullptr);
  int snp_launch_finish(const std::vector<SevEsVcpu>& vcpus, const KvmSevSnpLaunchFinish& p,
                        int* error);
  void sev_vm_destroy();
  // SNP_GUEST_STATUS through the ccp driver (KVM has no ioctl for it; the state a VMM's
  // query-sev shows): the guest's policy, ASID and state (SnpGuestState: 0 INIT, 1 LAUNCH,
  // 2 RUNNING) from the firmware's status page.
  int snp_guest_status(uint64_t* policy, unsigned* asid, uint8_t* state, int* error);

  // SNP_GUEST_REQUEST on the guest's behalf (snp_handle_guest_req; kvm_snp_guest_req.cc):
  // `request` (one page, the guest's encrypted message as KVM read it from the guest's shared
  // page) is copied into a hypervisor page, a response page is made Firmware-owned
  // (snp_alloc_firmware_page), the firmware runs, the response page is reclaimed
  // (SNP_PAGE_RECLAIM, back to Hypervisor state) and its page returned in *response. Returns 0,
  // -EIO with *fw_error set when the firmware refused (the response page is still returned: KVM
  // copies it to the guest either way), or -errno with *fw_error 0 for a host failure.
  int snp_guest_request(ByteSpan request, Bytes* response, int* fw_error);

  bool active() const { return active_; }
  unsigned asid() const { return asid_; }
  // The guest context page's address as the firmware sees it (__psp_pa), 0 before START.
  uint64_t gctx_paddr() const;
  VmMemory& memory() { return mem_; }

 private:
  int launch_update_page(SysPhysAddr spa, uint64_t gpa, uint8_t type, int* error);
  void reclaim_guest_pages();

  KvmSev& sev_;
  host::SevDev& dev_;
  host::HostKernel& k_;
  VmMemory& mem_;
  bool active_ = false;
  unsigned asid_ = 0;
  std::optional<VirtAddr> snp_context_;
  std::vector<VirtAddr> vmsas_;  // VMSA pages handed to the guest at LAUNCH_FINISH
};

}  // namespace cbit::sw::hv
