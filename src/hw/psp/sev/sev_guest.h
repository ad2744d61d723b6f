// A guest context inside the SEV firmware (AMD-ASPFW sev_guest.h sev_guest_t): handle, policy,
// state, ASID binding, the VEK, the trusted channel and the launch digest. Lives only in the
// firmware's private memory; nothing returns its keys.
#pragma once
#include <array>
#include <cstdint>
#include <memory>

#include "crypto/hash.h"
#include "hw/psp/sev/sev_api.h"
#include "hw/psp/sev/sev_channel.h"
#include "psp/digest/sev_launch_digest.h"

namespace cbit::hw::psp::sev {

struct GuestContext {
  uint32_t handle = 0;
  uint32_t policy = 0;
  GuestState state = GuestState::Uninit;
  bool es = false;
  // ASID binding (ASPFW guest_flags): `pending` after ACTIVATE before LAUNCH_FINISH (key loaded,
  // ASID not yet valid for VMRUN); `active` once the guest may run.
  uint32_t asid = 0;
  bool pending = false;
  bool active = false;
  // VEK seed: data key and tweak key for the memory controller (AES-128).
  std::array<uint8_t, 32> vek{};
  TransportKeys channel;
  crypto::Sha256Digest measurement{};  // LAUNCH_MEASURE's MAC, bound into LAUNCH_SECRET
  std::unique_ptr<::cbit::psp::digest::SevLaunchDigest> ld;  // SHA-256 of the measured pages
  crypto::Sha256Digest launch_digest{};
  uint32_t vmsas = 0;

  GuestContext() = default;
  GuestContext(GuestContext&&) = default;
  GuestContext& operator=(GuestContext&&) = default;
  ~GuestContext();
  bool has_asid() const { return pending || active; }
  bool inactive() const { return !has_asid(); }
};

// The commands the spec allows in each guest state (ASPFW sev_guest.h's table).
bool command_allowed_in(SevCmd cmd, GuestState s);
// The state a command moves a guest to (ASPFW sev_guest.c state_tbl_sev), or nullopt if the
// transition is not in the table.
std::optional<GuestState> next_state(GuestState s, SevCmd cmd);

}  // namespace cbit::hw::psp::sev
