// LAUNCH_MEASURE (SEV-API; AMD-ASPFW sev_mcmd.c sev_mcmd_launch_measure, sev_guest.c
// sev_guest_measure): finishes the launch digest and writes measurement || MNONCE (48 bytes),
// measurement = HMAC-SHA-256(TIK, 0x04 || API major || API minor || build || policy || digest ||
// MNONCE).
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

// struct sev_data_launch_measure { u32 handle; u32 reserved; u64 address; u32 len; }
SevStatus SevFirmware::cmd_launch_measure(Bytes& buf) {
  if (state_ != PlatformState::Working) return SevStatus::InvalidPlatformState;
  GuestContext* g = guest(load_le<uint32_t>(buf.data()));
  if (!g) return SevStatus::InvalidGuest;
  if (g->state != GuestState::Lupdate) return SevStatus::InvalidGuestState;
  const uint64_t addr = load_le<uint64_t>(buf.data() + 8);
  if (load_le<uint32_t>(buf.data() + 16) < kMeasureLen) {
    store_le(buf.data() + 16, static_cast<uint32_t>(kMeasureLen));  // the length it needs
    return SevStatus::InvalidLen;
  }
  SysPhysAddr pa;
  if (SevStatus st = check_range(addr, kMeasureLen, false, &pa); st != SevStatus::Success)
    return st;
  g->launch_digest = g->ld->finish();
  uint8_t mnonce[kMnonceLen];
  sp_.rng_.generate(kMnonceLabel, mnonce);
  g->measurement = measurement_mac(g->channel.tik, cfg_.api_major, cfg_.api_minor, cfg_.build,
                                   g->policy, g->launch_digest, mnonce);
  Bytes out(g->measurement.begin(), g->measurement.end());
  out.insert(out.end(), mnonce, mnonce + kMnonceLen);
  if (SevStatus st = host_write(addr, out); st != SevStatus::Success) return st;
  g->state = *next_state(g->state, SevCmd::LaunchMeasure);
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
