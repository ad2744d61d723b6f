#include "attacks/snp_rp_attacks.h"

#include <fmt/format.h>

#include <optional>

#include "attacks/snp_forged_chain.h"
#include "attacks/snp_rp_exchange.h"
#include "psp/certs/cert_io.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"
#include "psp/snp/cert_table.h"
#include "sw/attest/report_binding.h"
#include "sw/attest/secret_wrap.h"

namespace cbit::attacks {

namespace rp_detail {

using sw::guest::AttestAgent;
using sw::owner::SnpRelyingParty;

// challenge -> respond -> evaluate -> release -> unwrap, for one guest.
Exchange exchange(SnpRelyingParty& rp, AttestAgent& agent, ByteSpan secret) {
  Exchange x;
  x.evidence = agent.respond(rp.challenge());
  if (!x.evidence) {
    x.verdict.fail("guest", "the guest's report request failed");
    return x;
  }
  x.verdict = rp.evaluate(*x.evidence);
  if (auto w = rp.release(secret)) x.opened = agent.unwrap(*w);
  return x;
}

// The control every row starts with: the expected guest gets the secret.
void control(const AttestationLab& lab, RpAttackResult& r) {
  auto rp = lab.relying_party();
  AttestAgent agent(lab.guest);
  const Exchange x = exchange(*rp, agent, lab.secret);
  r.control_released = x.verdict.accepted && x.opened == lab.secret;
  r.control_detail =
      r.control_released
          ? "the expected guest passed every check and opened the secret"
          : "the expected guest was refused: " + x.verdict.first_failure + ": " + x.verdict.reason;
  r.evidence["control"] = x.verdict.to_json();
}

// Verdict from what the attacker holds; Error when the control failed (the row then proves
// nothing).
void conclude(RpAttackResult& r, const std::optional<Bytes>& attacker_plaintext,
              const AttestationLab& lab, const std::string& refused_by) {
  r.refused_by = refused_by;
  if (!r.control_released) {
    r.verdict = Verdict::Error;
    r.got = "control failed";
    return;
  }
  if (attacker_plaintext && *attacker_plaintext == lab.secret) {
    r.verdict = Verdict::Succeeded;
    r.got = "the secret";
  } else {
    r.verdict = Verdict::Blocked;
    r.got = refused_by.empty() ? "ciphertext only" : "refused: " + refused_by;
  }
}

}  // namespace rp_detail

namespace {

using rp_detail::conclude;
using rp_detail::control;
using rp_detail::exchange;
using rp_detail::Exchange;
using sw::attest::SnpEvidence;
using sw::guest::AttestAgent;
using sw::owner::RpVerdict;
using sw::owner::SnpRelyingParty;

// Unwraps what the RP releases after `v` with `key` (the attacker's) for `report`.
std::optional<Bytes> attacker_unwrap(SnpRelyingParty& rp, const RpVerdict& v, EVP_PKEY* key,
                                     ByteSpan report, ByteSpan secret) {
  if (!v.accepted) return std::nullopt;
  auto w = rp.release(secret);
  if (!w) return std::nullopt;
  const psp::AttestationReport r = psp::AttestationReport::parse(report, "report");
  return sw::attest::unwrap_secret(*w, key, r.report_id, r.measurement);
}

// A genuine guest on a platform the host changed: the attack is the honest exchange itself.
RpAttackResult host_changed_platform(const AttestationLab& lab, const char* name,
                                     const sw::guest::GetReportFn& source) {
  RpAttackResult r;
  r.attack = name;
  control(lab, r);
  auto rp = lab.relying_party();
  AttestAgent agent(source);
  const Exchange x = exchange(*rp, agent, lab.secret);
  r.evidence["attack"] = x.verdict.to_json();
  // The host controls this platform: whatever the guest opens, the host can take.
  conclude(r, x.opened, lab, x.verdict.first_failure);
  r.detail = x.verdict.accepted ? "the relying party released the secret"
                                : "refused at " + x.verdict.first_failure + ": " + x.verdict.reason;
  return r;
}

psp::X509Ptr cert_from(const std::vector<psp::snp::CertEntry>& t, const psp::snp::CertGuid& guid) {
  for (const auto& e : t)
    if (e.guid == guid) return psp::parse_certificate(e.data, "genuine chain");
  return nullptr;
}

sw::owner::SnpRpPolicy with_root(const sw::owner::SnpRpPolicy& p, const X509* ark) {
  sw::owner::SnpRpPolicy q;
  q.trusted_ark.reset(X509_dup(const_cast<X509*>(ark)));
  q.min_tcb = p.min_tcb;
  q.min_abi_major = p.min_abi_major;
  q.min_abi_minor = p.min_abi_minor;
  q.allow_debug = p.allow_debug;
  q.allow_migrate_ma = p.allow_migrate_ma;
  q.allow_smt = p.allow_smt;
  q.require_single_socket = p.require_single_socket;
  q.expected_measurement = p.expected_measurement;
  q.allowed_vmpls = p.allowed_vmpls;
  q.accept_vcek = p.accept_vcek;
  q.accept_vlek = p.accept_vlek;
  q.nonce_lifetime = p.nonce_lifetime;
  return q;
}

}  // namespace

nlohmann::json RpAttackResult::to_json() const {
  return {{"attack", attack},
          {"verdict", verdict_name(verdict)},
          {"refused_by", refused_by},
          {"got", got},
          {"detail", detail},
          {"control_released", control_released},
          {"control_detail", control_detail},
          {"evidence", evidence}};
}

RpAttackResult rp_report_replay(const AttestationLab& lab) {
  RpAttackResult r;
  r.attack = "report-replay";
  auto rp = lab.relying_party();
  // The recorded exchange: a genuine guest, accepted once. The attacker saw it on the wire and,
  // at worst, later learnt that session's private key (the agent holds it here).
  AttestAgent old_session(lab.guest);
  const Exchange first = exchange(*rp, old_session, lab.secret);
  r.control_released = first.verdict.accepted && first.opened == lab.secret;
  r.control_detail = r.control_released ? "the recorded exchange itself was accepted once"
                                        : "the first exchange was refused: " + first.verdict.reason;
  r.evidence["control"] = first.verdict.to_json();
  if (!first.evidence) {
    conclude(r, std::nullopt, lab, "");
    return r;
  }
  // 1. The same evidence again.
  const RpVerdict again = rp->evaluate(*first.evidence);
  std::optional<Bytes> got;
  if (again.accepted) {
    if (auto w = rp->release(lab.secret)) got = old_session.unwrap(*w);
  }
  // 2. The old report under a nonce the relying party just issued.
  SnpEvidence renonced = *first.evidence;
  renonced.nonce = rp->challenge();
  const RpVerdict fresh = rp->evaluate(renonced);
  if (!got && fresh.accepted) {
    if (auto w = rp->release(lab.secret)) got = old_session.unwrap(*w);
  }
  r.evidence["replayed"] = again.to_json();
  r.evidence["replayed_with_new_nonce"] = fresh.to_json();
  conclude(r, got, lab, again.first_failure);
  r.detail = fmt::format("same evidence: refused at {}; old report with a new nonce: refused at {}",
                         again.first_failure.empty() ? "(accepted)" : again.first_failure,
                         fresh.first_failure.empty() ? "(accepted)" : fresh.first_failure);
  return r;
}

RpAttackResult rp_relay(const AttestationLab& lab) {
  RpAttackResult r;
  r.attack = "relay";
  control(lab, r);
  auto rp = lab.relying_party();
  psp::PkeyPtr attacker_key = sw::attest::generate_p384_key();
  AttestAgent victim(lab.guest);
  std::optional<Bytes> got;

  // 1. The attacker forwards the nonce to the genuine guest and swaps in its own key.
  auto ev = victim.respond(rp->challenge());
  RpVerdict swapped;
  if (ev) {
    ev->guest_public_key = sw::attest::spki_der(attacker_key.get());
    swapped = rp->evaluate(*ev);
    got = attacker_unwrap(*rp, swapped, attacker_key.get(), ev->report, lab.secret);
  }
  // 2. It relays the genuine evidence unchanged and tries to open what comes back.
  auto ev2 = victim.respond(rp->challenge());
  RpVerdict relayed;
  if (ev2) {
    relayed = rp->evaluate(*ev2);
    if (!got) got = attacker_unwrap(*rp, relayed, attacker_key.get(), ev2->report, lab.secret);
  }
  r.evidence["key_swapped"] = swapped.to_json();
  r.evidence["relayed_unchanged"] = relayed.to_json();
  r.evidence["unchanged_accepted"] = relayed.accepted;
  conclude(r, got, lab, swapped.first_failure);
  r.detail = fmt::format(
      "own key in the evidence: refused at {}; genuine evidence relayed: {}, and the secret "
      "came back wrapped to the genuine guest's key, which the attacker cannot open",
      swapped.first_failure.empty() ? "(accepted)" : swapped.first_failure,
      relayed.accepted ? "accepted" : "refused at " + relayed.first_failure);
  return r;
}

RpAttackResult rp_forged_report(const AttestationLab& lab) {
  RpAttackResult r;
  r.attack = "forged-report";
  control(lab, r);
  // The genuine chain and a genuine report of the expected guest: the host sees both.
  auto genuine = lab.guest(sw::attest::ReportData{});
  if (!genuine) {  // no genuine report to copy: the row cannot run
    r.control_released = false;
    conclude(r, std::nullopt, lab, "");
    return r;
  }
  const auto table =
      psp::snp::cert_table_parse(genuine->cert_table).value_or(std::vector<psp::snp::CertEntry>{});
  psp::X509Ptr ark = cert_from(table, psp::snp::cert_guid_ark());
  psp::X509Ptr ask = cert_from(table, psp::snp::cert_guid_ask());
  psp::X509Ptr vcek = cert_from(table, psp::snp::cert_guid_vcek());
  if (!ark || !ask || !vcek) {
    r.verdict = Verdict::Error;
    r.got = "no genuine chain";
    return r;
  }
  ForgedChain forged = forge_chain(ark.get(), ask.get(), vcek.get(), lab.attacker_rsa_key("ark"),
                                   lab.attacker_rsa_key("ask"));
  psp::PkeyPtr attacker_key = sw::attest::generate_p384_key();

  // The report a genuine guest would get, with the attacker's key bound and its signature.
  auto forge_evidence = [&](SnpRelyingParty& rp, bool with_ark) {
    SnpEvidence e;
    e.nonce = rp.challenge();
    e.guest_public_key = sw::attest::spki_der(attacker_key.get());
    psp::AttestationReport rep = psp::AttestationReport::parse(genuine->report, "genuine report");
    rep.report_data = sw::attest::report_data_for(e.nonce, e.guest_public_key);
    rep.report_id[0] ^= 0x5A;  // a guest of the attacker's imagination
    e.report = rep.serialize();
    psp::sign_report(e.report, forged.vcek_key.get());
    std::vector<psp::snp::CertEntry> t = {
        {psp::snp::cert_guid_vcek(), psp::certificate_der(forged.vcek.get())},
        {psp::snp::cert_guid_ask(), psp::certificate_der(forged.ask.get())}};
    if (with_ark) t.push_back({psp::snp::cert_guid_ark(), psp::certificate_der(forged.ark.get())});
    e.cert_table = psp::snp::cert_table_build(t);
    return e;
  };

  auto rp = lab.relying_party();
  const SnpEvidence with_ark = forge_evidence(*rp, true);
  const RpVerdict v1 = rp->evaluate(with_ark);
  std::optional<Bytes> got =
      attacker_unwrap(*rp, v1, attacker_key.get(), with_ark.report, lab.secret);
  const SnpEvidence no_ark = forge_evidence(*rp, false);
  const RpVerdict v2 = rp->evaluate(no_ark);
  if (!got) got = attacker_unwrap(*rp, v2, attacker_key.get(), no_ark.report, lab.secret);

  // What the forgery is worth against a verifier that trusts the ARK the evidence brings.
  SnpRelyingParty naive(with_root(rp->policy(), forged.ark.get()));
  const SnpEvidence for_naive = forge_evidence(naive, true);
  const RpVerdict v3 = naive.evaluate(for_naive);
  const auto naive_got =
      attacker_unwrap(naive, v3, attacker_key.get(), for_naive.report, lab.secret);

  r.evidence["forged_with_ark"] = v1.to_json();
  r.evidence["forged_without_ark"] = v2.to_json();
  r.evidence["naive_rp_trusting_the_evidence_ark"] = v3.to_json();
  r.evidence["naive_rp_released"] = naive_got == lab.secret;
  r.evidence["forged_ark_subject"] = psp::subject_line(forged.ark.get());
  conclude(r, got, lab, v1.first_failure);
  r.detail = fmt::format(
      "forged chain with the chip's names: refused at {} (with its ARK) and {} (without); a "
      "relying party trusting the evidence's ARK would have {}",
      v1.first_failure.empty() ? "(accepted)" : v1.first_failure,
      v2.first_failure.empty() ? "(accepted)" : v2.first_failure,
      naive_got == lab.secret ? "released the secret" : "refused it too");
  return r;
}

RpAttackResult rp_tcb_rollback(const AttestationLab& lab) {
  return host_changed_platform(lab, "tcb-rollback", lab.old_firmware_guest);
}

RpAttackResult rp_other_image(const AttestationLab& lab) {
  return host_changed_platform(lab, "other-image", lab.other_image_guest);
}

const std::vector<RpAttackInfo>& rp_attacks() {
  static const std::vector<RpAttackInfo> rows = {
      {"report-replay", "report replay",
       "send a recorded, once-accepted report again (same nonce, or a fresh nonce)",
       "SNP-FACTS.md §7 (bind REPORT_DATA to a nonce; snpverify MITIGATIONS.md)",
       &rp_report_replay},
      {"relay", "relay to another guest",
       "present guest A's genuine report with the attacker's key, or relay it unchanged",
       "the cuckoo attack (Parno, HotSec 2008); SNP-FACTS.md §7", &rp_relay},
      {"forged-report", "forged report, self-made chain",
       "sign a report with a chain that copies the chip's names, serials and extensions",
       "issue 10 §4 (a verifier trusting any ARK); One Glitch to Rule Them All (Buhren et al., "
       "CCS 2021) for what a real extracted key would do",
       &rp_forged_report},
      {"tcb-rollback", "TCB rollback",
       "run the guest on SNP firmware older than the relying party's minimum",
       "AMD-SB-3005 (CacheWarp), AMD-SB-3020 (RMPocalypse): fixes raise the SVN a verifier must "
       "demand",
       &rp_tcb_rollback},
      {"other-image", "another image", "launch another image than the one the owner measured",
       "SNP ABI §8.17.2 (launch digest); BadAML (SNP-FACTS.md §7): only the measurement helps",
       &rp_other_image},
      {"ghcb-tamper", "GHCB request tamper",
       "edit the encrypted SNP_GUEST_REQUEST in the GHCB; AES-256-GCM under the VMPCK refuses it",
       "SNP-FACTS.md §3.1; Linux sev-guest \"Disabling VMPCK%d communication key to prevent IV "
       "reuse\"",
       &rp_ghcb_tamper, "a live guest (AttestationLab::fresh_guest)"},
      {"vmpl1-vmpck0", "VMPL1 asks with VMPCK0",
       "a VMPL1 component left VMPCK0 (an SVSM that did not zero it) requests a report claiming "
       "VMPL 0",
       "SNP-FACTS.md §3.1 [FIX]; SNP ABI MSG_REPORT_REQ (VMPL >= the message's VMPCK)",
       &rp_vmpl1_vmpck0, "a live guest (AttestationLab::fresh_guest)"},
  };
  return rows;
}

std::string render_rp_attacks_text(const std::vector<RpAttackResult>& rows) {
  std::string out = fmt::format("{:<15} {:<8} {:<30} {}\n", "attack", "works?", "got", "control");
  for (const auto& r : rows)
    out += fmt::format("{:<15} {:<8} {:<30} {}\n", r.attack,
                       r.verdict == Verdict::Succeeded ? "YES"
                       : r.verdict == Verdict::Blocked ? "no"
                                                       : "ERR",
                       r.got, r.control_released ? "secret released" : "FAILED");
  return out;
}

}  // namespace cbit::attacks
