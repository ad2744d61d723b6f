// Guest management: ACTIVATE, DEACTIVATE, DECOMMISSION, GUEST_STATUS (SEV-API "Guest
// Management"; AMD-ASPFW sev_mcmd.c sev_mcmd_activate / activate_common, sev_guest.c
// sev_guest_activate, sev_mcmd_deactivate, mcmd_decommission_common, sev_mcmd_guest_status).
//
// ASID life cycle (per ASID): INIT makes every ASID Dirty; DF_FLUSH (after WBINVD on every core)
// makes Dirty ASIDs Clean; ACTIVATE of a launching guest makes a Clean ASID Allocated (key
// loaded, not yet valid for VMRUN); LAUNCH_FINISH, or ACTIVATE of a running guest, makes it
// InUse; DEACTIVATE makes InUse Dirty (the caches may hold its lines) and Allocated Clean.
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

// struct sev_data_activate { u32 handle; u32 asid; }
SevStatus SevFirmware::cmd_activate(Bytes& buf) {
  if (state_ != PlatformState::Working) return SevStatus::InvalidPlatformState;
  GuestContext* g = guest(load_le<uint32_t>(buf.data()));
  if (!g) return SevStatus::InvalidGuest;
  const uint32_t asid = load_le<uint32_t>(buf.data() + 4);
  if (asid == 0 || asid > max_asid()) return SevStatus::InvalidAsid;
  AsidState& as = asids_[asid - 1];
  if (as == AsidState::InUse || as == AsidState::Allocated) return SevStatus::AsidOwned;
  if (!g->inactive()) return SevStatus::Active;
  if (g->state == GuestState::Sent) return SevStatus::InvalidGuestState;
  if (as == AsidState::Dirty) return SevStatus::DfflushRequired;
  // ES guests use 1 .. min_sev_asid-1, SEV guests min_sev_asid .. max (ASPFW
  // sev_es_validate_asid; CPUID Fn8000_001F EDX).
  if (g->es ? asid >= cfg_.min_sev_asid : asid < cfg_.min_sev_asid) return SevStatus::InvalidAsid;
  g->asid = asid;
  load_guest_key(*g);
  if (g->state == GuestState::Running || g->state == GuestState::Supdate) {
    g->active = true;
    as = AsidState::InUse;
  } else {
    g->pending = true;  // valid for VMRUN only after LAUNCH_FINISH
    as = AsidState::Allocated;
  }
  return SevStatus::Success;
}

// struct sev_data_deactivate { u32 handle; }
SevStatus SevFirmware::cmd_deactivate(Bytes& buf) {
  if (state_ != PlatformState::Working) return SevStatus::InvalidPlatformState;
  GuestContext* g = guest(load_le<uint32_t>(buf.data()));
  if (!g) return SevStatus::InvalidGuest;
  if (g->inactive()) return SevStatus::Inactive;
  AsidState& as = asids_[g->asid - 1];
  if (as == AsidState::InUse) {
    // The guest ran: its lines may sit in any core's cache. The key stays in the slot (ASPFW
    // does not clear it), but the ASID is dirty until WBINVD on every core and DF_FLUSH.
    as = AsidState::Dirty;
    wbinvd_.clear_all();
  } else if (as == AsidState::Allocated) {
    as = AsidState::Clean;  // never ran: nothing to flush
  }
  g->asid = 0;
  g->pending = g->active = false;
  return SevStatus::Success;
}

// struct sev_data_decommission { u32 handle; }
SevStatus SevFirmware::cmd_decommission(Bytes& buf) {
  if (state_ != PlatformState::Working) return SevStatus::InvalidPlatformState;
  GuestContext* g = guest(load_le<uint32_t>(buf.data()));
  if (!g) return SevStatus::InvalidGuest;
  if (g->has_asid()) return SevStatus::Active;
  *g = GuestContext();
  if (--guest_count_ == 0) state_ = PlatformState::Init;
  return SevStatus::Success;
}

// struct sev_data_guest_status { u32 handle; u32 policy; u32 asid; u8 state; }
SevStatus SevFirmware::cmd_guest_status(Bytes& buf) {
  if (state_ == PlatformState::Uninit) return SevStatus::InvalidPlatformState;
  const GuestContext* g = guest(load_le<uint32_t>(buf.data()));
  if (!g) {
    buf[12] = static_cast<uint8_t>(GuestState::Uninit);  // ASPFW: state INVALID, success
    return SevStatus::Success;
  }
  store_le(buf.data() + 4, g->policy);
  store_le(buf.data() + 8, g->has_asid() ? g->asid : 0u);
  buf[12] = static_cast<uint8_t>(g->state);
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
