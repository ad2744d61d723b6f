#include "demo/demo.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "demo/cpu_overrides.h"

namespace cbit::demo {

bool Section::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.ok; });
}

std::string make_new_file(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  const size_t x = name.find("XXXXXX");
  const int fd =
      x == std::string::npos
          ? ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
          : ::mkostemps(path.data(), static_cast<int>(name.size() - x - 6), O_CLOEXEC);
  if (fd < 0)
    throw InputError(fmt::format("{}: cannot create{}: {}", path,
                                 errno == EEXIST ? " (the demo does not replace a file it did not "
                                                   "make)"
                                                 : "",
                                 std::strerror(errno)));
  ::close(fd);
  return path;
}

hw::MachineConfig machine_config(const DemoOptions& opt, uint64_t dram_bytes) {
  hw::MachineConfig cfg;
  cfg.cpu = resolve_cpu_model(opt.cpu, opt.overrides);
  cfg.dram_bytes = dram_bytes;
  cfg.seed = opt.seed;
  return cfg;
}

const std::vector<std::string>& section_names() {
  static const std::vector<std::string> names = {"sme-full",    "sme-partial", "smetest",
                                                 "dma",         "sev-guest",   "sev-shared",
                                                 "sev-attacks", "snp-attest"};
  return names;
}

namespace {

using hw::SevFeature;

// "" when the model has what a section's machines use, else what is missing. Every SME
// section boots a host with mem_encrypt=on beside its control; the SEV sections launch guests
// through KVM, which takes SEV ASIDs EDX..ECX (and ES ASIDs 1..EDX-1, on the model or on the
// rome preset the SEV-ES runs fall back to, with the same --set).
std::string section_lacks(const std::string& name, const DemoOptions& opt) {
  const hw::CpuModel m = resolve_cpu_model(opt.cpu, opt.overrides);
  const auto& f = m.fn8000_001f;
  const bool sme_section =
      name == "sme-full" || name == "sme-partial" || name == "smetest" || name == "dma";
  const bool sev_section = name == "sev-guest" || name == "sev-shared";
  if ((sme_section || sev_section) && !f.has(SevFeature::Sme))
    return "SME (CPUID Fn8000_001F EAX[0])";
  if (!sev_section) return "";
  if (!f.has(SevFeature::Sev)) return "SEV (CPUID Fn8000_001F EAX[1])";
  if (f.num_encrypted_guests() < f.min_sev_asid())
    return fmt::format("an ASID for SEV guests (CPUID Fn8000_001F EDX..ECX = {}..{} is empty)",
                       f.min_sev_asid(), f.num_encrypted_guests());
  if (name == "sev-guest") {
    const auto es_ok = [](const hw::CpuModel& c) {
      return c.fn8000_001f.has(SevFeature::SevEs) && c.fn8000_001f.min_sev_asid() > 1;
    };
    // The rome fallback with the same --set may not even be a valid model (asids=1 against
    // rome's min-sev-asid 100): then it has no ES ASID either.
    const auto rome_es_ok = [&] {
      try {
        return es_ok(resolve_cpu_model("rome", opt.overrides));
      } catch (const InputError&) {
        return false;
      }
    };
    if (!es_ok(m) && !rome_es_ok())
      return "SEV-ES with an ES ASID (CPUID Fn8000_001F EAX[3], EDX > 1)";
  }
  return "";
}

}  // namespace

void check_scenario_section(const std::string& name);  // section_file.cc

void check_sections(const std::vector<std::string>& names, const DemoOptions& opt) {
  resolve_cpu_model(opt.cpu, opt.overrides);  // every --set checked, whichever section runs
  for (const auto& n : names) {
    const auto& known = section_names();
    if (std::find(known.begin(), known.end(), n) == known.end())
      throw InputError("--section: unknown section '" + n + "' (sme-full, sme-partial, smetest, " +
                       "dma, sev-guest, sev-shared, sev-attacks, snp-attest)");
    if (!section_file(n).empty()) check_scenario_section(n);
    const std::string lacks = section_lacks(n, opt);
    if (!lacks.empty())
      throw InputError(fmt::format("demo section {} needs {}, which --cpu {}{} does not have", n,
                                   lacks, opt.cpu, opt.overrides.empty() ? "" : " with --set"));
  }
}

Section run_scenario_section(const std::string& name, const DemoOptions& opt);  // section_file.cc

Section run_section(const std::string& name, const DemoOptions& opt) {
  if (!section_file(name).empty()) return run_scenario_section(name, opt);
  throw InputError("demo: unknown section '" + name + "'");
}

}  // namespace cbit::demo
