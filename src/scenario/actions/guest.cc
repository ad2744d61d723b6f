// Scenario actions for SEV hosts, guests and the programs in them (docs/scenarios.md "Guests"):
//   sev-host     a machine with SME, its kernel booted with mem_encrypt=on, the PSP driver (ccp)
//                and KVM's SEV support (testbed/sev_host.h);
//   guest        a VM of mode off / sev / sev-es / snp, launched as QEMU launches it (KVM_SEV_INIT
//                or KVM_SEV_ES_INIT, LAUNCH_START .. LAUNCH_FINISH; SNP: SNP_LAUNCH_*), the
//                firmware image measured, the guest owner checking LAUNCH_MEASURE (SEV-API
//                §6.5), a program on its disk;
//   guest-run    the guest kernel runs that program with arguments: its output and exit status;
//   guest-cpuid, guest-rdmsr   what the guest reads (CPUID Fn8000_001F, SEV_STATUS MSR C001_0131);
//   dmesg        the kernel log of a guest or of the host, optionally filtered.
#include <fmt/format.h>

#include <filesystem>
#include <regex>

#include "common/error.h"
#include "common/file.h"
#include "demo/cpu_overrides.h"
#include "hw/cpu/msr.h"
#include "scenario/actions/guest_world.h"
#include "scenario/run.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/devices.h"
#include "sw/hv/guest_run.h"
#include "sw/hv/snp_cc_blob.h"
#include "sw/owner/sev_owner.h"
#include "x86/elf_image.h"

namespace cbit::scenario {

using sw::hv::SevMode;

namespace {

constexpr const char* kOvmf = "/usr/share/ovmf/OVMF.fd";  // Debian's ovmf package

// The guest owner in a launch: LAUNCH_START's session for the platform's PDH, LAUNCH_MEASURE's
// HMAC checked against the digest of the pages it meant to launch (sw/owner/sev_owner.h).
class ScenarioOwner final : public sw::hv::LaunchOwner {
 public:
  ScenarioOwner(testbed::SevHost& h, std::optional<uint64_t> seed, uint32_t policy)
      : h_(h), owner_(seed, policy) {}
  std::optional<sw::hv::SevSessionBlobs> session() override {
    const auto pdh = h_.m.sev_firmware().pdh_public();
    if (!pdh) return std::nullopt;
    auto b = owner_.start_session(*pdh);
    return sw::hv::SevSessionBlobs{b.dh_cert, b.session};
  }
  bool verify(ByteSpan measure, const std::vector<ByteSpan>& pages) override {
    sw::host::sev_user_data_status s{};
    int err = 0;
    if (h_.dev.sev_platform_status(&s, &err) != 0) return false;
    const auto digest = sw::owner::SevGuestOwner::expected_digest(pages);
    return owner_.verify_measurement(measure, digest, {s.api_major, s.api_minor, s.build});
  }

 private:
  testbed::SevHost& h_;
  sw::owner::SevGuestOwner owner_;
};

// The object named by `key`, or (key absent) the latest of its kind.
template <class T>
T& named_or_latest(const Args& a, Run& run, std::string_view key, std::string_view what) {
  if (a.has(key)) return run.get<T>(a, key, what);
  if (T* t = run.latest<T>()) return *t;
  throw InputError(fmt::format("{}: no earlier step made {}", a.where(key), what));
}

// What a CPU model lacks for guests of `mode` ("" when nothing).
std::string lacks(const hw::CpuModel& m, SevMode mode) {
  const auto& f = m.fn8000_001f;
  if (!f.has(hw::SevFeature::Sme)) return "SME (CPUID Fn8000_001F EAX[0])";
  if (mode == SevMode::None) return "";
  if (!f.has(hw::SevFeature::Sev)) return "SEV (CPUID Fn8000_001F EAX[1])";
  if (mode == SevMode::Sev && f.num_encrypted_guests() < f.min_sev_asid())
    return fmt::format("an ASID for SEV guests (CPUID Fn8000_001F EDX..ECX = {}..{} is empty)",
                       f.min_sev_asid(), f.num_encrypted_guests());
  if (mode == SevMode::SevEs && !(f.has(hw::SevFeature::SevEs) && f.min_sev_asid() > 1))
    return fmt::format(
        "an ASID for SEV-ES guests (CPUID Fn8000_001F EAX[3]={}, EDX={}: none below EDX)",
        f.has(hw::SevFeature::SevEs) ? 1 : 0, f.min_sev_asid());
  if (mode == SevMode::Snp && !f.has(hw::SevFeature::SevSnp))
    return "SEV-SNP (CPUID Fn8000_001F EAX[4])";
  return "";
}

hw::CpuModel checked_model(const std::string& cpu, const std::vector<std::string>& set,
                           const std::string& where) {
  try {
    return demo::resolve_cpu_model(cpu, set);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", where, e.what()));
  }
}

nlohmann::json sev_host(const Args& a, Run& run) {
  const std::string cpu0 = a.has("cpu")                ? a.str("cpu")
                           : run.options().cpu.empty() ? std::string("naples")
                                                       : run.options().cpu;
  // The step's `set` first, then the command line's --set (as `machine` does).
  std::vector<std::string> set;
  for (auto& s : a.strings("set")) {
    try {
      demo::check_set_assignment(s);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", a.where("set"), e.what()));
    }
    set.push_back(s);
  }
  for (const auto& s : run.options().overrides) set.push_back(s);
  const SevMode needs = mode_from_key(a.str("needs", "sev"));
  std::string cpu = cpu0;
  const std::string why = lacks(checked_model(cpu0, set, a.where("cpu")), needs);
  if (!why.empty()) {
    const std::string fb = a.str("fallback");
    if (fb.empty())
      throw InputError(fmt::format("{}: {} guests need {}, which {} does not have",
                                   a.where("needs"), sw::hv::sev_mode_name(needs), why, cpu0));
    const std::string fb_why = lacks(checked_model(fb, set, a.where("fallback")), needs);
    if (!fb_why.empty())
      throw InputError(fmt::format("{}: {} guests need {}, which neither {} nor {} has",
                                   a.where("fallback"), sw::hv::sev_mode_name(needs), why, cpu0,
                                   fb));
    run.say(fmt::format("  ({}: {}: no {} guests; they run on {})", cpu0, why,
                        sw::hv::sev_mode_name(needs), fb));
    cpu = fb;
  }
  testbed::SevHostOptions o;
  o.cpu = cpu;
  o.cpu_overrides = set;
  o.seed = run.options().seed.value_or(0);
  o.fresh_keys = !run.options().seed;
  o.dram_bytes = a.size("dram", 256ull << 20);
  if (o.dram_bytes < (16ull << 20) || o.dram_bytes % kPageSize)
    throw InputError(
        fmt::format("{}: the host needs at least 16M of DRAM, in whole pages", a.where("dram")));
  o.snp_bios = a.flag("snp", needs == SevMode::Snp);
  auto host = std::make_shared<testbed::SevHost>(o);
  auto& h = run.keep(host);
  run.say(fmt::format("host: {}, {} MiB DRAM, mem_encrypt=on; KVM: SEV {}, SEV-ES {}{}", cpu,
                      o.dram_bytes >> 20, h.kvm.sev_enabled() ? "on" : "off",
                      h.kvm.sev_es_enabled() ? "on" : "off",
                      *o.snp_bios ? ", SEV-SNP (RMP reserved)" : ""));
  return {{"cpu", cpu},
          {"sev", h.kvm.sev_enabled()},
          {"sev_es", h.kvm.sev_es_enabled()},
          {"snp", *o.snp_bios},
          {"dram", o.dram_bytes}};
}

nlohmann::json guest(const Args& a, Run& run) {
  auto& host = named_or_latest<testbed::SevHost>(a, run, "host", "a SEV host");
  const SevMode mode = mode_from_key(a.str("mode", "sev"));
  if (mode == SevMode::Sev && !host.kvm.sev_enabled())
    throw InputError(a.where("mode") + ": the host's KVM has no SEV (no SEV ASID on its CPU)");
  if (mode == SevMode::SevEs && !host.kvm.sev_es_enabled())
    throw InputError(a.where("mode") +
                     ": the host's KVM has no SEV-ES (no SEV-ES ASID on its CPU)");
  if (mode == SevMode::Snp && !host.m.cpu_model().fn8000_001f.has(hw::SevFeature::SevSnp))
    throw InputError(a.where("mode") + ": the host's CPU has no SEV-SNP");
  sw::hv::VmConfig cfg;
  cfg.mode = mode;
  cfg.ram_bytes = a.size("memory", 32ull << 20);
  if (cfg.ram_bytes < (4ull << 20) || cfg.ram_bytes % kPageSize || cfg.ram_bytes >= (3ull << 30))
    throw InputError(a.where("memory") + ": guest memory must be whole pages, from 4M to below 3G");
  const uint64_t vcpus = a.u64("vcpus", 1);
  if (vcpus < 1 || vcpus > 64) throw InputError(a.where("vcpus") + ": from 1 to 64 vCPUs");
  cfg.vcpus = unsigned(vcpus);
  if (mode == SevMode::Snp) {
    cfg.snp_policy = a.u64("policy", 0x30000);
  } else {
    const uint64_t p = a.u64("policy", mode == SevMode::SevEs ? 0x4 : 0x0);
    if (p > 0xffffffff) throw InputError(a.where("policy") + ": an SEV policy has 32 bits");
    cfg.policy = uint32_t(p);
  }
  // The firmware QEMU loads (-bios / pflash), measured by the launch. Debian's OVMF when it is
  // installed and no other is named; "" for none.
  std::string fw = a.has("firmware") ? a.str("firmware") : std::string(kOvmf);
  if (!a.has("firmware") && !std::filesystem::exists(fw)) fw.clear();
  if (!fw.empty()) try {
      cfg.firmware = read_file(fw, inputs::kFirmware);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", a.where("firmware"), e.what()));
    }
  std::string disk_file;
  if (a.has("program")) {
    sw::hv::GuestProgram p;
    try {
      p = sw::hv::guest_program(a.str("program"));
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", a.where("program"), e.what()));
    }
    if (p.argv.size() != 1)
      throw InputError(a.where("program") +
                       ": the program's file only; its arguments go in guest-run's `args`");
    std::string name = a.str("disk_name");
    if (name.empty()) name = p.argv[0].substr(2);
    if (name.empty() || name.size() >= sw::guest::DiskHeader::kNameSize ||
        name.find('/') != std::string::npos)
      throw InputError(fmt::format("{}: a file name of 1 to {} characters, without '/'",
                                   a.where("disk_name"), sw::guest::DiskHeader::kNameSize - 1));
    cfg.disk = sw::hv::make_cbit_disk(p.elf, name);
    disk_file = name;
  }
  sw::guest::GuestKernelConfig kcfg;
  kcfg.ram_bytes = cfg.ram_bytes;
  kcfg.swiotlb_bytes = a.size("swiotlb", 256ull << 10);
  if (kcfg.swiotlb_bytes < (64ull << 10) || kcfg.swiotlb_bytes > cfg.ram_bytes / 4)
    throw InputError(a.where("swiotlb") + ": from 64K to a quarter of the guest's memory");
  auto vm = std::make_unique<sw::hv::Vm>(host.m, host.k,
                                         mode == SevMode::None ? nullptr : &host.kvm, cfg);
  ScenarioOwner owner(host, run.options().seed, cfg.policy);
  const bool with_owner = mode != SevMode::None && a.flag("owner", true);
  const auto launch = vm->launch(with_owner ? &owner : nullptr);
  nlohmann::json r = {{"mode", mode_key(mode)}, {"launched", launch.rc == 0},
                      {"asid", vm->asid()},     {"memory", cfg.ram_bytes},
                      {"firmware", fw},         {"owner_verified", launch.owner_ok}};
  if (launch.rc != 0) {
    r["failed_step"] = launch.step;
    r["rc"] = launch.rc;
    r["fw_error"] = launch.fw_error;
    run.say(fmt::format("launch: {} failed at {} (rc {}, firmware status {})",
                        sw::hv::sev_mode_name(mode), launch.step, launch.rc, launch.fw_error));
    return r;  // nothing kept: a later step naming this guest is told no step made it
  }
  if (mode == SevMode::Snp) sw::hv::apply_cc_blob(vm->snp_cc_blob(), kcfg);
  auto& kept = run.keep(std::make_shared<GuestVm>(host, std::move(vm), kcfg));
  kept.id = run.step_id();
  kept.disk_file = disk_file;
  kept.owner_verified = launch.owner_ok;
  kept.ram_bytes = cfg.ram_bytes;
  const std::string fw_text = fw.empty()
                                  ? std::string("no firmware image")
                                  : fmt::format("{} ({} KiB)", fw, cfg.firmware.size() >> 10);
  if (mode == SevMode::None)
    run.say(fmt::format("launch: a plain VM (SEV off), {} MiB, {}", cfg.ram_bytes >> 20, fw_text));
  else
    run.say(fmt::format("launch: {}, ASID {}, {} measured; the guest owner {}",
                        sw::hv::sev_mode_name(mode), kept.vm().asid(), fw_text,
                        !with_owner       ? "was not asked"
                        : launch.owner_ok ? "verified LAUNCH_MEASURE"
                                          : "REFUSED LAUNCH_MEASURE"));
  return r;
}

nlohmann::json guest_run(const Args& a, Run& run) {
  auto& g = guest_of(a, run);
  if (g.disk_file.empty())
    throw InputError(
        fmt::format("{}: guest '{}' has no program on its disk (the guest step's "
                    "`program` key)",
                    a.where("guest"), g.id));
  std::vector<std::string> argv = {"./" + g.disk_file};
  for (auto& s : a.strings("args")) argv.push_back(s);
  std::string cmd;
  for (const auto& w : argv) cmd += (cmd.empty() ? "" : " ") + w;
  run.say("[root@guest ~]# " + cmd);
  const auto* p = g.run_program(argv);
  const auto failure = sw::hv::guest_failure(g.kernel(), argv[0]);
  nlohmann::json r = {{"output", p ? p->output : std::string()},
                      {"exit_code", p ? p->exit_code : 0},
                      {"state", p ? sw::guest::to_string(p->state) : "not run"},
                      {"failure", failure.value_or("")}};
  if (p) {
    size_t start = 0;
    while (start < p->output.size()) {
      size_t nl = p->output.find('\n', start);
      if (nl == std::string::npos) nl = p->output.size();
      run.say(p->output.substr(start, nl - start));
      start = nl + 1;
    }
    if (p->state == sw::guest::ProgramRun::State::Paused)
      run.say("  (the program paused: it stays resident, its memory in the guest)");
  }
  if (failure) run.say("  " + *failure);
  return r;
}

nlohmann::json guest_cpuid(const Args& a, Run& run) {
  auto& g = guest_of(a, run);
  const uint64_t leaf = a.u64("leaf"), sub = a.u64("subleaf", 0);
  if (leaf > 0xffffffff || sub > 0xffffffff)
    throw InputError(a.where(leaf > 0xffffffff ? "leaf" : "subleaf") + ": CPUID takes 32 bits");
  hw::CpuidResult r{};
  g.run([&](sw::guest::GuestKernel& k) { r = k.cpuid(uint32_t(leaf), uint32_t(sub)); });
  run.say(fmt::format("[root@guest ~]# cpuid -r -1 -l {:#x}          ({})", leaf,
                      sw::hv::sev_mode_name(g.mode())));
  run.say(fmt::format(" {:#010x} {:#04x}: eax={:#010x} ebx={:#010x} ecx={:#010x} edx={:#010x}",
                      leaf, sub, r.eax, r.ebx, r.ecx, r.edx));
  return {{"eax", r.eax}, {"ebx", r.ebx}, {"ecx", r.ecx}, {"edx", r.edx}};
}

nlohmann::json guest_rdmsr(const Args& a, Run& run) {
  auto& g = guest_of(a, run);
  const uint64_t msr = a.u64("msr");
  if (msr > 0xffffffff) throw InputError(a.where("msr") + ": an MSR index has 32 bits");
  uint64_t v = 0;
  g.run([&](sw::guest::GuestKernel& k) { v = k.rdmsr(uint32_t(msr)); });
  run.say(fmt::format("[root@guest ~]# rdmsr {:#x}", msr));
  run.say(fmt::format("{:x}", v));
  return {{"value", v}};
}

nlohmann::json dmesg(const Args& a, Run& run) {
  if (a.has("guest") && a.has("host"))
    throw InputError(a.where("host") + ": name a guest or a host, not both");
  const std::vector<std::string>* log = nullptr;
  std::string prompt;
  if (a.has("host")) {
    log = &run.get<testbed::SevHost>(a, "host", "a SEV host").k.dmesg();
    prompt = "[root@host ~]# dmesg";
  } else {
    auto& g = guest_of(a, run);
    if (!g.started()) g.run();  // the kernel boots on its first run
    log = &g.kernel().dmesg();
    prompt = "[root@guest ~]# dmesg";
  }
  const std::string pat = a.str("grep");
  const bool icase = a.flag("ignore_case", false);
  std::optional<std::regex> re;
  if (!pat.empty()) {
    try {
      re.emplace(pat, icase ? std::regex::ECMAScript | std::regex::icase : std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw InputError(
          fmt::format("{}: not a regular expression (ECMAScript): {}", a.where("grep"), e.what()));
    }
    prompt += fmt::format(" | grep -E{} '{}'", icase ? "i" : "", pat);
  }
  run.say(prompt);
  nlohmann::json lines = nlohmann::json::array();
  std::string text;
  for (const auto& l : *log) {
    if (re && !std::regex_search(l, *re)) continue;
    run.say("  " + l);
    lines.push_back(l);
    text += l + "\n";
  }
  return {{"dmesg", text}, {"lines", lines}, {"count", lines.size()}};
}

}  // namespace

GuestVm& guest_of(const Args& a, Run& run) {
  return named_or_latest<GuestVm>(a, run, "guest", "a guest");
}

GuestVm::GuestVm(testbed::SevHost& host, std::unique_ptr<sw::hv::Vm> vm,
                 sw::guest::GuestKernelConfig kcfg)
    : host_(host), vm_(std::move(vm)), kcfg_(std::move(kcfg)) {}

GuestVm::~GuestVm() = default;

sw::guest::GuestKernel& GuestVm::kernel() {
  if (!kernel_) kernel_ = std::make_unique<sw::guest::GuestKernel>(kcfg_);
  return *kernel_;
}

hw::svm::VmExit GuestVm::run(sw::guest::GuestKernel::Task task) {
  auto& k = kernel();
  if (task) k.queue(std::move(task));
  return vm_->run(k);
}

const sw::guest::ProgramRun* GuestVm::run_program(std::vector<std::string> argv) {
  auto& k = kernel();
  const size_t before = k.programs().size();
  k.queue_program(std::move(argv));
  vm_->run(k);
  return k.programs().size() > before ? &k.programs().back() : nullptr;
}

std::string printable(ByteSpan b) {
  std::string t;
  for (uint8_t c : b) t += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
  return t;
}

SevMode mode_from_key(const std::string& s) {
  if (s == "off") return SevMode::None;
  if (s == "sev") return SevMode::Sev;
  if (s == "sev-es") return SevMode::SevEs;
  if (s == "snp") return SevMode::Snp;
  throw InputError("mode: '" + s + "' is not one of off, sev, sev-es, snp");
}

const char* mode_key(SevMode m) {
  switch (m) {
    case SevMode::None:
      return "off";
    case SevMode::Sev:
      return "sev";
    case SevMode::SevEs:
      return "sev-es";
    case SevMode::Snp:
      return "snp";
  }
  return "off";
}

namespace {
std::vector<std::string> cpu_names() {
  std::vector<std::string> n;
  for (const auto& m : hw::cpu_model_presets()) n.push_back(m.name);
  return n;
}
}  // namespace

void add_guest_actions(std::vector<Action>& out) {
  using K = KeyType;
  const std::vector<std::string> modes = {"off", "sev", "sev-es", "snp"};
  out.push_back(
      {"sev-host",
       "A host for SEV guests: a machine with SME, its kernel booted with mem_encrypt=on, the PSP "
       "driver and KVM's SEV support",
       {{"cpu", K::String, false, "--cpu, else [scenario] cpu, else naples", "the CPU preset",
         cpu_names()},
        {"set", K::StringList, false, "[]", "CPU-model overrides, field=value, after --set's"},
        {"dram", K::Size, false, "256M", "the host's DRAM"},
        {"needs", K::String, false, "sev", "the guest mode the host must run: its CPU is checked",
         modes},
        {"fallback", K::String, false, "",
         "the preset to use instead when the CPU lacks what `needs` asks (said in the transcript)"},
        {"snp", K::Bool, false, "true when needs = snp",
         "the BIOS reserves the RMP (SEV-SNP enabled on the platform)"}},
       sev_host});
  out.push_back(
      {"guest",
       "A VM launched on a SEV host, as QEMU launches it, with a program on its disk",
       {{"host", K::String, false, "the latest sev-host", "the sev-host step"},
        {"mode", K::String, false, "sev", "off (a plain VM), sev, sev-es or snp", modes},
        {"memory", K::Size, false, "32M", "guest RAM (GPA 0 up)"},
        {"vcpus", K::Integer, false, "1", "vCPUs (1 to 64; the guest kernel runs on vCPU 0)"},
        {"firmware", K::String, false, "/usr/share/ovmf/OVMF.fd if installed, else none",
         "the firmware image the launch measures; \"\" for none"},
        {"policy", K::Integer, false, "sev 0x0, sev-es 0x4, snp 0x30000",
         "the guest policy: SEV-API's for LAUNCH_START, SNP's for SNP_LAUNCH_START"},
        {"owner", K::Bool, false, "true",
         "the guest owner makes the session and checks LAUNCH_MEASURE (sev, sev-es, snp)"},
        {"program", K::String, false, "none",
         "the program on the guest's disk: a name of examples/guest (secret, snp_report) or a "
         "path to a static x86-64 ELF"},
        {"disk_name", K::String, false, "the program's file name",
         "the program's file name on the disk (\"a.out\")"},
        {"swiotlb", K::Size, false, "256K", "the guest's bounce-buffer pool (swiotlb=)"}},
       guest});
  out.push_back({"guest-run",
                 "The guest kernel runs the program on its disk with arguments: its output and "
                 "exit status",
                 {{"guest", K::String, false, "the latest guest", "the guest step"},
                  {"args", K::StringList, false, "[]", "the program's arguments (argv[1..])"}},
                 guest_run});
  out.push_back({"guest-cpuid",
                 "The guest executes CPUID (under SEV-ES and SNP through #VC and the GHCB)",
                 {{"guest", K::String, false, "the latest guest", "the guest step"},
                  {"leaf", K::Integer, true, "", "EAX, e.g. 0x8000001f"},
                  {"subleaf", K::Integer, false, "0", "ECX"}},
                 guest_cpuid});
  out.push_back({"guest-rdmsr",
                 "The guest reads an MSR (e.g. SEV_STATUS, 0xc0010131)",
                 {{"guest", K::String, false, "the latest guest", "the guest step"},
                  {"msr", K::Integer, true, "", "the MSR index"}},
                 guest_rdmsr});
  out.push_back({"dmesg",
                 "The kernel log of a guest (booting it if it has not run) or of a SEV host",
                 {{"guest", K::String, false, "the latest guest", "the guest step"},
                  {"host", K::String, false, "", "a sev-host step instead of a guest"},
                  {"grep", K::String, false, "", "only lines matching this ECMAScript regex"},
                  {"ignore_case", K::Bool, false, "false", "grep -i"}},
                 dmesg});
}

}  // namespace cbit::scenario
