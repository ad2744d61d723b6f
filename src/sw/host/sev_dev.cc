#include "sw/host/sev_dev.h"

#include <fmt/format.h>

#include <cerrno>

#include "common/trace.h"
#include "hw/machine.h"
#include "hw/psp/sev/snp_api.h"
#include "sw/host/kernel.h"
#include "sw/host/smp.h"

namespace cbit::sw::host {

namespace sev = hw::psp::sev;

int sev_cmd_buffer_len(SevCmd cmd) {
  switch (cmd) {
    case SevCmd::Init:
      return sizeof(sev_data_init);
    case SevCmd::InitEx:
      return sizeof(sev_data_init_ex);
    case SevCmd::PlatformStatus:
      return sizeof(sev_user_data_status);
    case SevCmd::GetId:
      return sizeof(sev_data_get_id);
    case SevCmd::Decommission:
      return sizeof(sev_data_decommission);
    case SevCmd::Activate:
      return sizeof(sev_data_activate);
    case SevCmd::Deactivate:
      return sizeof(sev_data_deactivate);
    case SevCmd::GuestStatus:
      return sizeof(sev_data_guest_status);
    case SevCmd::LaunchStart:
      return sizeof(sev_data_launch_start);
    case SevCmd::LaunchUpdateData:
      return sizeof(sev_data_launch_update_data);
    case SevCmd::LaunchUpdateVmsa:
      return sizeof(sev_data_launch_update_vmsa);
    case SevCmd::LaunchMeasure:
      return sizeof(sev_data_launch_measure);
    case SevCmd::LaunchSecret:
      return sizeof(sev_data_launch_secret);
    case SevCmd::LaunchFinish:
      return sizeof(sev_data_launch_finish);
    case SevCmd::DbgDecrypt:
    case SevCmd::DbgEncrypt:
      return sizeof(sev_data_dbg);
    case SevCmd::Shutdown:
    case SevCmd::DfFlush:
    case SevCmd::SnpDfFlush:
    case SevCmd::SnpInit:
      return 0;
    case SevCmd::SnpInitEx:
      return sizeof(sev_data_snp_init_ex);
    case SevCmd::SnpPlatformStatus:
    case SevCmd::SnpGctxCreate:
    case SevCmd::SnpDecommission:
      return sizeof(sev_data_snp_addr);
    case SevCmd::SnpActivate:
      return sizeof(sev_data_snp_activate);
    case SevCmd::SnpLaunchStart:
      return sizeof(sev_data_snp_launch_start);
    case SevCmd::SnpLaunchUpdate:
      return sizeof(sev_data_snp_launch_update);
    case SevCmd::SnpLaunchFinish:
      return sizeof(sev_data_snp_launch_finish);
    case SevCmd::SnpPageReclaim:
    case SevCmd::SnpPageUnsmash:
      return sizeof(sev_data_snp_page_reclaim);
    case SevCmd::SnpGuestStatus:
      return sizeof(sev_data_snp_guest_status);
    case SevCmd::SnpGuestRequest:
      return sizeof(sev_data_snp_guest_request);
    case SevCmd::SnpDbgDecrypt:
    case SevCmd::SnpDbgEncrypt:
      return sizeof(sev_data_snp_dbg);
    case SevCmd::SnpShutdownEx:
      return sizeof(sev_data_snp_shutdown_ex);
    case SevCmd::SnpConfig:  // struct sev_user_data_snp_config (SNP_SET_CONFIG)
      return static_cast<int>(sev::kSnpConfigLen);
    default:
      return -1;
  }
}

namespace {
// get_order(): the smallest order whose block holds `size` bytes.
unsigned get_order(uint64_t size) {
  unsigned order = 0;
  while ((kPageSize << order) < size) ++order;
  return order;
}
constexpr unsigned kCmdBufOrder = 1;  // devm_get_free_pages(dev, GFP_KERNEL, 1)
}  // namespace

SevDev::SevDev(HostKernel& kernel, hw::Machine& m, SevDevConfig cfg)
    : k_(kernel), m_(m), cfg_(cfg) {
  auto buf = k_.alloc_pages(kCmdBufOrder);
  if (!buf) throw InputError("sev-dev: out of memory for the command buffer");
  cmd_buf_ = *buf;
  sev_get_api_version();
  // sev_pci_init: the SEV-ES trusted memory region, when the CPU can run SEV-ES guests. On an
  // SNP host it is allocated after SNP_INIT, 2 MiB and in firmware state (sev_platform_init).
  if (!k_.cc_platform_has(CcAttr::HostSevSnp)) allocate_tmr();
  if (cfg_.init_ex) {
    auto nv = k_.alloc_pages(get_order(NV_LENGTH));
    if (!nv) throw InputError("sev-dev: out of memory for the INIT_EX NV buffer");
    init_ex_buffer_ = *nv;
    const Bytes zero(NV_LENGTH, 0);
    k_.memcpy_to(*nv, zero);
  }
}

SevDev::~SevDev() {
  // sev_firmware_shutdown: the platform gives the TMR back before the pages are freed.
  if (state_ != SEV_STATE_UNINIT) {
    int error = 0;
    sev_platform_shutdown(&error);
  }
  free_tmr();
  if (snp_initialized_) {
    int error = 0;
    snp_shutdown(&error);
  }
  if (init_ex_buffer_) k_.free_pages(*init_ex_buffer_, get_order(NV_LENGTH));
  k_.free_pages(cmd_buf_, kCmdBufOrder);
}

void SevDev::allocate_tmr() {
  if (tmr_ || !m_.cpu_model().fn8000_001f.has(hw::SevFeature::SevEs)) return;
  const uint64_t size = snp_initialized_ ? SNP_TMR_SIZE : SEV_ES_TMR_SIZE;
  // The buddy allocator aligns a block to its size, as the firmware requires (1 MiB; 2 MiB
  // with SNP).
  auto tmr = k_.alloc_pages(get_order(size));
  if (!tmr) {
    log_.push_back("SEV: TMR allocation failed, SEV-ES support unavailable");
    return;
  }
  // "Must flush the cache before giving it to the firmware" (clflush_cache_range).
  m_.cpu().clflush_range(*tmr, size);
  // sev_fw_alloc(): with SNP the TMR's pages are firmware pages.
  if (snp_initialized_ &&
      k_.snp().rmp_mark_pages_firmware(k_.__pa(*tmr), static_cast<unsigned>(size / kPageSize))) {
    k_.free_pages(*tmr, get_order(size));
    log_.push_back("SEV: TMR allocation failed, SEV-ES support unavailable");
    return;
  }
  tmr_ = k_.__pa(*tmr);
  tmr_size_ = size;
}

void SevDev::free_tmr() {
  if (!tmr_) return;
  const unsigned order = get_order(tmr_size_);
  if (snp_initialized_) {
    // __snp_free_firmware_pages(): reclaimed pages go back; the rest leak.
    if (snp_reclaim_pages(*tmr_, static_cast<unsigned>(tmr_size_ / kPageSize)) != 0) {
      tmr_.reset();
      return;
    }
  }
  k_.free_pages(k_.__va(*tmr_), order);
  tmr_.reset();
}

uint64_t SevDev::__psp_pa(VirtAddr va) const { return k_.__pa(va).value | k_.sme_me_mask(); }

// __sev_do_cmd_locked.
int SevDev::sev_do_cmd(SevCmd cmd, Bytes& data, int* psp_ret) {
  const int len = sev_cmd_buffer_len(cmd);
  if (len < 0 || data.size() != static_cast<size_t>(len)) return -EINVAL;
  if (!data.empty()) k_.memcpy_to(cmd_buf_, data);
  // phys_lsb/msb = data ? __psp_pa(sev->cmd_buf) : 0
  const uint64_t paddr = data.empty() ? 0 : __psp_pa(cmd_buf_);
  const std::string span_name =
      trace::on() ? fmt::format("sev_do_cmd({})", sev::name(cmd)) : std::string();
  trace::Span span(trace::track::kHostKernel, "psp", span_name);
  const sev::SevStatus st = m_.sev_firmware().execute(static_cast<uint32_t>(cmd), paddr);
  ++commands_;
  if (psp_ret) *psp_ret = static_cast<int>(st);
  // "Copy potential output from the PSP back to data. Do this even on failure in case the
  // caller wants to glean something from the error."
  if (!data.empty()) k_.memcpy_from(cmd_buf_, data);
  if (st != sev::SevStatus::Success) {
    log_.push_back(
        fmt::format("{} -> {:#x} {}", sev::name(cmd), static_cast<uint32_t>(st), sev::name(st)));
    return -EIO;
  }
  return 0;
}

// sev_get_api_version: PLATFORM_STATUS answers in every state.
void SevDev::sev_get_api_version() {
  sev_user_data_status status{};
  int error = 0;
  if (sev_platform_status(&status, &error) != 0) return;
  api_major_ = status.api_major;
  api_minor_ = status.api_minor;
  build_ = status.build;
  state_ = static_cast<sev_state>(status.state);
}

int SevDev::sev_platform_init(int* error) {
  if (state_ == SEV_STATE_INIT || state_ == SEV_STATE_WORKING) return 0;
  // _sev_platform_init_locked: SNP first; its failure leaves SEV usable.
  if (k_.cc_platform_has(CcAttr::HostSevSnp) && !snp_initialized_) {
    int snp_error = 0;
    if (int rc = snp_platform_init(&snp_error))
      dev_info(fmt::format("SEV-SNP: failed to INIT rc {}, error {:#x}", rc, snp_error));
  }
  allocate_tmr();
  int rc;
  if (cfg_.init_ex) {
    sev_data_init_ex data{};
    data.length = sizeof(data);
    data.nv_address = __psp_pa(*init_ex_buffer_);
    data.nv_len = NV_LENGTH;
    if (tmr_) {
      // "Do not include the encryption mask on the physical address of the TMR (firmware
      // should clear it anyway)."
      data.tmr_address = tmr_->value;
      data.flags |= SEV_INIT_FLAGS_SEV_ES;
      data.tmr_len = static_cast<uint32_t>(tmr_size_);
    }
    rc = sev_do_cmd(SevCmd::InitEx, &data, error);
  } else {
    sev_data_init data{};
    if (tmr_) {
      data.tmr_address = tmr_->value;
      data.flags |= SEV_INIT_FLAGS_SEV_ES;
      data.tmr_len = static_cast<uint32_t>(tmr_size_);
    }
    rc = sev_do_cmd(SevCmd::Init, &data, error);
  }
  if (rc) return rc;
  state_ = SEV_STATE_INIT;
  // "Prepare for first SEV guest launch after INIT."
  wbinvd_on_all_cpus(m_);
  rc = sev_guest_df_flush(error);
  if (rc) return rc;
  log_.push_back(fmt::format("SEV API:{}.{} build:{}", api_major_, api_minor_, build_));
  return 0;
}

int SevDev::sev_platform_shutdown(int* error) {
  Bytes none;
  const int rc = sev_do_cmd(SevCmd::Shutdown, none, error);
  if (rc == 0) state_ = SEV_STATE_UNINIT;
  return rc;
}

int SevDev::sev_platform_status(sev_user_data_status* data, int* error) {
  return sev_do_cmd(SevCmd::PlatformStatus, data, error);
}

int SevDev::sev_guest_df_flush(int* error) {
  Bytes none;
  return sev_do_cmd(SevCmd::DfFlush, none, error);
}

int SevDev::sev_guest_decommission(sev_data_decommission* data, int* error) {
  return sev_do_cmd(SevCmd::Decommission, data, error);
}

int SevDev::sev_guest_activate(sev_data_activate* data, int* error) {
  return sev_do_cmd(SevCmd::Activate, data, error);
}

int SevDev::sev_guest_deactivate(sev_data_deactivate* data, int* error) {
  return sev_do_cmd(SevCmd::Deactivate, data, error);
}

}  // namespace cbit::sw::host
