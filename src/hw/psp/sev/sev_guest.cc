#include "hw/psp/sev/sev_guest.h"

#include <openssl/crypto.h>

namespace cbit::hw::psp::sev {

GuestContext::~GuestContext() {
  OPENSSL_cleanse(vek.data(), vek.size());
  channel.wipe();
}

bool command_allowed_in(SevCmd cmd, GuestState s) {
  using enum GuestState;
  switch (s) {
    case Uninit:
      return cmd == SevCmd::LaunchStart || cmd == SevCmd::ReceiveStart;
    case Lupdate:
      return cmd == SevCmd::LaunchUpdateData || cmd == SevCmd::LaunchUpdateVmsa ||
             cmd == SevCmd::LaunchMeasure || cmd == SevCmd::Activate || cmd == SevCmd::Deactivate ||
             cmd == SevCmd::Decommission || cmd == SevCmd::GuestStatus;
    case Lsecret:
      return cmd == SevCmd::LaunchSecret || cmd == SevCmd::LaunchFinish ||
             cmd == SevCmd::Activate || cmd == SevCmd::Deactivate || cmd == SevCmd::Decommission ||
             cmd == SevCmd::GuestStatus;
    case Running:
      return cmd == SevCmd::Activate || cmd == SevCmd::Deactivate || cmd == SevCmd::Decommission ||
             cmd == SevCmd::SendStart || cmd == SevCmd::GuestStatus;
    case Supdate:
      // SEND_CANCEL (API 0.22+) is in ASPFW's transition table, not in the header's comment.
      return cmd == SevCmd::SendUpdateData || cmd == SevCmd::SendUpdateVmsa ||
             cmd == SevCmd::SendFinish || cmd == SevCmd::SendCancel || cmd == SevCmd::Activate ||
             cmd == SevCmd::Deactivate || cmd == SevCmd::Decommission || cmd == SevCmd::GuestStatus;
    case Rupdate:
      return cmd == SevCmd::ReceiveUpdateData || cmd == SevCmd::ReceiveUpdateVmsa ||
             cmd == SevCmd::ReceiveFinish || cmd == SevCmd::Activate || cmd == SevCmd::Deactivate ||
             cmd == SevCmd::Decommission || cmd == SevCmd::GuestStatus;
    case Sent:
      return cmd == SevCmd::Decommission || cmd == SevCmd::GuestStatus;
  }
  return false;
}

std::optional<GuestState> next_state(GuestState s, SevCmd cmd) {
  using enum GuestState;
  switch (cmd) {
    case SevCmd::Decommission:
      if (s != Uninit) return Uninit;
      break;
    case SevCmd::LaunchStart:
      if (s == Uninit) return Lupdate;
      break;
    case SevCmd::LaunchMeasure:
      if (s == Lupdate) return Lsecret;
      break;
    case SevCmd::LaunchFinish:
      if (s == Lsecret) return Running;
      break;
    case SevCmd::SendStart:
      if (s == Running) return Supdate;
      break;
    case SevCmd::SendFinish:
      if (s == Supdate) return Sent;
      break;
    case SevCmd::SendCancel:
      if (s == Supdate) return Running;
      break;
    case SevCmd::ReceiveStart:
      if (s == Uninit) return Rupdate;
      break;
    case SevCmd::ReceiveFinish:
      if (s == Rupdate) return Running;
      break;
    default:
      break;
  }
  return std::nullopt;
}

}  // namespace cbit::hw::psp::sev
