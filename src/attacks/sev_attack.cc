#include "attacks/sev_attack.h"

#include "common/error.h"

namespace cbit::attacks {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Succeeded:
      return "succeeded";
    case Verdict::Blocked:
      return "blocked";
    case Verdict::Error:
      break;
  }
  return "error";
}

const char* mode_flag(SevMode m) {
  switch (m) {
    case SevMode::None:
      return "off";
    case SevMode::Sev:
      return "sev";
    case SevMode::Snp:
      return "snp";
    case SevMode::SevEs:
      break;
  }
  return "sev-es";
}

SevMode parse_sev_mode(std::string_view s) {
  if (s == "off") return SevMode::None;
  if (s == "sev") return SevMode::Sev;
  if (s == "sev-es") return SevMode::SevEs;
  if (s == "snp") return SevMode::Snp;
  throw InputError("--mode '" + std::string(s) + "': expected off, sev, sev-es or snp");
}

nlohmann::json SevAttackResult::to_json() const {
  return {{"attack", attack}, {"mode", mode_flag(mode)}, {"verdict", verdict_name(verdict)},
          {"got", got},       {"detail", detail},        {"evidence", evidence}};
}

std::string hex_of(ByteSpan b) { return to_hex(b); }

std::string printable(ByteSpan b) {
  std::string s;
  for (uint8_t c : b) {
    if (c == 0) break;
    s += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
  }
  return s;
}

}  // namespace cbit::attacks
