// `cbit demo --section snp-attest` (issue 10 §3, "Done when"): the SEV-SNP attestation round
// trip on a live guest (demo/snp_round_trip.h) -- the relying party's every check, the secret it
// releases printed by seed 004's program inside the guest -- then the host's attacks on it
// (attacks/snp_rp_attacks.h on the live path, demo/snp_live_lab.h), each row checked against
// the relying-party check or the firmware rule that must refuse it, next to its control: the
// honest guest gets the secret, and where the protection can be switched off (a relying party
// trusting the evidence's ARK, a lower TCB minimum, another expected image, an SVSM that left
// VMPCK0) the attack succeeds.
#include <fmt/format.h>

#include <map>

#include "common/bytes.h"
#include "demo/cpu_overrides.h"
#include "demo/demo.h"
#include "demo/snp_live_lab.h"
#include "demo/snp_round_trip.h"
#include "sw/owner/snp_expected_measurement.h"

namespace cbit::demo {

namespace {

using attacks::RpAttackResult;
using attacks::Verdict;

constexpr uint64_t kDefaultSeed = 7;

// The relying-party check (or firmware rule) that must refuse each row.
const std::map<std::string, std::string>& refusing_check() {
  static const std::map<std::string, std::string> m = {
      {"report-replay", "nonce"},     {"relay", "report-data"},
      {"forged-report", "root"},      {"tcb-rollback", "tcb"},
      {"other-image", "measurement"}, {"ghcb-tamper", "firmware (AES-256-GCM)"},
      {"vmpl1-vmpck0", "vmpl"}};
  return m;
}

std::string tcb_text(const psp::TcbVersion& t) {
  return fmt::format("{}bootloader {}, tee {}, snp {}, microcode {}",
                     t.fmc ? fmt::format("fmc {}, ", *t.fmc) : "", t.bootloader, t.tee, t.snp,
                     t.microcode);
}

// One exchange against a relying party with `policy`; whether the guest opened the secret.
bool released_with(sw::owner::SnpRpPolicy policy, const sw::guest::GetReportFn& source,
                   const Bytes& secret) {
  sw::owner::SnpRelyingParty rp(std::move(policy));
  sw::guest::AttestAgent agent(source);
  const auto ev = agent.respond(rp.challenge());
  if (!ev || !rp.evaluate(*ev).accepted) return false;
  const auto w = rp.release(secret);
  return w && agent.unwrap(*w) == secret;
}

}  // namespace

Section run_snp_attest(const DemoOptions& opt) {
  Section s;
  s.id = "snp-attest";
  s.title = "SEV-SNP attestation: a relying party, a live guest, the host's attacks (issue 10)";

  SnpPlatformOptions po;
  const hw::CpuModel model = resolve_cpu_model(opt.cpu, opt.overrides);
  if (model.fn8000_001f.has(hw::SevFeature::SevSnp)) {
    po.cpu = model;
  } else {
    s.lines.push_back(fmt::format(
        "  ({}: CPUID Fn8000_001F EAX[4]=0: no SEV-SNP; the attestation runs on genoa)", opt.cpu));
  }
  po.seed = opt.seed.value_or(kDefaultSeed);
  SnpPlatform platform(po);
  LiveSnpGuest guest(platform, {}, secret_program_disk());
  const std::string secret = std::to_string(1000003 + (po.seed * 7919) % 8999989);

  // --- the round trip ---
  const SnpRoundTrip rt = run_snp_round_trip(platform, guest, secret);
  s.lines.push_back(fmt::format("platform: {} ({}), SNP firmware TCB {} (committed and reported)",
                                platform.machine().cpu_model().name,
                                platform.machine().cpu_model().marketing,
                                tcb_text(rt.reported_tcb)));
  s.lines.push_back(fmt::format(
      "guest: {} launched as SEV-SNP (ASID {}, 1 vCPU, {} MiB); `cbit measure` expects {}",
      kSnpOvmfPath, guest.vm().asid(), po.guest_ram >> 20, to_hex(rt.expected_measurement)));
  s.lines.push_back("relying party -> guest: a fresh 32-byte nonce");
  s.lines.push_back(
      "guest: attest agent (kernel task): P-384 key, REPORT_DATA = SHA-512(nonce || key); "
      "SNP_GET_EXT_REPORT: /dev/sev-guest (VMPCK0) -> GHCB -> KVM -> SNP_GUEST_REQUEST");
  s.lines.push_back(fmt::format("guest -> relying party: report (MEASUREMENT {}) and VCEK/ASK/ARK",
                                to_hex(rt.measurement)));
  s.lines.push_back("relying party:");
  for (const auto& c : rt.verdict.checks)
    s.lines.push_back(fmt::format("  [{}] {}",
                                  c.status == sw::owner::RpCheck::Status::Pass   ? "PASS"
                                  : c.status == sw::owner::RpCheck::Status::Fail ? "FAIL"
                                                                                 : "skip",
                                  c.name));
  s.lines.push_back(rt.verdict.accepted
                        ? "relying party: accepted; the secret released, wrapped to the guest's key"
                        : "relying party: REFUSED at " + rt.verdict.first_failure);
  s.lines.push_back(fmt::format("[root@guest ~]# ./secret.elf <the released secret>"));
  if (!rt.program.output.empty())
    s.lines.push_back(rt.program.output.substr(0, rt.program.output.find_last_not_of('\n') + 1));

  std::string names;
  bool all_pass = !rt.verdict.checks.empty();
  for (const auto& c : rt.verdict.checks) {
    names += (names.empty() ? "" : ", ") + c.name;
    all_pass = all_pass && c.status == sw::owner::RpCheck::Status::Pass;
  }
  s.check(
      "round trip: the relying party accepted the live report, every check passed (" + names + ")",
      rt.verdict.accepted && all_pass);
  s.check("round trip: the report's MEASUREMENT is `cbit measure`'s digest of the launched OVMF",
          rt.measurement == rt.expected_measurement);
  s.check("round trip: the attest agent opened the released secret in the guest",
          rt.released && rt.opened);
  s.check("round trip: seed 004's program in the guest printed \"My secret is <secret>\"",
          rt.program_printed);
  s.data["round_trip"] = {{"accepted", rt.verdict.accepted},
                          {"checks", names},
                          {"measurement", to_hex(rt.measurement)},
                          {"reported_tcb", tcb_text(rt.reported_tcb)},
                          {"program_printed", rt.program_printed}};

  // --- the attack rows, live ---
  auto live = make_live_attestation_lab(platform, guest, Bytes(secret.begin(), secret.end()));
  std::vector<RpAttackResult> rows;
  for (const auto& info : attacks::rp_attacks()) rows.push_back(info.run(live->lab));
  s.lines.push_back("the host's attacks (every report from a guest's own request):");
  std::string table = attacks::render_rp_attacks_text(rows);
  for (size_t a = 0, b; a < table.size(); a = b + 1) {
    b = table.find('\n', a);
    if (b == std::string::npos) b = table.size();
    s.lines.push_back("  " + table.substr(a, b - a));
  }
  nlohmann::json rows_json = nlohmann::json::array();
  for (const auto& r : rows) {
    const std::string& want = refusing_check().at(r.attack);
    s.check(fmt::format("{}: refused by {}", r.attack, want),
            r.verdict == Verdict::Blocked && r.refused_by == want);
    s.check(r.attack + " control: the honest guest got the secret", r.control_released);
    rows_json.push_back({{"attack", r.attack},
                         {"verdict", attacks::verdict_name(r.verdict)},
                         {"refused_by", r.refused_by},
                         {"control_released", r.control_released}});
    s.lines.push_back(fmt::format("  {}: {}", r.attack, r.detail));
  }
  s.data["attacks"] = rows_json;

  // Controls with the protection off: the same attack then works.
  const auto by_name = [&](const std::string& n) -> const RpAttackResult* {
    for (const auto& r : rows)
      if (r.attack == n) return &r;
    return nullptr;
  };
  const auto* forged = by_name("forged-report");
  s.check(
      "forged-report with the protection off: a relying party trusting the evidence's ARK "
      "releases the secret to the forger",
      forged && forged->evidence.value("naive_rp_released", false));
  const Bytes secret_bytes(secret.begin(), secret.end());
  const auto expected = rt.expected_measurement;
  auto lax_tcb = snp_rp_policy(platform, expected);
  lax_tcb.min_tcb = live->old_tcb;
  s.check(fmt::format("tcb-rollback with the protection off: a relying party whose minimum is "
                      "the older TCB ({}) releases the secret",
                      tcb_text(live->old_tcb)),
          released_with(std::move(lax_tcb), live->lab.old_firmware_guest, secret_bytes));
  const auto other = sw::owner::expected_snp_measurement(live->other_image->plan());
  s.check(
      "other-image with the protection off: a relying party expecting that image releases "
      "the secret",
      released_with(snp_rp_policy(platform, other), live->lab.other_image_guest, secret_bytes));
  const auto* tamper = by_name("ghcb-tamper");
  s.check("ghcb-tamper: the guest driver wiped VMPCK0 and its next request failed",
          tamper && tamper->evidence.value("vmpck0_wiped", false) &&
              !tamper->evidence["later_request"].value("report", true));
  const auto* vmpl = by_name("vmpl1-vmpck0");
  s.check(
      "vmpl1-vmpck0 with the protection off: VMPCK0 left in the secrets page gets a VMPL 0 "
      "report and the secret",
      vmpl && vmpl->evidence.value("unprotected_released", false));
  s.check("vmpl1-vmpck0: with VMPCK0 zeroed, VMPCK1 claiming VMPL 0 is INVALID_PARAM (0x16)",
          vmpl && vmpl->evidence["vmpck1_claiming_vmpl0"].value("status", 0u) == 0x16u);
  return s;
}

}  // namespace cbit::demo
