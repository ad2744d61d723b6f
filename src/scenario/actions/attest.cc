// SEV-SNP attestation as scenario steps (issue 10 §3, issue 11 §1; docs/attestation.md): the
// round trip of demo/snp_round_trip.h and the host's attacks of attacks/snp_rp_attacks.h, split
// so that a file can vary each part: which guest image the host launches, which policy the
// relying party holds, which TCB the firmware reports, which VMPCK and VMPL the guest's
// request uses, which attacks the host runs.
//
//  - `snp-platform`: an SNP host (the BIOS reserved the RMP, SNP_INIT, KVM) with the machine's
//    KDS stand-in and Debian's OVMF (demo/snp_live_guest.h); on a CPU without SEV-SNP it runs on
//    `fallback` and says so.
//  - `attest-guest`: a guest launched from that OVMF (or one with a byte of its code changed, as
//    a host building its own firmware would) as QEMU does for SEV-SNP, with a program on its disk.
//  - `relying-party`: the party holding the secret (sw/owner/snp_relying_party.h): it trusts the
//    KDS's ARK, demands a minimum TCB and an expected MEASUREMENT, allows VMPLs up to a bound.
//  - `attest`: nonce -> the guest's attest agent -> SNP_GET_EXT_REPORT through /dev/sev-guest,
//    the GHCB, KVM and SNP_GUEST_REQUEST -> every check of the relying party -> the secret
//    wrapped to the agent's key -> opened in the guest -> the guest kernel runs the program
//    with it. Result: the verdict, each check's outcome, released / opened, the program's output.
//  - `attest-attack`: the host's attack rows on this guest (report-replay, relay,
//    forged-report, tcb-rollback, other-image, ghcb-tamper, vmpl1-vmpck0), each with its
//    control (the honest guest gets the secret) and its evidence, including the row's
//    protection-off case where the row has one.
//
// Nothing here reads a VMPCK, the VCEK's private key or the secret's wrapping key; results hold
// verdicts, digests and the program's output only.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "attacks/snp_rp_attacks.h"
#include "common/bytes.h"
#include "common/error.h"
#include "common/file.h"
#include "demo/cpu_overrides.h"
#include "demo/snp_live_guest.h"
#include "demo/snp_live_lab.h"
#include "demo/snp_round_trip.h"
#include "scenario/actions/attack.h"
#include "scenario/run.h"
#include "sw/hv/devices.h"
#include "sw/owner/snp_expected_measurement.h"
#include "x86/guest_programs.h"

namespace cbit::scenario {

namespace {

using demo::LiveSnpGuest;
using demo::SnpPlatform;
using sw::owner::RpCheck;

constexpr uint64_t kDefaultSeed = 7;  // the attestation demo's machine
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kMinGuestRam = 16 * kMiB, kMaxGuestRam = 64 * kMiB;
constexpr uint64_t kMaxVmpl = 3;  // VMPL0..VMPL3

// A guest on the platform, and the host's attack lab around it (made by `attest-attack`).
struct AttestGuest {
  SnpPlatform* platform = nullptr;
  std::string image;    // "expected" or "other"
  std::string program;  // the file on its disk ("secret.elf"), or ""
  std::unique_ptr<LiveSnpGuest> guest;
  std::string lab_secret;
  std::unique_ptr<demo::LiveAttestationLab> lab;  // after `guest`: goes first
};

struct RelyingParty {
  SnpPlatform* platform = nullptr;
  std::unique_ptr<sw::owner::SnpRelyingParty> rp;
};

// "platform", "guest other", "attest off.rt": the transcript's label for the current step.
std::string tag(const Run& run, const char* what, bool with_id = true) {
  std::string t = run.case_id();
  if (with_id && !run.step_id().empty() && run.step_id() != what)
    t += (t.empty() ? "" : ".") + run.step_id();
  return t.empty() ? std::string(what) : fmt::format("{} {}", what, t);
}

std::string tcb_text(const psp::TcbVersion& t) {
  return fmt::format("{}bootloader {}, tee {}, snp {}, microcode {}",
                     t.fmc ? fmt::format("fmc {}, ", *t.fmc) : "", t.bootloader, t.tee, t.snp,
                     t.microcode);
}
nlohmann::json tcb_json(const psp::TcbVersion& t) {
  nlohmann::json j = {
      {"bootloader", t.bootloader}, {"tee", t.tee}, {"snp", t.snp}, {"microcode", t.microcode}};
  if (t.fmc) j["fmc"] = *t.fmc;
  return j;
}

template <class T>
T& object_arg(const Args& a, Run& run, std::string_view key, std::string_view what,
              const char* maker) {
  if (a.has(key)) return run.get<T>(a, key, what);
  if (T* t = run.latest<T>()) return *t;
  throw InputError(fmt::format("{}: no {} yet: add a step with do = \"{}\" first", a.where(key),
                               what.substr(what.find(' ') + 1), maker));
}

SnpPlatform& platform_arg(const Args& a, Run& run) {
  return object_arg<SnpPlatform>(a, run, "platform", "an SNP platform", "snp-platform");
}
AttestGuest& guest_arg(const Args& a, Run& run) {
  return object_arg<AttestGuest>(a, run, "guest", "an attest-guest", "attest-guest");
}

std::vector<std::string> cpu_names() {
  std::vector<std::string> n;
  for (const auto& m : hw::cpu_model_presets()) n.push_back(m.name);
  return n;
}

void check_bound(const Args& a, std::string_view key, uint64_t hi) {
  if (a.has(key) && a.u64(key) > hi)
    throw InputError(fmt::format("{}: {}; choose 0 to {}", a.where(key), a.u64(key), hi));
}

// ---- snp-platform ----

void check_platform(const Args& a) {
  for (const auto& s : a.strings("set")) {
    try {
      demo::check_set_assignment(s);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", a.where("set"), e.what()));
    }
  }
  const uint64_t ram = a.size("guest_ram", kMinGuestRam);
  if (ram < kMinGuestRam || ram > kMaxGuestRam || ram % (2 * kMiB))
    throw InputError(fmt::format("{}: {} bytes; a guest has a multiple of 2M from 16M to 64M",
                                 a.where("guest_ram"), ram));
  const std::string fb = a.str("fallback");
  const auto names = cpu_names();
  if (!fb.empty() && std::find(names.begin(), names.end(), fb) == names.end())
    throw InputError(fmt::format("{}: unknown CPU preset '{}' (known: {})", a.where("fallback"), fb,
                                 fmt::join(names, ", ")));
}

nlohmann::json make_platform(const Args& a, Run& run) {
  const std::string cpu = a.str("cpu", run.options().cpu.empty() ? "genoa" : run.options().cpu);
  std::vector<std::string> sets = a.strings("set");
  for (const auto& s : run.options().overrides) sets.push_back(s);
  hw::CpuModel model;
  try {
    model = demo::resolve_cpu_model(cpu, sets);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", a.where(a.has("set") ? "set" : "cpu"), e.what()));
  }
  const std::string fallback = a.str("fallback", "genoa");
  if (!model.fn8000_001f.has(hw::SevFeature::SevSnp) && !fallback.empty()) {
    run.say(fmt::format("({}: CPUID Fn8000_001F EAX[4]=0: no SEV-SNP; the attestation runs on {})",
                        model.name, fallback));
    model = hw::cpu_model_by_name(fallback);
  }
  demo::SnpPlatformOptions po;
  po.cpu = model;
  po.seed = a.has("seed") ? a.u64("seed") : run.options().seed.value_or(kDefaultSeed);
  po.guest_ram = a.size("guest_ram", kMinGuestRam);
  po.ovmf_path = a.str("ovmf", demo::kSnpOvmfPath);
  if (!std::filesystem::is_regular_file(po.ovmf_path))
    throw InputError(
        fmt::format("{}: {}: no OVMF image (Debian's ovmf package) to launch SNP "
                    "guests from",
                    a.where("ovmf"), po.ovmf_path));
  std::shared_ptr<SnpPlatform> p;
  try {
    p = std::make_shared<SnpPlatform>(po);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", a.where(a.has("ovmf") ? "ovmf" : "cpu"), e.what()));
  }
  SnpPlatform& platform = run.keep(p);
  const psp::TcbVersion tcb = platform.reported_tcb();
  const auto expected = SnpPlatform::expected_measurement(platform.ovmf());
  run.say(fmt::format("{}: {} ({}), SNP firmware TCB {} (committed and reported)",
                      tag(run, "platform"), platform.machine().cpu_model().name,
                      platform.machine().cpu_model().marketing, tcb_text(tcb)));
  return {{"cpu", platform.machine().cpu_model().name},
          {"seed", po.seed},
          {"tcb", tcb_json(tcb)},
          {"tcb_text", tcb_text(tcb)},
          {"expected_measurement", to_hex(expected)}};
}

// ---- attest-guest ----

Bytes program_disk(const Args& a, const std::string& prog, std::string* file) {
  if (prog.empty()) return {};
  const bool path = prog.find('/') != std::string::npos;
  try {
    const std::string where = path ? prog : x86::find_guest_program(prog);
    *file = path ? where.substr(where.rfind('/') + 1) : prog + ".elf";
    return sw::hv::make_cbit_disk(read_file(where, uint64_t(64) << 20), *file);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", a.where("disk_program"), e.what()));
  }
}

nlohmann::json make_guest(const Args& a, Run& run) {
  SnpPlatform& p = platform_arg(a, run);
  auto g = std::make_shared<AttestGuest>();
  g->platform = &p;
  g->image = a.str("image", "expected");
  Bytes disk = program_disk(a, a.str("disk_program", "secret"), &g->program);
  Bytes image = g->image == "other" ? demo::other_ovmf_image(p.ovmf()) : Bytes{};
  try {
    g->guest = std::make_unique<LiveSnpGuest>(p, std::move(image), std::move(disk));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", a.where("image"), e.what()));
  }
  AttestGuest& guest = run.keep(g);
  const auto digest = guest.guest->launch_digest();
  const auto expected = SnpPlatform::expected_measurement(p.ovmf());
  run.say(fmt::format(
      "{}: {}{} launched as SEV-SNP (ASID {}, 1 vCPU, {} MiB){}; `cbit measure` expects {}",
      tag(run, "guest"), p.options().ovmf_path,
      guest.image == "other" ? " with one byte of its code changed" : "", guest.guest->vm().asid(),
      p.options().guest_ram >> 20,
      guest.program.empty() ? "" : ", ./" + guest.program + " on its disk", to_hex(expected)));
  if (digest != expected) run.say("  its launch digest is " + to_hex(digest));
  return {{"asid", guest.guest->vm().asid()},
          {"image", guest.image},
          {"program", guest.program},
          {"measurement", to_hex(digest)},
          {"expected_measurement", to_hex(expected)},
          {"measurement_matches", digest == expected}};
}

// ---- relying-party ----

std::optional<std::array<uint8_t, 48>> hex_measurement(const std::string& s) {
  if (s.size() != 96) return std::nullopt;
  std::array<uint8_t, 48> m{};
  for (size_t i = 0; i < 48; ++i) {
    unsigned v = 0;
    for (size_t k = 0; k < 2; ++k) {
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[2 * i + k])));
      if (c >= '0' && c <= '9')
        v = v * 16 + unsigned(c - '0');
      else if (c >= 'a' && c <= 'f')
        v = v * 16 + unsigned(c - 'a' + 10);
      else
        return std::nullopt;
    }
    m[i] = static_cast<uint8_t>(v);
  }
  return m;
}

void check_rp(const Args& a) {
  const std::string m = a.str("measurement", "expected");
  if (m != "expected" && m != "other" && !hex_measurement(m))
    throw InputError(a.where("measurement") +
                     ": \"expected\", \"other\" or a launch digest of 96 hex digits");
  check_bound(a, "max_vmpl", kMaxVmpl);
}

nlohmann::json make_rp(const Args& a, Run& run) {
  SnpPlatform& p = platform_arg(a, run);
  const std::string m = a.str("measurement", "expected");
  std::array<uint8_t, 48> expected{};
  if (m == "expected")
    expected = SnpPlatform::expected_measurement(p.ovmf());
  else if (m == "other")
    expected = SnpPlatform::expected_measurement(demo::other_ovmf_image(p.ovmf()));
  else
    expected = *hex_measurement(m);
  sw::owner::SnpRpPolicy policy = demo::snp_rp_policy(p, expected);
  const bool older = a.str("min_tcb", "committed") == "older";
  if (older) policy.min_tcb = demo::older_tcb(p.committed_tcb());
  policy.allowed_vmpls.clear();
  for (uint32_t v = 0; v <= a.u64("max_vmpl", 0); ++v) policy.allowed_vmpls.push_back(v);
  policy.allow_debug = a.flag("allow_debug");
  const psp::TcbVersion min_tcb = policy.min_tcb;
  auto r = std::make_shared<RelyingParty>();
  r->platform = &p;
  r->rp = std::make_unique<sw::owner::SnpRelyingParty>(std::move(policy));
  run.keep(r);
  run.say(fmt::format(
      "{}: trusts the KDS's ARK, demands TCB {}{}, expects MEASUREMENT {}{}, VMPL 0..{}",
      tag(run, "relying party"), tcb_text(min_tcb), older ? " (the older firmware's)" : "",
      to_hex(expected).substr(0, 16) + "..",
      m == "other"      ? " (the changed image's)"
      : m == "expected" ? ""
                        : " (given)",
      a.u64("max_vmpl", 0)));
  return {{"measurement", to_hex(expected)},
          {"min_tcb", tcb_json(min_tcb)},
          {"min_tcb_text", tcb_text(min_tcb)},
          {"max_vmpl", a.u64("max_vmpl", 0)},
          {"allow_debug", a.flag("allow_debug")}};
}

// ---- attest ----

void check_attest(const Args& a) {
  check_bound(a, "vmpck", kMaxVmpl);
  check_bound(a, "vmpl", kMaxVmpl);
  if (a.str("secret").empty()) throw InputError(a.where("secret") + ": an empty secret");
  if (a.str("secret").size() > 4096) throw InputError(a.where("secret") + ": at most 4096 bytes");
}

// SNP_CONFIG's REPORTED_TCB set for a scope, the committed TCB restored after it.
class ReportedTcb {
 public:
  ReportedTcb(SnpPlatform& p, const psp::TcbVersion& tcb) : p_(p) {
    if (const int rc = p_.set_reported_tcb(tcb); rc != 0)
      throw std::runtime_error(fmt::format("SNP_CONFIG REPORTED_TCB failed ({:#x})", rc));
  }
  ~ReportedTcb() { p_.set_reported_tcb(std::nullopt); }
  ReportedTcb(const ReportedTcb&) = delete;
  ReportedTcb& operator=(const ReportedTcb&) = delete;

 private:
  SnpPlatform& p_;
};

const char* status_word(RpCheck::Status s) {
  return s == RpCheck::Status::Pass ? "PASS" : s == RpCheck::Status::Fail ? "FAIL" : "skip";
}

nlohmann::json run_attest(const Args& a, Run& run) {
  AttestGuest& g = guest_arg(a, run);
  SnpPlatform& p = *g.platform;
  RelyingParty* rp = nullptr;
  if (a.has("rp")) {
    rp = &run.get<RelyingParty>(a, "rp", "a relying party");
  } else {
    rp = run.latest<RelyingParty>();
  }
  if (rp && rp->platform != &p)
    throw InputError(a.where(a.has("rp") ? "rp" : "guest") +
                     ": the relying party was made for another snp-platform than the guest's");
  const std::string secret = a.str("secret");
  const auto vmpck = static_cast<unsigned>(a.u64("vmpck", 0));
  const auto vmpl = static_cast<uint32_t>(a.u64("vmpl", 0));
  const bool older = a.str("firmware_tcb", "committed") == "older";

  demo::SnpRoundTripSetup setup;
  setup.rp = rp ? rp->rp.get() : nullptr;
  std::optional<ReportedTcb> rolled_back;
  if (older) {
    // The host has the firmware report the older TCB for this exchange (SNP_CONFIG between the
    // guest's runs) and serves that TCB's VCEK with the reports.
    const psp::TcbVersion tcb = demo::older_tcb(p.committed_tcb());
    rolled_back.emplace(p, tcb);
    LiveSnpGuest* lg = g.guest.get();
    setup.source = [&p, lg, tcb, vmpck, vmpl](const sw::attest::ReportData& rd) {
      auto out = lg->request_report(rd, vmpck, vmpl).report;
      if (out) out->cert_table = p.cert_table(tcb);
      return out;
    };
  } else if (vmpck != 0 || vmpl != 0) {
    setup.source = g.guest->report_source(vmpck, vmpl);
  }
  setup.program = a.has("program")    ? a.strings("program")
                  : g.program.empty() ? std::vector<std::string>{}
                                      : std::vector<std::string>{"./" + g.program};
  const demo::SnpRoundTrip rt = demo::run_snp_round_trip(p, *g.guest, secret, setup);

  const bool verbose = a.flag("show_checks", true);
  const std::string who = tag(run, "attest");
  if (verbose) {
    run.say("relying party -> guest: a fresh 32-byte nonce");
    run.say(fmt::format(
        "guest: attest agent (kernel task): P-384 key, REPORT_DATA = SHA-512(nonce || key); "
        "SNP_GET_EXT_REPORT: /dev/sev-guest (VMPCK{}{}) -> GHCB -> KVM -> SNP_GUEST_REQUEST{}",
        vmpck, vmpl ? fmt::format(", VMPL {}", vmpl) : "",
        older ? " (the host has SNP_CONFIG report the older TCB)" : ""));
    run.say(fmt::format("guest -> relying party: report (MEASUREMENT {}) and VCEK/ASK/ARK",
                        to_hex(rt.measurement)));
    run.say("relying party:");
    for (const auto& c : rt.verdict.checks)
      run.say(fmt::format("  [{}] {}", status_word(c.status), c.name));
  }
  run.say(fmt::format(
      "{}: {}", who,
      rt.verdict.accepted
          ? "relying party: accepted; the secret released, wrapped to the guest's key"
          : "relying party: REFUSED at " + rt.verdict.first_failure + ": " + rt.verdict.reason));
  if (rt.program.state != sw::guest::ProgramRun::State::NotFound || !rt.program.argv.empty()) {
    run.say(fmt::format("[root@guest ~]# {} <the released secret>",
                        rt.program.argv.empty() ? std::string("?") : rt.program.argv[0]));
    if (!rt.program.output.empty())
      run.say(rt.program.output.substr(0, rt.program.output.find_last_not_of('\n') + 1));
  }

  nlohmann::json checks = nlohmann::json::object();
  std::string names;
  bool all_pass = !rt.verdict.checks.empty();
  for (const auto& c : rt.verdict.checks) {
    checks[c.name] = sw::owner::rp_status_name(c.status);
    names += (names.empty() ? "" : ", ") + c.name;
    all_pass = all_pass && c.status == RpCheck::Status::Pass;
  }
  const bool ran = rt.program.state != sw::guest::ProgramRun::State::NotFound;
  return {{"accepted", rt.verdict.accepted},
          {"first_failure", rt.verdict.first_failure},
          {"reason", rt.verdict.reason},
          {"checks", checks},
          {"check_names", names},
          {"check_count", rt.verdict.checks.size()},
          {"all_pass", all_pass},
          {"released", rt.released},
          {"opened", rt.opened},
          {"measurement", to_hex(rt.measurement)},
          {"expected_measurement", to_hex(rt.expected_measurement)},
          {"measurement_matches", rt.measurement == rt.expected_measurement},
          {"platform_tcb", tcb_text(rt.reported_tcb)},
          {"program",
           {{"ran", ran},
            {"state", sw::guest::to_string(rt.program.state)},
            {"exit_code", rt.program.exit_code},
            {"output", rt.program.output}}},
          {"dmesg", rt.dmesg}};
}

// ---- attest-attack ----

std::vector<std::string> rp_attack_names() {
  std::vector<std::string> n;
  for (const auto& r : attacks::rp_attacks()) n.push_back(r.name);
  return n;
}

void check_attest_attack(const Args& a) {
  const auto known = rp_attack_names();
  for (const auto& n : a.strings("attacks"))
    if (std::find(known.begin(), known.end(), n) == known.end())
      throw InputError(fmt::format("{}: unknown attack '{}' (known: {})", a.where("attacks"), n,
                                   fmt::join(known, ", ")));
  if (a.str("secret").empty()) throw InputError(a.where("secret") + ": an empty secret");
}

// The relying party's verdicts inside a row's evidence as `attest` gives them: accepted,
// first_failure and checks.NAME = "pass" | "fail" | "skip". The checks' prose goes (it names
// the fingerprints of keys made afresh each run, so a seed's results would differ).
nlohmann::json compact_verdicts(const nlohmann::json& j) {
  if (j.is_object() && j.contains("accepted") && j.contains("checks") && j["checks"].is_array()) {
    nlohmann::json checks = nlohmann::json::object();
    for (const auto& c : j["checks"]) checks[c.value("name", "")] = c.value("status", "");
    return {{"accepted", j["accepted"]},
            {"first_failure", j.value("first_failure", "")},
            {"checks", checks}};
  }
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : j.items()) out[k] = compact_verdicts(v);
    return out;
  }
  return j;
}

nlohmann::json run_attest_attack(const Args& a, Run& run) {
  AttestGuest& g = guest_arg(a, run);
  if (g.image != "expected")
    throw InputError(a.where("guest") +
                     ": the attacks need the guest the relying party expects (image = "
                     "\"expected\")");
  const std::string secret = a.str("secret");
  if (!g.lab || g.lab_secret != secret) {
    g.lab.reset();
    g.lab =
        demo::make_live_attestation_lab(*g.platform, *g.guest, Bytes(secret.begin(), secret.end()));
    g.lab_secret = secret;
  }
  const std::vector<std::string> only = a.strings("attacks");
  std::vector<attacks::RpAttackResult> rows;
  for (const auto& info : attacks::rp_attacks())
    if (only.empty() || std::find(only.begin(), only.end(), info.name) != only.end())
      rows.push_back(info.run(g.lab->lab));
  run.say(tag(run, "the host's attacks", false) + " (every report from a guest's own request):");
  const std::string table = attacks::render_rp_attacks_text(rows);
  for (size_t i = 0, j; i < table.size(); i = j + 1) {
    j = table.find('\n', i);
    if (j == std::string::npos) j = table.size();
    run.say("  " + table.substr(i, j - i));
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& r : rows) {
    run.say(fmt::format("  {}: {}", r.attack, r.detail));
    out[r.attack] = r.to_json();
    out[r.attack]["evidence"] = compact_verdicts(r.evidence);
  }
  out["older_tcb"] = tcb_text(g.lab->old_tcb);
  return out;
}

}  // namespace

void add_attest_actions(std::vector<Action>& out) {
  out.push_back(
      {"snp-platform",
       "an SEV-SNP host with its KDS stand-in (the chip's ARK, ASK, VCEKs) and Debian's OVMF, "
       "for attestation",
       {{"cpu", KeyType::String, false, "--cpu, else [scenario] cpu, else genoa",
         "the CPU preset (it needs SEV-SNP, else `fallback` is used)", cpu_names()},
        {"set",
         KeyType::StringList,
         false,
         "[]",
         "CPU-model overrides as `cbit demo --set` takes them; --set applies after",
         {}},
        {"fallback",
         KeyType::String,
         false,
         "genoa",
         "the preset used when the CPU has no SEV-SNP (\"\": none, the step fails)",
         {}},
        {"seed",
         KeyType::Integer,
         false,
         "--seed, else 7",
         "the machine's seed: its chip secret, hence its VCEKs",
         {}},
        {"guest_ram",
         KeyType::Size,
         false,
         "16M",
         "each guest's memory: a multiple of 2M from 16M to 64M",
         {}},
        {"ovmf",
         KeyType::String,
         false,
         "/usr/share/ovmf/OVMF.fd",
         "the OVMF image guests launch from and the relying party measures",
         {}}},
       make_platform,
       check_platform});
  out.push_back(
      {"attest-guest",
       "an SEV-SNP guest launched from the platform's OVMF as QEMU does, its kernel booted, a "
       "program on its disk",
       {{"platform",
         KeyType::String,
         false,
         "the latest snp-platform",
         "the snp-platform step",
         {}},
        {"image",
         KeyType::String,
         false,
         "expected",
         "expected: the platform's OVMF; other: OVMF with one byte of its code changed (another "
         "launch digest)",
         {"expected", "other"}},
        {"disk_program",
         KeyType::String,
         false,
         "secret",
         "the program on its disk: an example of examples/guest by name (secret = seed 004's), "
         "or a path to an ELF file; \"\": no disk",
         {}}},
       make_guest,
       nullptr});
  out.push_back(
      {"relying-party",
       "the party that releases a secret only to a guest whose report passes every check",
       {{"platform",
         KeyType::String,
         false,
         "the latest snp-platform",
         "the snp-platform step (its KDS's ARK is the trusted root)",
         {}},
        {"measurement",
         KeyType::String,
         false,
         "expected",
         "the MEASUREMENT it expects: expected (`cbit measure` of the platform's OVMF), other "
         "(of attest-guest's image = \"other\") or 96 hex digits",
         {}},
        {"min_tcb",
         KeyType::String,
         false,
         "committed",
         "the minimum TCB: the platform's committed TCB, or the one below it (older firmware)",
         {"committed", "older"}},
        {"max_vmpl",
         KeyType::Integer,
         false,
         "0",
         "the VMPLs it allows: 0 to this (at most 3)",
         {}},
        {"allow_debug",
         KeyType::Bool,
         false,
         "false",
         "accept guests whose policy allows DEBUG",
         {}}},
       make_rp,
       check_rp});
  out.push_back(
      {"attest",
       "the attestation round trip: nonce, extended report through /dev/sev-guest and the "
       "firmware, every check, the secret released, opened and given to a program in the guest",
       {{"guest", KeyType::String, false, "the latest attest-guest", "the attest-guest step", {}},
        {"rp",
         KeyType::String,
         false,
         "the latest relying-party, else a default one",
         "the relying-party step",
         {}},
        {"secret",
         KeyType::String,
         true,
         "",
         "what the relying party releases (decimal digits for secret.elf, which prints it with "
         "%d)",
         {}},
        {"program",
         KeyType::StringList,
         false,
         "[\"./\" + disk_program]",
         "the guest kernel runs this with the released secret as its last argument; []: none",
         {}},
        {"vmpck",
         KeyType::Integer,
         false,
         "0",
         "the VMPCK the guest driver seals the request under (`modprobe sev-guest vmpck_id=`)",
         {}},
        {"vmpl",
         KeyType::Integer,
         false,
         "0",
         "MSG_REPORT_REQ.VMPL: the VMPL the report claims",
         {}},
        {"firmware_tcb",
         KeyType::String,
         false,
         "committed",
         "the TCB the host has SNP_CONFIG report: committed, or older (one SVN below, signed by "
         "that TCB's VCEK)",
         {"committed", "older"}},
        {"show_checks",
         KeyType::Bool,
         false,
         "true",
         "print the exchange and each check in the transcript (false: one line)",
         {}}},
       run_attest,
       check_attest});
  out.push_back(
      {"attest-attack",
       "the host's attacks on attestation, each next to its control (the honest guest gets the "
       "secret)",
       {{"guest",
         KeyType::String,
         false,
         "the latest attest-guest",
         "the expected guest (image = \"expected\") the rows attack",
         {}},
        {"attacks",
         KeyType::StringList,
         false,
         "every row",
         "report-replay, relay, forged-report, tcb-rollback, other-image, ghcb-tamper, "
         "vmpl1-vmpck0",
         {}},
        {"secret", KeyType::String, true, "", "what the relying party releases", {}}},
       run_attest_attack,
       check_attest_attack});
}

}  // namespace cbit::scenario
