// What one attack of the SEV / SEV-ES matrix reports: did the malicious hypervisor get what it
// was after, and the evidence (bytes, register values, inferred bits, exit codes).
//
// The modes are the VM's: "off" (a plain VM on an SME host: the control, where every attack must
// succeed), "sev" and "sev-es". Verdicts are measured by each attack, never looked up.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sw/hv/vm.h"

namespace cbit::attacks {

using sw::hv::SevMode;

enum class Verdict {
  Succeeded,  // the attacker got the secret / changed the guest's behaviour as intended
  Blocked,    // the hardware stopped it (what the attacker got instead is in `got`)
  Error,      // the attack could not run here (e.g. the CPU model has no SEV-ES)
};
const char* verdict_name(Verdict v);  // "succeeded", "blocked", "error"

// "off", "sev", "sev-es" (the CLI's spelling); parse throws InputError naming --mode.
const char* mode_flag(SevMode m);
SevMode parse_sev_mode(std::string_view s);

struct SevAttackResult {
  std::string attack;  // "hv-memory-scan", ...
  SevMode mode = SevMode::None;
  Verdict verdict = Verdict::Error;
  std::string got;     // short: what the attacker got (fits a table cell, <= 32 chars)
  std::string detail;  // one human line with the numbers
  nlohmann::json evidence = nlohmann::json::object();
  nlohmann::json to_json() const;
};

// Helpers for the evidence.
std::string hex_of(ByteSpan b);
std::string printable(ByteSpan b);  // bytes as text, '.' for non-printables, up to the first NUL

}  // namespace cbit::attacks
