// The relying-party rows that attack the guest's report request itself rather than the report
// (snp_rp_attacks.h): both need a live guest of their own, AttestationLab::fresh_guest.
//
// ghcb-tamper: SNP_GUEST_REQUEST messages are AES-256-GCM under a VMPCK the host never has
// (SNP ABI §8.26, SNP-FACTS.md §3.1); KVM copies the sealed request from the guest's shared page
// to the firmware. The host flips one byte of the sealed payload: the firmware cannot
// authenticate it and answers with an error instead of a response; Linux's driver then wipes the
// VMPCK ("Disabling VMPCK%d communication key to prevent IV reuse") so the same IV is never
// sealed twice, and every later request fails (-ENOTTY). Control: the untouched request of the
// same guest gets a report.
//
// vmpl1-vmpck0: the firmware knows a requester's VMPL only from the VMPCK the message came
// under and refuses MSG_REPORT_REQ.VMPL < MSG_VMPCK with INVALID_PARAM (SNP-FACTS.md §3.1 [FIX]).
// VMPCK0 is for VMPL0 alone: an SVSM at VMPL0 zeroes it in the secrets page before it runs the
// VMPL1 kernel. The row's VMPL1 component is a driver instance bound to a VMPCK (the model runs
// the guest kernel at VMPL0; what the firmware checks is the key, which is what is modelled).
// With VMPCK0 left in the page (protection off) the component gets a report claiming VMPL 0 and
// the relying party, which allows only VMPL 0, releases the secret to it; with VMPCK0 zeroed it
// can only seal under VMPCK1: VMPL 0 is INVALID_PARAM, a VMPCK0 request finds no key, and its
// VMPL 1 report is refused by the relying party's vmpl check.
#include <fmt/format.h>

#include "attacks/snp_rp_attacks.h"
#include "attacks/snp_rp_exchange.h"
#include "psp/report/attestation_report.h"
#include "psp/snp/guest_msg.h"
#include "sw/attest/report_binding.h"

namespace cbit::attacks {

namespace {

using rp_detail::conclude;
using rp_detail::control;
using rp_detail::exchange;
using sw::guest::AttestAgent;
using sw::guest::ReportRequestOutcome;

std::string outcome_text(const ReportRequestOutcome& o) {
  if (o.report) return "a report";
  if (o.rc != 0)
    return fmt::format("driver error {} (fw_error {:#x}, vmm_error {:#x})", o.rc,
                       o.exitinfo2 & 0xFFFFFFFF, o.exitinfo2 >> 32);
  return fmt::format("firmware status {:#x}{}", o.status,
                     o.status == psp::snp::kMsgStatusInvalidParam ? " (INVALID_PARAM)" : "");
}

nlohmann::json outcome_json(const ReportRequestOutcome& o) {
  return {{"rc", o.rc},
          {"exitinfo2", fmt::format("{:#x}", o.exitinfo2)},
          {"status", o.status},
          {"report", o.report.has_value()}};
}

sw::attest::ReportData some_report_data(uint8_t tag) {
  sw::attest::ReportData rd{};
  for (size_t i = 0; i < rd.size(); ++i) rd[i] = static_cast<uint8_t>(tag + i);
  return rd;
}

// The row without a live guest: an Error that says what it needs.
bool need_live_guest(const AttestationLab& lab, RpAttackResult& r,
                     std::optional<LiveGuestHandle>* g) {
  if (lab.fresh_guest) *g = lab.fresh_guest();
  if (*g && (*g)->request) return true;
  r.verdict = Verdict::Error;
  r.got = "no live guest";
  r.detail = "needs a live guest (AttestationLab::fresh_guest)";
  return false;
}

sw::guest::GetReportFn source(const LiveGuestHandle& g, unsigned vmpck, uint32_t vmpl) {
  return [&g, vmpck, vmpl](const sw::attest::ReportData& rd) {
    return g.request(rd, vmpck, vmpl).report;
  };
}

}  // namespace

RpAttackResult rp_ghcb_tamper(const AttestationLab& lab) {
  RpAttackResult r;
  r.attack = "ghcb-tamper";
  std::optional<LiveGuestHandle> g;
  if (!need_live_guest(lab, r, &g)) return r;
  control(lab, r);

  // Control on the same guest: an untouched request gets its report.
  const ReportRequestOutcome untouched = g->request(some_report_data(0x10), 0, 0);
  // The host flips one byte of the sealed MSG_REPORT_REQ payload in KVM's copy.
  g->host_edits_requests([](MutByteSpan req) { req[psp::snp::kGuestMsgHeaderSize + 5] ^= 0x01; });
  const ReportRequestOutcome tampered = g->request(some_report_data(0x20), 0, 0);
  g->host_edits_requests(nullptr);
  const bool wiped = g->vmpck_zero(0);
  const ReportRequestOutcome after = g->request(some_report_data(0x30), 0, 0);

  r.control_released = r.control_released && untouched.report.has_value();
  if (!untouched.report)
    r.control_detail = "the untouched request failed: " + outcome_text(untouched);
  else
    r.control_detail += "; the untouched request got a report";
  r.evidence["untouched"] = outcome_json(untouched);
  r.evidence["tampered"] = outcome_json(tampered);
  r.evidence["vmpck0_wiped"] = wiped;
  r.evidence["later_request"] = outcome_json(after);
  // What the host wanted: the firmware acting on a request it edited.
  const bool firmware_took_it = tampered.report.has_value();
  conclude(r, std::nullopt, lab, firmware_took_it ? "" : "firmware (AES-256-GCM)");
  if (firmware_took_it) {
    r.verdict = r.control_released ? Verdict::Succeeded : Verdict::Error;
    r.got = "an edited request answered";
  } else if (r.control_released) {
    r.got = wiped && !after.report ? "refused; VMPCK0 wiped" : "refused";
  }
  r.detail = fmt::format("edited request: {}; the guest {} VMPCK0; a later request: {}",
                         outcome_text(tampered), wiped ? "wiped" : "kept", outcome_text(after));
  return r;
}

RpAttackResult rp_vmpl1_vmpck0(const AttestationLab& lab) {
  RpAttackResult r;
  r.attack = "vmpl1-vmpck0";
  std::optional<LiveGuestHandle> g;
  if (!need_live_guest(lab, r, &g)) return r;
  control(lab, r);

  // Protection off: the SVSM left VMPCK0; the VMPL1 component seals with it and claims VMPL 0.
  std::optional<Bytes> leaked;
  {
    auto rp = lab.relying_party();
    AttestAgent component(source(*g, 0, 0));
    const auto x = exchange(*rp, component, lab.secret);
    leaked = x.opened;
    r.evidence["vmpck0_left"] = x.verdict.to_json();
  }
  // Protection on: VMPCK0 zeroed; the component has VMPCK1 only.
  g->svsm_zeroes_vmpck(0);
  const ReportRequestOutcome claim0 = g->request(some_report_data(0x40), 1, 0);
  const ReportRequestOutcome with0 = g->request(some_report_data(0x50), 0, 0);
  auto rp = lab.relying_party();
  AttestAgent component(source(*g, 1, 1));
  const auto x = exchange(*rp, component, lab.secret);
  uint32_t reported_vmpl = ~0u;
  if (x.evidence) reported_vmpl = psp::AttestationReport::parse(x.evidence->report, "report").vmpl;

  r.evidence["vmpck1_claiming_vmpl0"] = outcome_json(claim0);
  r.evidence["vmpck0_after_zeroing"] = outcome_json(with0);
  r.evidence["vmpck1_vmpl1"] = x.verdict.to_json();
  r.evidence["vmpck1_report_vmpl"] = reported_vmpl;
  r.evidence["unprotected_released"] = leaked == lab.secret;
  std::optional<Bytes> got = x.opened;
  if (claim0.report || with0.report) got = lab.secret;  // a VMPL 0 report without VMPCK0
  conclude(r, got, lab, x.verdict.first_failure);
  r.detail = fmt::format(
      "VMPCK0 left: the relying party {}; VMPCK0 zeroed: VMPCK1 claiming VMPL 0: {}, VMPCK0: "
      "{}, VMPCK1's report says VMPL {}: {}",
      leaked == lab.secret ? "released the secret to the VMPL1 component" : "refused it",
      outcome_text(claim0), outcome_text(with0), reported_vmpl,
      x.verdict.accepted ? "accepted" : "refused at " + x.verdict.first_failure);
  return r;
}

}  // namespace cbit::attacks
