// The ccp driver's SEV-SNP half (drivers/crypto/ccp/sev-dev.c, Linux 6.9): platform
// initialisation and shutdown, firmware pages, and the SNP commands KVM issues. sev_dev.h has
// the contracts.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "hw/machine.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/host/smp.h"

namespace cbit::sw::host {

namespace {
constexpr uint32_t MSR_VM_HSAVE_PA = 0xC0010117;
constexpr const char* kCcpDev = "ccp 0000:02:00.2: ";  // the PSP function (kernel.cc)
}  // namespace

void SevDev::dev_info(std::string line) {
  log_.push_back(line);
  k_.pr_info(kCcpDev + line);
}

int SevDev::snp_df_flush(int* error) {
  Bytes none;
  return sev_do_cmd(SevCmd::SnpDfFlush, none, error);
}

int SevDev::snp_platform_init(int* error) {
  if (!k_.cc_platform_has(CcAttr::HostSevSnp) || snp_initialized_) return 0;
  // "SNP_INIT requires MSR_VM_HSAVE_PA to be cleared on all CPUs" (snp_set_hsave_pa). A core
  // without the MSR modelled has nothing to clear.
  for (unsigned c = 0; c < m_.cores(); ++c) {
    try {
      m_.cpu(c).wrmsr(MSR_VM_HSAVE_PA, 0);
    } catch (const std::exception&) {
    }
  }
  // The e820 ranges that are not the OS's RAM become HV_Fixed at INIT (snp_range_list): here
  // the BIOS's RMP reservation, which the firmware makes Firmware-owned anyway, is the only
  // one; Linux lists it all the same (walk_iomem_res_desc over IORES_DESC_NONE).
  auto list = k_.alloc_pages(0);
  if (!list) return -ENOMEM;
  Bytes page(kPageSize, 0);
  sev_data_range_list_hdr hdr{};
  const auto rmp = m_.bios_rmp();
  if (rmp) {
    hdr.num_elements = 1;
    sev_data_range r{};
    r.base = rmp->base;
    r.page_count = static_cast<uint32_t>((rmp->end + 1 - rmp->base) / kPageSize);
    std::memcpy(page.data() + sizeof hdr, &r, sizeof r);
  }
  std::memcpy(page.data(), &hdr, sizeof hdr);
  k_.memcpy_to(*list, page);
  sev_data_snp_init_ex data{};
  data.flags = SNP_INIT_EX_INIT_RMP | SNP_INIT_EX_LIST_PADDR_EN;
  data.list_paddr = __psp_pa(*list);
  if (cfg_.ciphertext_hiding_asids) {
    data.flags |= SNP_INIT_EX_CIPHERTEXT_HIDING_EN;
    data.max_snp_asid = static_cast<uint16_t>(cfg_.ciphertext_hiding_asids);
  }
  // "The following sequence must be issued before launching the first SNP guest to ensure all
  // dirty cache lines are flushed, including from updates to the RMP table itself via the
  // RMPUPDATE instruction: WBINVD on all running CPUs, SNP_INIT[_EX], WBINVD, SNP_DF_FLUSH."
  wbinvd_on_all_cpus(m_);
  int rc = sev_do_cmd(SevCmd::SnpInitEx, &data, error);
  k_.free_pages(*list, 0);
  if (rc) return rc;
  wbinvd_on_all_cpus(m_);
  rc = snp_df_flush(error);
  if (rc) return rc;
  snp_initialized_ = true;
  sev_user_data_snp_status st{};
  int err = 0;
  if (snp_platform_status(&st, &err) == 0) {
    snp_api_major_ = st.api_major;
    snp_api_minor_ = st.api_minor;
    snp_build_ = st.build_id;
  }
  dev_info(fmt::format("SEV-SNP API:{}.{} build:{}", snp_api_major_, snp_api_minor_, snp_build_));
  return 0;
}

int SevDev::snp_platform_status(sev_user_data_snp_status* out, int* error) {
  // "Firmware expects status page to be in firmware-owned state, otherwise it will report
  // firmware error code INVALID_PAGE_STATE".
  auto page = snp_initialized_ ? snp_alloc_firmware_page() : k_.alloc_pages(0);
  if (!page) return -ENOMEM;
  sev_data_snp_addr buf{__psp_pa(*page)};
  const int rc = sev_do_cmd(SevCmd::SnpPlatformStatus, &buf, error);
  int ret = rc;
  if (snp_initialized_) {
    // "Status page will be transitioned to Reclaim state upon success, or left in Firmware
    // state in failure. Use snp_reclaim_pages() to transition either case back to
    // Hypervisor-owned state."
    if (snp_reclaim_pages(k_.__pa(*page), 1) != 0) return -EFAULT;
  }
  if (rc == 0) {
    Bytes b(sizeof(sev_user_data_snp_status));
    k_.memcpy_from(*page, b);
    *out = sev_data_from<sev_user_data_snp_status>(b);
  }
  k_.free_pages(*page, 0);
  return ret;
}

int SevDev::snp_shutdown(int* error) {
  if (!snp_initialized_) return 0;
  sev_data_snp_shutdown_ex data{};
  data.len = sizeof(data);
  const int rc = sev_do_cmd(SEV_CMD_SNP_SHUTDOWN_EX, &data, error);
  if (rc == 0) snp_initialized_ = false;
  return rc;
}

std::optional<VirtAddr> SevDev::snp_alloc_firmware_page() {
  auto page = k_.alloc_pages(0);
  if (!page || !snp_initialized_) return page;
  if (k_.snp().rmp_mark_pages_firmware(k_.__pa(*page), 1)) {
    k_.free_pages(*page, 0);
    return std::nullopt;
  }
  return page;
}

void SevDev::snp_free_firmware_page(VirtAddr page) {
  if (snp_initialized_ && snp_reclaim_pages(k_.__pa(page), 1) != 0) return;  // leaked
  k_.free_pages(page, 0);
}

int SevDev::snp_reclaim_pages(SysPhysAddr paddr, unsigned npages) {
  uint64_t pa = paddr.value & ~(kPageSize - 1) & ~k_.sme_me_mask();
  for (unsigned i = 0; i < npages; ++i, pa += kPageSize) {
    int err = 0;
    int rc = snp_page_reclaim(pa, &err);
    if (rc == 0) rc = k_.snp().rmp_make_shared(Pfn(pa >> kPageShift), PG_LEVEL_4K);
    if (rc) {
      // "If there was a failure reclaiming the page then it is no longer safe to release it
      // back to the system; leak it instead."
      k_.snp().snp_leak_pages(Pfn(pa >> kPageShift), npages - i);
      return rc;
    }
  }
  return 0;
}

int SevDev::snp_gctx_create(uint64_t gctx_paddr, int* error) {
  sev_data_snp_addr d{gctx_paddr};
  return sev_do_cmd(SevCmd::SnpGctxCreate, &d, error);
}

int SevDev::snp_decommission(uint64_t gctx_paddr, int* error) {
  sev_data_snp_addr d{gctx_paddr};
  return sev_do_cmd(SevCmd::SnpDecommission, &d, error);
}

int SevDev::snp_activate(sev_data_snp_activate* data, int* error) {
  return sev_do_cmd(SevCmd::SnpActivate, data, error);
}

int SevDev::snp_launch_start(sev_data_snp_launch_start* data, int* error) {
  return sev_do_cmd(SevCmd::SnpLaunchStart, data, error);
}

int SevDev::snp_launch_update(sev_data_snp_launch_update* data, int* error) {
  return sev_do_cmd(SevCmd::SnpLaunchUpdate, data, error);
}

int SevDev::snp_launch_finish(sev_data_snp_launch_finish* data, int* error) {
  return sev_do_cmd(SevCmd::SnpLaunchFinish, data, error);
}

int SevDev::snp_page_reclaim(uint64_t paddr, int* error) {
  sev_data_snp_page_reclaim d{paddr};
  return sev_do_cmd(SevCmd::SnpPageReclaim, &d, error);
}

int SevDev::snp_guest_status(sev_data_snp_guest_status* data, int* error) {
  return sev_do_cmd(SevCmd::SnpGuestStatus, data, error);
}

}  // namespace cbit::sw::host
