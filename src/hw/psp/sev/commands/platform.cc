// Platform management: INIT, INIT_EX, SHUTDOWN, PLATFORM_STATUS, DF_FLUSH, GET_ID
// (SEV-API "Platform Management"; AMD-ASPFW sev_mcmd.c sev_mcmd_init_common, sev_mcmd_shutdown,
// sev_mcmd_platform_status, mcmd_df_flush_common, sev_mcmd_get_id).
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "psp/certs/sim_chain.h"

namespace cbit::hw::psp::sev {

// struct sev_data_init { u32 flags; u32 reserved; u64 tmr_address; u32 tmr_len; }
// struct sev_data_init_ex { u32 length; u32 flags; u64 tmr_address; u32 tmr_len; u32 reserved;
//                           u64 nv_address; u32 nv_len; }
SevStatus SevFirmware::cmd_init(Bytes& buf, bool ex) {
  if (state_ != PlatformState::Uninit) return SevStatus::InvalidPlatformState;
  const uint8_t* b = buf.data();
  const uint32_t flags = load_le<uint32_t>(b + (ex ? 4 : 0));
  const uint64_t tmr = load_le<uint64_t>(b + 8);
  const uint32_t tmr_len = load_le<uint32_t>(b + 16);
  if (flags & ~kInitFlagSevEs) return SevStatus::InvalidConfig;
  if ((flags & kInitFlagSevEs) && !cfg_.es_supported) return SevStatus::InvalidConfig;
  if (ex) {
    if (load_le<uint32_t>(b) != kInitExLen) return SevStatus::InvalidLen;
    const uint64_t nv = load_le<uint64_t>(b + 24);
    const uint32_t nv_len = load_le<uint32_t>(b + 32);
    if (nv != 0) {  // 0: the firmware's own SPI flash
      SysPhysAddr pa;
      if (strip_cbit(nv) % kPageSize) return SevStatus::InvalidAddress;
      if (SevStatus st = check_range(nv, nv_len ? nv_len : 1, false, &pa); st != SevStatus::Success)
        return st;
      if (nv_len != kInitExNvLen) return SevStatus::InvalidLen;
    }
  }
  if (flags & kInitFlagSevEs) {
    // The TMR: 1 MiB, 1 MiB aligned (Linux SEV_ES_TMR_SIZE; ASPFW sev_es_reserve_trusted_region);
    // with SNP initialised 2 MiB, 2 MiB aligned (Linux SNP_TMR_SIZE: the host gives firmware
    // pages of a whole 2 MiB RMP region).
    const uint64_t size = snp_state_ == SnpPlatformState::Init ? 2 * kTmrSize : kTmrSize;
    const uint64_t base = strip_cbit(tmr);
    SysPhysAddr pa;
    if (base % size) return SevStatus::InvalidAddress;
    if (tmr_len != size) return SevStatus::InvalidLen;
    if (SevStatus st = check_range(tmr, tmr_len, false, &pa); st != SevStatus::Success) return st;
    tmr_ = std::make_pair(base, base + size);
  }
  // A new platform Diffie-Hellman key (ASPFW sev_pdh_generate): its seed now, the key on first
  // use (pdh_key()).
  EVP_PKEY_free(pdh_);
  pdh_ = nullptr;
  if (!pdh_seed_.empty()) OPENSSL_cleanse(pdh_seed_.data(), pdh_seed_.size());
  pdh_seed_.assign(48, 0);
  sp_.rng_.generate(kPdhLabel, pdh_seed_);
  // Every ASID starts dirty and every core needs a WBINVD before the first DF_FLUSH.
  asids_.assign(max_asid(), AsidState::Dirty);
  keep_snp_asids();
  wbinvd_.clear_all();
  config_flags_ = flags;
  state_ = PlatformState::Init;
  return SevStatus::Success;
}

EVP_PKEY* SevFirmware::pdh_key() const {
  if (!pdh_ && !pdh_seed_.empty()) {
    pdh_ = ::cbit::psp::p384_key_from_seed(pdh_seed_).release();
    OPENSSL_cleanse(pdh_seed_.data(), pdh_seed_.size());
    pdh_seed_.clear();
  }
  return pdh_;
}

// Allowed in every state; decommissions every guest and marks every ASID invalid (ASPFW sev_clear).
SevStatus SevFirmware::cmd_shutdown() {
  for (uint32_t a = 1; a <= asids_.size(); ++a) {
    const bool snp_owned = std::any_of(snp_guests_.begin(), snp_guests_.end(), [a](const auto& kv) {
      return kv.second.has_asid() && kv.second.asid == a;
    });
    if (!snp_owned && sp_.mc_.key_loaded(KeyId(a))) sp_.mc_.clear_key(KeyId(a), sp_.slot_access());
  }
  clear_platform();
  return SevStatus::Success;
}

// struct sev_user_data_status { u8 api_major; u8 api_minor; u8 state; u32 flags; u8 build;
//                               u32 guest_count; }
SevStatus SevFirmware::cmd_platform_status(Bytes& buf) {
  std::fill(buf.begin(), buf.end(), 0);
  buf[0] = cfg_.api_major;
  buf[1] = cfg_.api_minor;
  buf[2] = static_cast<uint8_t>(state_);
  uint32_t flags = 0;
  if (state_ != PlatformState::Uninit && (config_flags_ & kInitFlagSevEs))
    flags |= kStatusFlagConfigEs;
  store_le(buf.data() + 3, flags);
  buf[7] = cfg_.build;
  store_le(buf.data() + 8, state_ == PlatformState::Uninit ? 0u : guest_count_);
  return SevStatus::Success;
}

// Dirty ASIDs become clean once every core has done a WBINVD since the flags were last cleared.
SevStatus SevFirmware::cmd_df_flush() {
  if (!wbinvd_.all_done()) return SevStatus::WbinvdRequired;
  for (auto& a : asids_)
    if (a == AsidState::Dirty) a = AsidState::Clean;
  return SevStatus::Success;
}

const Bytes& SevFirmware::chip_id() {
  if (chip_id_.empty()) {
    chip_id_.resize(kGetIdLen);
    sp_.rng_.generate(kChipIdLabel, chip_id_);
  }
  return chip_id_;
}

// struct sev_data_get_id { u64 address; u32 len; }
SevStatus SevFirmware::cmd_get_id(Bytes& buf) {
  const uint64_t addr = load_le<uint64_t>(buf.data());
  const uint32_t len = load_le<uint32_t>(buf.data() + 8);
  if (len < kGetIdLen) {
    store_le(buf.data() + 8, kGetIdLen);
    return SevStatus::InvalidLen;
  }
  if (SevStatus st = host_write(addr, chip_id()); st != SevStatus::Success) return st;
  store_le(buf.data() + 8, kGetIdLen);
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
