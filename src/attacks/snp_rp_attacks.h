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
//   ghcb-tamper     the host flips a byte of the sealed SNP_GUEST_REQUEST in the shared page
//                   before the firmware sees it: AES-256-GCM under the VMPCK refuses it, the
//                   guest driver wipes the VMPCK (no IV reuse) and later requests fail
//                   (snp_rp_request_attacks.cc)
//   vmpl1-vmpck0    a VMPL1 component that was left VMPCK0 (an SVSM that did not zero it) asks
//                   for a report claiming VMPL 0; with VMPCK0 zeroed it has only VMPCK1, the
//                   firmware refuses REPORT_REQ.VMPL < MSG_VMPCK (INVALID_PARAM) and the
//                   relying party's vmpl check refuses its VMPL 1 reports
//
// The last two need the live request path (GHCB, KVM, firmware) and a guest of their own
// (they wipe or zero a VMPCK): AttestationLab::fresh_guest. Without it they are an Error that
// says so.
#pragma once
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "attacks/sev_attack.h"
#include "psp/certs/ossl.h"
#include "sw/guest/attest_agent.h"
#include "sw/owner/snp_relying_party.h"

namespace cbit::attacks {

// A running guest as the request-path rows reach it.
struct LiveGuestHandle {
  // A guest-kernel component asking /dev/sev-guest with VMPCK<vmpck> for an extended report
  // with MSG_REPORT_REQ.VMPL = vmpl.
  std::function<sw::guest::ReportRequestOutcome(const sw::attest::ReportData&, unsigned vmpck,
                                                uint32_t vmpl)>
      request;
  // The host's hook on the sealed request page before the firmware (KVM's copy; nullptr: off).
  std::function<void(std::function<void(MutByteSpan request)>)> host_edits_requests;
  // Whether VMPCK<vmpck> in the guest's secrets page is zero (read by the guest kernel).
  std::function<bool(unsigned vmpck)> vmpck_zero;
  // The SVSM's step at VMPL0 before a VMPL1 kernel runs: VMPCK<vmpck> zeroed.
  std::function<void(unsigned vmpck)> svsm_zeroes_vmpck;
};

// What the rows run against. The report sources are the guests' own report requests (the
// guest kernel's SNP_GET_EXT_REPORT once that path runs); the attacker, as the host, sees every
// report and certificate table that passes through it.
struct AttestationLab {
  // A fresh relying party with the victim's policy (trusted ARK, TCB minimum, measurement).
  std::function<std::unique_ptr<sw::owner::SnpRelyingParty>()> relying_party;
  sw::guest::GetReportFn guest;               // the expected image on current firmware
  sw::guest::GetReportFn other_image_guest;   // the host launched another image
  sw::guest::GetReportFn old_firmware_guest;  // the host rolled the SNP firmware back
  // A new guest of the expected image on the expected platform, reached through the live
  // request path; nullopt when the lab has none (the report-request rows are then an Error).
  std::function<std::optional<LiveGuestHandle>()> fresh_guest;
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
RpAttackResult rp_ghcb_tamper(const AttestationLab& lab);
RpAttackResult rp_vmpl1_vmpck0(const AttestationLab& lab);

// "report-replay  no  refused by nonce  | control: released" per row.
std::string render_rp_attacks_text(const std::vector<RpAttackResult>& rows);

}  // namespace cbit::attacks
