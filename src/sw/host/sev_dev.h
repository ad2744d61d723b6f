// The host's PSP driver for the SEV firmware (Linux drivers/crypto/ccp/sev-dev.c).
//
// A command goes as Linux sends it: the struct is copied into the driver's command-buffer page
// (kernel memory, encrypted with the host key when SME is active), the page's address as
// __psp_pa() gives it (C-bit set under SME) is written to the mailbox, and after the firmware
// answers the page is copied back into the caller's struct, also on failure (the caller may
// want the firmware's output, e.g. the length LAUNCH_MEASURE asks for). A firmware error is
// -EIO with the status in *psp_ret, as in Linux.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"
#include "sw/host/psp_sev.h"
#include "sw/host/psp_sev_snp.h"

namespace cbit::hw {
class Machine;
}

namespace cbit::sw::host {

class HostKernel;

struct SevDevConfig {
  // Linux's init_ex_path module parameter: INIT_EX with a 32 KiB non-volatile buffer in kernel
  // memory instead of INIT.
  bool init_ex = false;
  // kvm-amd.ciphertext_hiding_asids (Linux 6.18): nonzero asks SNP_INIT_EX for ciphertext
  // hiding (CIPHERTEXT_HIDING_EN, MAX_SNP_ASID = this value).
  uint32_t ciphertext_hiding_asids = 0;
};

class SevDev {
 public:
  // sev_dev_init + sev_pci_init: the command-buffer page, the platform's API version
  // (PLATFORM_STATUS), and the SEV-ES TMR when the CPU has SEV-ES (CPUID Fn8000_001F EAX[3]).
  SevDev(HostKernel& kernel, hw::Machine& m, SevDevConfig cfg = {});
  ~SevDev();
  SevDev(const SevDev&) = delete;
  SevDev& operator=(const SevDev&) = delete;

  // data: the serialized struct (sev_data_bytes), sev_cmd_buffer_len(cmd) bytes; empty for the
  // commands without a buffer. Returns 0, -EINVAL (wrong buffer size for the command) or -EIO
  // (firmware error; *psp_ret = the status). *psp_ret is set whenever the firmware ran.
  int sev_do_cmd(SevCmd cmd, Bytes& data, int* psp_ret);
  // The same for a struct: serialized in, copied back out.
  template <typename T>
  int sev_do_cmd(SevCmd cmd, T* data, int* psp_ret) {
    Bytes b = sev_data_bytes(*data);
    const int rc = sev_do_cmd(cmd, b, psp_ret);
    *data = sev_data_from<T>(b);
    return rc;
  }

  // __sev_platform_init_locked: INIT (or INIT_EX) with the TMR and SEV_INIT_FLAGS_SEV_ES when
  // there is one, then WBINVD on every core and DF_FLUSH (every ASID starts dirty). 0 when the
  // platform is already initialized.
  int sev_platform_init(int* error);
  int sev_platform_shutdown(int* error);
  int sev_platform_status(sev_user_data_status* data, int* error);
  int sev_guest_df_flush(int* error);
  int sev_guest_decommission(sev_data_decommission* data, int* error);
  int sev_guest_activate(sev_data_activate* data, int* error);
  int sev_guest_deactivate(sev_data_deactivate* data, int* error);

  // --- SEV-SNP (sev-dev.c, Linux 6.9; sev_dev_snp.cc) ---
  // __sev_snp_init_locked: VM_HSAVE_PA cleared on every core, WBINVD, SNP_INIT_EX with
  // INIT_RMP and the list of reserved ranges (HV_Fixed), WBINVD, SNP_DF_FLUSH. 0 (also when
  // the host has no SNP: nothing to do) or the firmware error. sev_platform_init() runs it first
  // on an SNP host: SNP_INIT must precede SEV INIT (SNP-FACTS.md 2.3).
  int snp_platform_init(int* error);

  bool snp_initialized() const { return snp_initialized_; }
  // SNP_INIT_EX enabled ciphertext hiding (SevDevConfig::ciphertext_hiding_asids).
  bool snp_ciphertext_hiding() const { return snp_initialized_ && cfg_.ciphertext_hiding_asids; }
  // SNP_PLATFORM_STATUS into a page in firmware state, reclaimed afterwards (before SNP_INIT:
  // a plain page).
  int snp_platform_status(sev_user_data_snp_status* data, int* error);
  // __sev_snp_shutdown_locked: SNP_SHUTDOWN_EX.
  int snp_shutdown(int* error);
  int snp_df_flush(int* error);
  // Firmware pages (snp_alloc_firmware_page / snp_free_firmware_page): a kernel page made
  // Firmware-owned in the RMP; freeing reclaims it (SNP_PAGE_RECLAIM, rmp_make_shared) and
  // leaks it when that fails, as Linux does. Without SNP: a plain page.
  std::optional<VirtAddr> snp_alloc_firmware_page();
  void snp_free_firmware_page(VirtAddr page);
  // snp_reclaim_pages(): 0 or the error; pages not reclaimed are leaked.
  int snp_reclaim_pages(SysPhysAddr paddr, unsigned npages);
  // The SNP commands KVM sends, each sev_do_cmd() over its struct.
  int snp_gctx_create(uint64_t gctx_paddr, int* error);
  int snp_decommission(uint64_t gctx_paddr, int* error);
  int snp_activate(sev_data_snp_activate* data, int* error);
  int snp_launch_start(sev_data_snp_launch_start* data, int* error);
  int snp_launch_update(sev_data_snp_launch_update* data, int* error);
  int snp_launch_finish(sev_data_snp_launch_finish* data, int* error);
  int snp_page_reclaim(uint64_t paddr, int* error);
  int snp_guest_status(sev_data_snp_guest_status* data, int* error);
  uint8_t snp_api_major() const { return snp_api_major_; }
  uint8_t snp_api_minor() const { return snp_api_minor_; }
  uint32_t snp_build() const { return snp_build_; }

  // __psp_pa(): the physical address of a kernel buffer as the PSP must see it (__sme_pa: the
  // C-bit set when SME is active).
  uint64_t __psp_pa(VirtAddr va) const;

  sev_state state() const { return state_; }
  std::optional<SysPhysAddr> sev_es_tmr() const { return tmr_; }
  uint8_t api_major() const { return api_major_; }
  uint8_t api_minor() const { return api_minor_; }
  uint8_t build() const { return build_; }
  HostKernel& kernel() { return k_; }
  hw::Machine& machine() { return m_; }
  // Commands sent (for tests and the CLI's transcript): "LAUNCH_START -> SUCCESS".
  const std::vector<std::string>& log() const { return log_; }
  uint64_t commands() const { return commands_; }

 private:
  void sev_get_api_version();
  void dev_info(std::string line);  // log_ and the kernel's log, with the ccp device prefix
  void allocate_tmr();
  void free_tmr();

  HostKernel& k_;
  hw::Machine& m_;
  SevDevConfig cfg_;
  VirtAddr cmd_buf_;
  std::optional<SysPhysAddr> tmr_;
  uint64_t tmr_size_ = 0;
  bool snp_initialized_ = false;
  uint8_t snp_api_major_ = 0, snp_api_minor_ = 0;
  uint32_t snp_build_ = 0;
  std::optional<VirtAddr> init_ex_buffer_;
  sev_state state_ = SEV_STATE_UNINIT;
  uint8_t api_major_ = 0, api_minor_ = 0, build_ = 0;
  std::vector<std::string> log_;
  uint64_t commands_ = 0;
};

}  // namespace cbit::sw::host
