// LAUNCH_FINISH (SEV-API; AMD-ASPFW sev_mcmd.c sev_mcmd_launch_finish): the guest may run. A
// pending ACTIVATE becomes effective (the ASID is in use and valid for VMRUN) and the trusted
// channel's keys are erased.
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

// struct sev_data_launch_finish { u32 handle; }
SevStatus SevFirmware::cmd_launch_finish(Bytes& buf) {
  if (state_ != PlatformState::Working) return SevStatus::InvalidPlatformState;
  GuestContext* g = guest(load_le<uint32_t>(buf.data()));
  if (!g) return SevStatus::InvalidGuest;
  if (g->state != GuestState::Lsecret) return SevStatus::InvalidGuestState;
  if (g->pending) {
    g->pending = false;
    g->active = true;
    asids_[g->asid - 1] = AsidState::InUse;
  }
  g->channel.wipe();
  g->ld.reset();
  g->state = *next_state(g->state, SevCmd::LaunchFinish);
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
