#include "sw/owner/snp_relying_party.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>

#include "common/error.h"
#include "psp/certs/ossl.h"
#include "psp/report/attestation_report.h"
#include "sw/attest/report_binding.h"
#include "sw/owner/snp_rp_authenticity.h"

namespace cbit::sw::owner {

using namespace cbit::psp;
using TimePoint = std::chrono::steady_clock::time_point;

namespace {

// "snp 8 < 14" for each component below the minimum; empty when none is.
std::string tcb_shortfall(const TcbVersion& t, const TcbVersion& min) {
  std::string out;
  auto cmp = [&](const char* name, uint8_t have, uint8_t want) {
    if (have < want) out += fmt::format("{}{} {} < {}", out.empty() ? "" : ", ", name, have, want);
  };
  if (min.fmc) cmp("fmc", t.fmc.value_or(0), *min.fmc);
  cmp("bl", t.bootloader, min.bootloader);
  cmp("tee", t.tee, min.tee);
  cmp("snp", t.snp, min.snp);
  cmp("ucode", t.microcode, min.microcode);
  return out;
}

void check_tcb(RpVerdict& v, const AttestationReport& r, const TcbVersion& min) {
  const std::pair<const char*, uint64_t> tcbs[] = {{"REPORTED_TCB", r.reported_tcb},
                                                   {"CURRENT_TCB", r.current_tcb},
                                                   {"COMMITTED_TCB", r.committed_tcb}};
  for (const auto& [name, raw] : tcbs) {
    const std::string s = tcb_shortfall(r.tcb(raw), min);
    if (!s.empty()) {
      v.fail("tcb", fmt::format("{} {} is below the minimum {} ({}): older firmware", name,
                                to_string(r.tcb(raw)), to_string(min), s));
      return;
    }
  }
  v.pass("tcb", fmt::format("REPORTED_TCB {} >= minimum {} (CURRENT and COMMITTED too)",
                            to_string(r.tcb(r.reported_tcb)), to_string(min)));
}

void check_policy(RpVerdict& v, uint64_t policy, const SnpRpPolicy& p) {
  namespace sp = snp_policy;
  std::vector<std::string> bad;
  if (policy & sp::kReservedMask)
    bad.push_back(fmt::format("reserved bits 63:26 set ({:#x})", policy & sp::kReservedMask));
  if (!(policy & sp::kMbo)) bad.push_back("bit 17 (must be one) is clear");
  if ((policy & sp::kDebug) && !p.allow_debug)
    bad.push_back("DEBUG (bit 19) is allowed: the host may decrypt the guest");
  if ((policy & sp::kMigrateMa) && !p.allow_migrate_ma)
    bad.push_back("MIGRATE_MA (bit 18) is allowed: a migration agent may export the guest");
  if ((policy & sp::kSmt) && !p.allow_smt) bad.push_back("SMT (bit 16) is allowed");
  if (!(policy & sp::kSingleSocket) && p.require_single_socket)
    bad.push_back("SINGLE_SOCKET (bit 20) is not required");
  const unsigned major = (policy >> 8) & 0xFF, minor = policy & 0xFF;
  if (major < p.min_abi_major || (major == p.min_abi_major && minor < p.min_abi_minor))
    bad.push_back(fmt::format("ABI {}.{} is below the minimum {}.{}", major, minor, p.min_abi_major,
                              p.min_abi_minor));
  if (bad.empty())
    v.pass("policy", fmt::format("POLICY {:#x} meets the relying party's rules", policy));
  else
    v.fail("policy", fmt::format("POLICY {:#x}: {}", policy, bad.front()) +
                         (bad.size() > 1 ? fmt::format(" (+{} more)", bad.size() - 1) : ""));
}

}  // namespace

SnpRelyingParty::SnpRelyingParty(SnpRpPolicy policy, Clock clock)
    : policy_(std::move(policy)), clock_(std::move(clock)) {
  if (!policy_.trusted_ark)
    throw InputError("relying party: no trusted ARK (a root from the evidence is never trusted)");
  if (!policy_.expected_measurement)
    throw InputError("relying party: no expected measurement (compute it with `cbit measure`)");
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

Bytes SnpRelyingParty::challenge() {
  const TimePoint now = clock_();
  std::erase_if(outstanding_, [&](const auto& kv) { return kv.second <= now; });
  std::erase_if(spent_, [&](const auto& kv) { return kv.second <= now; });
  Bytes nonce(attest::kNonceSize);
  ossl_check(RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) == 1, "RP nonce");
  outstanding_[to_hex(nonce)] = now + policy_.nonce_lifetime;
  return nonce;
}

void SnpRelyingParty::check_nonce(RpVerdict& v, const Bytes& nonce) {
  const TimePoint now = clock_();
  const std::string key = to_hex(nonce);
  auto it = outstanding_.find(key);
  if (it == outstanding_.end()) {
    if (spent_.count(key))
      v.fail("nonce", "this nonce was already used: a replayed report");
    else
      v.fail("nonce", "this relying party never issued this nonce (or it expired and was dropped)");
    return;
  }
  const TimePoint expiry = it->second;
  outstanding_.erase(it);  // single use, whatever the verdict
  spent_[key] = expiry;
  if (expiry <= now)
    v.fail("nonce",
           fmt::format("the nonce expired (lifetime {} s)", policy_.nonce_lifetime.count()));
  else
    v.pass("nonce", "issued by this relying party, first use, not expired");
}

RpVerdict SnpRelyingParty::evaluate(const SnpEvidence& e) {
  accepted_.reset();
  RpVerdict v;
  std::optional<AttestationReport> report;
  try {
    // On success "format" is recorded by check_authenticity, with the verifier's rules.
    report = AttestationReport::parse(e.report, "report");
  } catch (const InputError& err) {
    v.fail("format", err.what());
    for (const char* c :
         {"signing-key", "certificates", "root", "chain", "signature", "vcek-binding"})
      v.skip(c, "no report");
  }

  if (report)
    check_authenticity(v, e.report, *report, e.cert_table,
                       {policy_.trusted_ark.get(), policy_.accept_vcek, policy_.accept_vlek});

  PkeyPtr guest_key = attest::parse_p384_spki(e.guest_public_key);
  if (!report)
    v.skip("report-data", "no report");
  else if (!guest_key)
    v.fail("report-data", "the guest's public key is not a DER EC P-384 SubjectPublicKeyInfo");
  else if (e.nonce.size() != attest::kNonceSize)
    v.fail("report-data",
           fmt::format("the nonce is {} bytes, not {}", e.nonce.size(), attest::kNonceSize));
  else if (attest::report_data_for(e.nonce, e.guest_public_key) != report->report_data)
    v.fail("report-data",
           "REPORT_DATA is not SHA-512(nonce || guest key): the report was made for another "
           "nonce or another key");
  else
    v.pass("report-data", "REPORT_DATA = SHA-512(nonce || guest key SPKI)");

  check_nonce(v, e.nonce);

  if (!report) {
    for (const char* c : {"tcb", "policy", "measurement", "vmpl"}) v.skip(c, "no report");
    v.finish();
    return v;
  }
  check_tcb(v, *report, policy_.min_tcb);
  check_policy(v, report->policy, policy_);
  if (report->measurement == *policy_.expected_measurement)
    v.pass("measurement", "MEASUREMENT equals the expected launch digest " +
                              to_hex(ByteSpan(report->measurement).first(8)) + "...");
  else
    v.fail("measurement",
           fmt::format("MEASUREMENT {}... is not the expected {}...: another image or launch",
                       to_hex(ByteSpan(report->measurement).first(8)),
                       to_hex(ByteSpan(*policy_.expected_measurement).first(8))));
  const auto& vm = policy_.allowed_vmpls;
  if (report->vmpl == kHostRequestedVmpl)
    v.fail("vmpl", "VMPL 0xFFFFFFFF: a report the host requested, not the guest");
  else if (std::find(vm.begin(), vm.end(), report->vmpl) == vm.end())
    v.fail("vmpl", fmt::format("VMPL {} is not an allowed level", report->vmpl));
  else
    v.pass("vmpl", fmt::format("VMPL {}", report->vmpl));

  v.finish();
  if (v.accepted)
    accepted_ = Accepted{std::move(guest_key), report->report_id, report->measurement};
  return v;
}

std::optional<attest::WrappedSecret> SnpRelyingParty::release(ByteSpan secret) {
  if (!accepted_) return std::nullopt;
  attest::WrappedSecret w = attest::wrap_secret(secret, accepted_->guest_key.get(),
                                                accepted_->report_id, accepted_->measurement);
  accepted_.reset();
  return w;
}

}  // namespace cbit::sw::owner
