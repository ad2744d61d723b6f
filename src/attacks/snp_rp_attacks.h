// Attacks on SNP attestation itself (issue 10 §3): a host that wants a relying party's secret
// without running the guest the relying party expects. Each row runs the honest exchange first
// (the control: the expected guest must get the secret, or the row is an Error) and then the
// attack, and reports which of the relying party's checks refused it
// (sw/owner/snp_relying_party.h). Verdicts are measured: Succeeded means the attacker holds
// the plaintext secret.
//
//   report-replay   an old exchange sent again: its nonce was used (and a new nonce does not
//                   match the old REPORT_DATA)
//   relay           a genuine guest A answers the nonce; the attacker submits A's report with
//                   its own key (REPORT_DATA binds A's key), or unchanged (the secret is
//                   wrapped to A's key; the attacker cannot open it) -- the "cuckoo" attack
//   forged-report   a report signed by a self-made chain with the chip's names, keys and
//                   extensions copied (snp_forged_chain.h): the root is not the trusted ARK
//   tcb-rollback    the guest runs on SNP firmware older than the relying party's minimum
//   other-image     the host launched another image: MEASUREMENT differs
//
// Two rows need the live SNP_GUEST_REQUEST path (GHCB, KVM, firmware) and are registered
// without a runner until it exists: ghcb-tamper (the host edits the encrypted request in the
// GHCB; AES-GCM under the VMPCK refuses it) and vmpl1-vmpck0 (a VMPL1 guest asks with VMPCK0,
// which it must never see). Their hook is RpAttackInfo::run == nullptr plus `needs`.
#pragma once
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attacks/sev_attack.h"
#include "psp/certs/ossl.h"
#include "sw/guest/attest_agent.h"
#include "sw/owner/snp_relying_party.h"

namespace cbit::attacks {

// What the rows run against. The report sources are the guests' own report requests (the
// guest kernel's SNP_GET_EXT_REPORT once that path runs); the attacker, as the host, sees every
// report and certificate table that passes through it.
struct AttestationLab {
  // A fresh relying party with the victim's policy (trusted ARK, TCB minimum, measurement).
  std::function<std::unique_ptr<sw::owner::SnpRelyingParty>()> relying_party;
  sw::guest::GetReportFn guest;               // the expected image on current firmware
  sw::guest::GetReportFn other_image_guest;   // the host launched another image
  sw::guest::GetReportFn old_firmware_guest;  // the host rolled the SNP firmware back
  // RSA keys the forger makes for its own ARK and ASK (role "ark" / "ask").
  std::function<psp::PkeyPtr(const char* role)> attacker_rsa_key;
  Bytes secret = Bytes{'s', 'e', 'c', 'r', 'e', 't'};
};

struct RpAttackResult {
  std::string attack;
  Verdict verdict = Verdict::Error;
  std::string refused_by;         // the relying party's first failed check ("" when it accepted)
  std::string got;                // short: what the attacker got (a table cell)
  std::string detail;             // one human line
  bool control_released = false;  // the expected guest got the secret in the same lab
  std::string control_detail;
  nlohmann::json evidence = nlohmann::json::object();
  nlohmann::json to_json() const;
};

struct RpAttackInfo {
  const char* name;
  const char* title;
  const char* what;
  const char* source;                            // paper / bulletin / issue
  RpAttackResult (*run)(const AttestationLab&);  // nullptr: needs `needs`
  const char* needs = nullptr;
};
const std::vector<RpAttackInfo>& rp_attacks();

RpAttackResult rp_report_replay(const AttestationLab& lab);
RpAttackResult rp_relay(const AttestationLab& lab);
RpAttackResult rp_forged_report(const AttestationLab& lab);
RpAttackResult rp_tcb_rollback(const AttestationLab& lab);
RpAttackResult rp_other_image(const AttestationLab& lab);

// "report-replay  no  refused by nonce  | control: released" per row.
std::string render_rp_attacks_text(const std::vector<RpAttackResult>& rows);

}  // namespace cbit::attacks
