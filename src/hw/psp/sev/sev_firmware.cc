#include "hw/psp/sev/sev_firmware.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include "common/trace.h"
#include "hw/cache/cache.h"
#include "hw/psp/secure_processor.h"

namespace cbit::hw::psp::sev {
namespace {

// How each command's buffer travels (ASPFW sev_dispatch.c master_handler_table).
enum class BufType { None, In, Out, InOut, InOutError };

struct CmdInfo {
  SevCmd cmd;
  uint32_t size;  // sizeof the Linux struct sev_data_* (packed)
  BufType type;
};

constexpr CmdInfo kTable[] = {
    {SevCmd::Init, 20, BufType::In},            // sev_data_init
    {SevCmd::InitEx, kInitExLen, BufType::In},  // sev_data_init_ex
    {SevCmd::Shutdown, 0, BufType::None},
    {SevCmd::PlatformStatus, 12, BufType::Out},  // sev_user_data_status
    {SevCmd::DfFlush, 0, BufType::None},
    {SevCmd::GetId, 12, BufType::InOutError},          // sev_data_get_id
    {SevCmd::Decommission, 4, BufType::In},            // sev_data_decommission
    {SevCmd::Activate, 8, BufType::In},                // sev_data_activate
    {SevCmd::Deactivate, 4, BufType::In},              // sev_data_deactivate
    {SevCmd::GuestStatus, 13, BufType::InOut},         // sev_data_guest_status
    {SevCmd::LaunchStart, 36, BufType::InOut},         // sev_data_launch_start
    {SevCmd::LaunchUpdateData, 20, BufType::In},       // sev_data_launch_update_data
    {SevCmd::LaunchUpdateVmsa, 20, BufType::In},       // sev_data_launch_update_vmsa
    {SevCmd::LaunchMeasure, 20, BufType::InOutError},  // sev_data_launch_measure
    {SevCmd::LaunchSecret, 52, BufType::In},           // sev_data_launch_secret
    {SevCmd::LaunchFinish, 4, BufType::In},            // sev_data_launch_finish
    {SevCmd::DbgDecrypt, 28, BufType::In},             // sev_data_dbg
    {SevCmd::DbgEncrypt, 28, BufType::In},
    // SEV-SNP (Linux struct sev_data_snp_*; snp_api.h).
    {SevCmd::SnpInit, 0, BufType::None},
    {SevCmd::SnpInitEx, kSnpInitExLen, BufType::In},
    {SevCmd::SnpShutdown, 0, BufType::None},
    {SevCmd::SnpShutdownEx, kSnpShutdownExLen, BufType::In},
    {SevCmd::SnpPlatformStatus, kSnpAddrLen, BufType::In},  // output at the address it names
    {SevCmd::SnpDfFlush, 0, BufType::None},
    {SevCmd::SnpDecommission, kSnpAddrLen, BufType::In},
    {SevCmd::SnpActivate, kSnpActivateLen, BufType::In},
    {SevCmd::SnpGuestStatus, kSnpGuestStatusLen, BufType::In},
    {SevCmd::SnpGctxCreate, kSnpAddrLen, BufType::In},
    {SevCmd::SnpGuestRequest, kSnpGuestRequestLen, BufType::In},
    {SevCmd::SnpLaunchStart, kSnpLaunchStartLen, BufType::In},
    {SevCmd::SnpLaunchUpdate, kSnpLaunchUpdateLen, BufType::In},
    {SevCmd::SnpLaunchFinish, kSnpLaunchFinishLen, BufType::In},
    {SevCmd::SnpDbgDecrypt, kSnpDbgLen, BufType::In},
    {SevCmd::SnpDbgEncrypt, kSnpDbgLen, BufType::In},
    {SevCmd::SnpPageReclaim, kSnpAddrLen, BufType::In},
    {SevCmd::SnpPageUnsmash, kSnpAddrLen, BufType::In},
    {SevCmd::SnpConfig, kSnpConfigLen, BufType::In},
    {SevCmd::SnpCommit, kSnpCommitLen, BufType::In},
    {SevCmd::SnpVlekLoad, kSnpVlekLoadLen, BufType::In},
};

}  // namespace

SevFirmware::SevFirmware(SecureProcessor& sp, SevPlatformConfig cfg, WbinvdDone& wbinvd,
                         Cache* coherent_cache)
    : sp_(sp), cfg_(cfg), wbinvd_(wbinvd), cache_(coherent_cache), seen_resets_(sp.resets()) {
  guests_.resize(cfg_.max_guests);
  asids_.assign(max_asid(), AsidState::Dirty);
}

SevFirmware::~SevFirmware() {
  EVP_PKEY_free(pdh_);
  if (!pdh_seed_.empty()) OPENSSL_cleanse(pdh_seed_.data(), pdh_seed_.size());
  OPENSSL_cleanse(chip_secret_.data(), chip_secret_.size());
  if (vlek_) OPENSSL_cleanse(vlek_->data(), sizeof(*vlek_));
}

uint32_t SevFirmware::max_asid() const {
  // The ASIDs the part supports, bounded by the memory controller's key slots (slot 0 = host).
  const uint32_t slots = sp_.mc_.key_slots();
  return std::min(cfg_.num_asids, slots ? slots - 1 : 0);
}

void SevFirmware::clear_platform() {
  for (auto& g : guests_) g = GuestContext();
  asids_.assign(max_asid(), AsidState::Dirty);
  keep_snp_asids();
  guest_count_ = 0;
  config_flags_ = 0;
  tmr_.reset();
  EVP_PKEY_free(pdh_);
  pdh_ = nullptr;
  if (!pdh_seed_.empty()) OPENSSL_cleanse(pdh_seed_.data(), pdh_seed_.size());
  pdh_seed_.clear();
  state_ = PlatformState::Uninit;
}

// SNP guests belong to the SNP firmware: SEV's INIT and SHUTDOWN leave their ASIDs bound.
void SevFirmware::keep_snp_asids() {
  for (const auto& [pa, g] : snp_guests_)
    if (g.has_asid() && g.asid <= asids_.size())
      asids_[g.asid - 1] = g.active ? AsidState::InUse : AsidState::Allocated;
}

// A platform reset reboots the Secure Processor: the firmware starts again in UNINIT, SNP
// too (the RMP is plain memory again until the cores set SNP_EN and SNP_INIT rebuilds it).
void SevFirmware::sync_with_reset() {
  if (sp_.resets() == seen_resets_) return;
  seen_resets_ = sp_.resets();
  snp_guests_.clear();
  // A loaded VLEK lives in the SP's memory (ASPFW gpDram->perm.vlek): the host loads it again.
  if (vlek_) OPENSSL_cleanse(vlek_->data(), sizeof(*vlek_));
  vlek_.reset();
  vlek_key_.reset();
  snp_state_ = SnpPlatformState::Uninit;
  rmp_initialized_ = false;
  snp_init_flags_ = 0;
  clear_platform();
}

SevStatus SevFirmware::execute(SevCmd cmd, SysPhysAddr buffer, bool c_bit) {
  return execute(static_cast<uint32_t>(cmd),
                 buffer.value | (c_bit ? 1ull << cfg_.cbit_position : 0));
}

SevStatus SevFirmware::execute(uint32_t cmd_id, uint64_t buffer_paddr) {
  sync_with_reset();
  for (auto* o : observers_) o->on_psp_command_begin(cmd_id, buffer_paddr);
  // The command's id, status and buffer address; never the buffer's contents (docs/trace.md).
  trace::Span span(trace::track::kSecureProcessor, "psp", name(static_cast<SevCmd>(cmd_id)));
  const SevStatus st = dispatch(cmd_id, buffer_paddr);
  if (span.active()) [[unlikely]]
    span.end({{"status", name(st)},
              {"code", trace::hex(static_cast<uint32_t>(st))},
              {"cmd_id", trace::hex(cmd_id)},
              {"buffer", trace::hex(buffer_paddr)}});
  for (auto* o : observers_) o->on_psp_command(cmd_id, buffer_paddr, st);
  return st;
}

std::vector<SevCmd> SevFirmware::dispatched_commands() {
  std::vector<SevCmd> out;
  for (const auto& row : kTable) out.push_back(row.cmd);
  return out;
}

SevStatus SevFirmware::dispatch(uint32_t cmd_id, uint64_t buffer_paddr) {
  const CmdInfo* info = nullptr;
  for (const auto& row : kTable)
    if (static_cast<uint32_t>(row.cmd) == cmd_id) info = &row;
  if (!info) return SevStatus::InvalidCommand;  // ASPFW: not in the handler table

  Bytes buf(info->size, 0);
  if (info->type == BufType::In || info->type == BufType::InOut ||
      info->type == BufType::InOutError) {
    if (SevStatus st = host_read(buffer_paddr, buf); st != SevStatus::Success) return st;
  }
  SevStatus st = SevStatus::InvalidCommand;
  switch (info->cmd) {
    case SevCmd::Init:
      st = cmd_init(buf, false);
      break;
    case SevCmd::InitEx:
      st = cmd_init(buf, true);
      break;
    case SevCmd::Shutdown:
      st = cmd_shutdown();
      break;
    case SevCmd::PlatformStatus:
      st = cmd_platform_status(buf);
      break;
    case SevCmd::DfFlush:
      st = cmd_df_flush();
      break;
    case SevCmd::GetId:
      st = cmd_get_id(buf);
      break;
    case SevCmd::Decommission:
      st = cmd_decommission(buf);
      break;
    case SevCmd::Activate:
      st = cmd_activate(buf);
      break;
    case SevCmd::Deactivate:
      st = cmd_deactivate(buf);
      break;
    case SevCmd::GuestStatus:
      st = cmd_guest_status(buf);
      break;
    case SevCmd::LaunchStart:
      st = cmd_launch_start(buf);
      break;
    case SevCmd::LaunchUpdateData:
      st = cmd_launch_update(buf, false);
      break;
    case SevCmd::LaunchUpdateVmsa:
      st = cmd_launch_update(buf, true);
      break;
    case SevCmd::LaunchMeasure:
      st = cmd_launch_measure(buf);
      break;
    case SevCmd::LaunchSecret:
      st = cmd_launch_secret(buf);
      break;
    case SevCmd::LaunchFinish:
      st = cmd_launch_finish(buf);
      break;
    case SevCmd::DbgDecrypt:
      st = cmd_dbg(buf, false);
      break;
    case SevCmd::DbgEncrypt:
      st = cmd_dbg(buf, true);
      break;
    case SevCmd::SnpInit:
      st = cmd_snp_init(buf, false);
      break;
    case SevCmd::SnpInitEx:
      st = cmd_snp_init(buf, true);
      break;
    case SevCmd::SnpShutdown:
      st = cmd_snp_shutdown(buf, false);
      break;
    case SevCmd::SnpShutdownEx:
      st = cmd_snp_shutdown(buf, true);
      break;
    case SevCmd::SnpPlatformStatus:
      st = cmd_snp_platform_status(buf);
      break;
    case SevCmd::SnpDfFlush:
      st = cmd_snp_df_flush();
      break;
    case SevCmd::SnpDecommission:
      st = cmd_snp_decommission(buf);
      break;
    case SevCmd::SnpActivate:
      st = cmd_snp_activate(buf);
      break;
    case SevCmd::SnpGuestStatus:
      st = cmd_snp_guest_status(buf);
      break;
    case SevCmd::SnpGctxCreate:
      st = cmd_snp_gctx_create(buf);
      break;
    case SevCmd::SnpGuestRequest:
      st = cmd_snp_guest_request(buf);
      break;
    case SevCmd::SnpVlekLoad:
      st = cmd_snp_vlek_load(buf);
      break;
    case SevCmd::SnpLaunchStart:
      st = cmd_snp_launch_start(buf);
      break;
    case SevCmd::SnpLaunchUpdate:
      st = cmd_snp_launch_update(buf);
      break;
    case SevCmd::SnpLaunchFinish:
      st = cmd_snp_launch_finish(buf);
      break;
    case SevCmd::SnpDbgDecrypt:
      st = cmd_snp_dbg(buf, false);
      break;
    case SevCmd::SnpDbgEncrypt:
      st = cmd_snp_dbg(buf, true);
      break;
    case SevCmd::SnpPageReclaim:
      st = cmd_snp_page_reclaim(buf);
      break;
    case SevCmd::SnpPageUnsmash:
      st = cmd_snp_page_unsmash(buf);
      break;
    case SevCmd::SnpConfig:
      st = cmd_snp_config(buf);
      break;
    case SevCmd::SnpCommit:
      st = cmd_snp_commit(buf);
      break;
    default:
      break;
  }
  const bool write_back =
      (st == SevStatus::Success && (info->type == BufType::Out || info->type == BufType::InOut ||
                                    info->type == BufType::InOutError)) ||
      (st == SevStatus::InvalidLen && info->type == BufType::InOutError);
  if (write_back) {
    // On INVALID_LEN the command's own status wins over a failed write-back (ASPFW).
    const SevStatus wst = host_write(buffer_paddr, buf);
    if (st == SevStatus::Success) st = wst;
  }
  return st;
}

SevStatus SevFirmware::check_range(uint64_t paddr, uint64_t len, bool encrypted,
                                   SysPhysAddr* pa) const {
  const uint64_t a = strip_cbit(paddr);
  if (len == 0 || a + len < a) return SevStatus::InvalidAddress;
  if (encrypted && (a % kAesBlockSize || len % kAesBlockSize)) return SevStatus::InvalidAddress;
  if (!sp_.mc_.is_backed(SysPhysAddr(a), len)) return SevStatus::InvalidAddress;
  // The SEV-ES trusted memory region belongs to the firmware: no command may point into it.
  if (tmr_ && a < tmr_->second && tmr_->first < a + len) return SevStatus::InvalidAddress;
  *pa = SysPhysAddr(a);
  return SevStatus::Success;
}

void SevFirmware::snoop(SysPhysAddr pa, uint64_t len, bool writes) {
  if (cache_) cache_->snoop_for_dma(pa, len, writes);
}

// Host-key (C-bit) accesses go through the AES engine in 16-byte blocks: the DMA engine reads
// the covering blocks and, for writes, merges the new bytes in (any alignment works, as on the
// real mailbox).
SevStatus SevFirmware::host_read(uint64_t paddr, MutByteSpan out) {
  SysPhysAddr pa;
  if (SevStatus st = check_range(paddr, out.size(), false, &pa); st != SevStatus::Success)
    return st;
  snoop(pa, out.size(), false);
  if (!has_cbit(paddr)) {
    sp_.mc_.read(pa, out, EncTag::none());
    return SevStatus::Success;
  }
  const uint64_t lo = pa.value & ~(kAesBlockSize - 1);
  const uint64_t hi = (pa.value + out.size() + kAesBlockSize - 1) & ~(kAesBlockSize - 1);
  Bytes win(hi - lo);
  sp_.mc_.read(SysPhysAddr(lo), win, EncTag{true, KeyId::host()});
  std::copy_n(win.begin() + (pa.value - lo), out.size(), out.begin());
  return SevStatus::Success;
}

SevStatus SevFirmware::host_write(uint64_t paddr, ByteSpan in) {
  SysPhysAddr pa;
  if (SevStatus st = check_range(paddr, in.size(), false, &pa); st != SevStatus::Success) return st;
  snoop(pa, in.size(), true);
  if (!has_cbit(paddr)) {
    sp_.mc_.write(pa, in, EncTag::none());
    return SevStatus::Success;
  }
  const uint64_t lo = pa.value & ~(kAesBlockSize - 1);
  const uint64_t hi = (pa.value + in.size() + kAesBlockSize - 1) & ~(kAesBlockSize - 1);
  Bytes win(hi - lo);
  const EncTag host{true, KeyId::host()};
  sp_.mc_.read(SysPhysAddr(lo), win, host);
  std::copy(in.begin(), in.end(), win.begin() + (pa.value - lo));
  sp_.mc_.write(SysPhysAddr(lo), win, host);
  return SevStatus::Success;
}

SevStatus SevFirmware::guest_read(uint64_t paddr, MutByteSpan out, const GuestContext& g) {
  SysPhysAddr pa;
  if (SevStatus st = check_range(paddr, out.size(), true, &pa); st != SevStatus::Success) return st;
  snoop(pa, out.size(), false);
  sp_.mc_.read(pa, out, EncTag{true, KeyId::for_asid(Asid(g.asid))});
  return SevStatus::Success;
}

SevStatus SevFirmware::guest_write(uint64_t paddr, ByteSpan in, const GuestContext& g) {
  SysPhysAddr pa;
  if (SevStatus st = check_range(paddr, in.size(), true, &pa); st != SevStatus::Success) return st;
  snoop(pa, in.size(), true);
  sp_.mc_.write(pa, in, EncTag{true, KeyId::for_asid(Asid(g.asid))});
  return SevStatus::Success;
}

GuestContext* SevFirmware::guest(uint32_t handle) {
  if (handle < 1 || handle > guests_.size()) return nullptr;
  GuestContext& g = guests_[handle - 1];
  return g.state == GuestState::Uninit ? nullptr : &g;
}

void SevFirmware::load_guest_key(const GuestContext& g) {
  sp_.mc_.load_key(
      KeyId::for_asid(Asid(g.asid)),
      KeyMaterial(KeyLength::Aes128, ByteSpan(g.vek.data(), 16), ByteSpan(g.vek.data() + 16, 16)),
      sp_.slot_access());
}

bool SevFirmware::asid_runnable(Asid asid) const {
  if (asid.value == 0 || asid.value > asids_.size()) return false;
  if (asids_[asid.value - 1] != AsidState::InUse) return false;
  return sp_.mc_.key_loaded(KeyId::for_asid(asid));
}

AsidState SevFirmware::asid_state(Asid asid) const {
  if (asid.value == 0 || asid.value > asids_.size()) return AsidState::Dirty;
  return asids_[asid.value - 1];
}

std::optional<CertPubkey> SevFirmware::pdh_public() const {
  EVP_PKEY* k = pdh_key();
  if (!k) return std::nullopt;
  return public_key_of(k);
}

}  // namespace cbit::hw::psp::sev
