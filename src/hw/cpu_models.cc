#include "hw/cpu_models.h"

#include <charconv>

#include "common/error.h"

namespace cbit::hw {

namespace {

constexpr uint32_t bit(SevFeature f) { return 1u << static_cast<uint32_t>(f); }

constexpr uint32_t ebx(unsigned cbit, unsigned reduction, unsigned vmpls) {
  return cbit | reduction << 6 | vmpls << 12;
}

// Feature sets by generation. Naples/Rome: SME, SEV, VM_PAGE_FLUSH, SEV-ES (seed 004's host
// read-out, eax=0x0000000f). Milan adds SNP with VMPLs and SME_COHERENT; Genoa and Turin add
// the later SNP features (Linux cpufeatures.h).
constexpr uint32_t kZen1 = bit(SevFeature::Sme) | bit(SevFeature::Sev) |
                           bit(SevFeature::VmPageFlush) | bit(SevFeature::SevEs);
constexpr uint32_t kZen3 =
    kZen1 | bit(SevFeature::SevSnp) | bit(SevFeature::Vmpl) | bit(SevFeature::RmpQuery) |
    bit(SevFeature::SmeCoherent) | bit(SevFeature::Req64BitHypervisor) |
    bit(SevFeature::RestrictedInjection) | bit(SevFeature::AlternateInjection) |
    bit(SevFeature::DebugSwap) | bit(SevFeature::PreventHostIbs) | bit(SevFeature::Vte);
constexpr uint32_t kZen4 = kZen3 | bit(SevFeature::VmplSss) | bit(SevFeature::SecureTsc) |
                           bit(SevFeature::TscAuxVirtualization) |
                           bit(SevFeature::VmgexitParameter) | bit(SevFeature::VirtualTomMsr) |
                           bit(SevFeature::IbsVirtualization) | bit(SevFeature::VmsaRegProt);
constexpr uint32_t kZen5 = kZen4 | bit(SevFeature::RmpRead) | bit(SevFeature::SegmentedRmp) |
                           bit(SevFeature::SmtProtection) | bit(SevFeature::SvsmCommPageMsr);

std::vector<CpuModel> make_presets() {
  std::vector<CpuModel> v;
  // Naples: the seeds' machine. C-bit 47, 5 address bits lost, 15 SEV guests, XE mode.
  v.push_back({"naples",
               "AMD EPYC 7601 (Zen 1, Naples)",
               0x17,
               0x01,
               2,
               48,
               {kZen1, ebx(47, 5, 0), 15, 1},
               CipherMode::Xe});
  v.push_back({"rome",
               "AMD EPYC 7742 (Zen 2, Rome)",
               0x17,
               0x31,
               0,
               48,
               {kZen1, ebx(47, 5, 0), 509, 100},
               CipherMode::Xex});
  // Milan onwards: C-bit 51, 4 VMPLs; min SEV ASID as seen on a real SNP host (AMDSEV#271).
  v.push_back({"milan",
               "AMD EPYC 7763 (Zen 3, Milan)",
               0x19,
               0x01,
               1,
               48,
               {kZen3, ebx(51, 5, 4), 509, 256},
               CipherMode::Xex});
  v.push_back({"genoa",
               "AMD EPYC 9654 (Zen 4, Genoa)",
               0x19,
               0x11,
               1,
               52,
               {kZen4, ebx(51, 6, 4), 1006, 256},
               CipherMode::Xex});
  v.push_back({"turin",
               "AMD EPYC 9755 (Zen 5, Turin)",
               0x1A,
               0x02,
               1,
               52,
               {kZen5, ebx(51, 6, 4), 1006, 256},
               CipherMode::Xex});
  return v;
}

uint64_t parse_number(std::string_view what, std::string_view s) {
  int base = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    s.remove_prefix(2);
    base = 16;
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    throw InputError(std::string(what) + ": '" + std::string(s) + "' is not a number");
  return v;
}

struct FeatureName {
  const char* name;
  SevFeature bit;
};
constexpr FeatureName kFeatureNames[] = {
    {"sme", SevFeature::Sme},
    {"sev", SevFeature::Sev},
    {"vm_page_flush", SevFeature::VmPageFlush},
    {"sev_es", SevFeature::SevEs},
    {"sev_snp", SevFeature::SevSnp},
    {"vmpl", SevFeature::Vmpl},
    {"rmpquery", SevFeature::RmpQuery},
    {"secure_tsc", SevFeature::SecureTsc},
    {"sme_coherent", SevFeature::SmeCoherent},
    {"debug_swap", SevFeature::DebugSwap},
    {"vte", SevFeature::Vte},
    {"rmpread", SevFeature::RmpRead},
};

}  // namespace

const std::vector<CpuModel>& cpu_model_presets() {
  static const std::vector<CpuModel> presets = make_presets();
  return presets;
}

const CpuModel& cpu_model_by_name(std::string_view name) {
  std::string known;
  for (const auto& m : cpu_model_presets()) {
    if (m.name == name) return m;
    known += (known.empty() ? "" : ", ") + m.name;
  }
  throw InputError("--cpu: unknown CPU model '" + std::string(name) + "' (known: " + known + ")");
}

void apply_cpu_override(CpuModel& m, std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos)
    throw InputError("--set: '" + std::string(assignment) + "' is not field=value");
  const std::string key(assignment.substr(0, eq));
  const std::string_view val = assignment.substr(eq + 1);
  const std::string what = "--set " + key;
  auto& f = m.fn8000_001f;
  auto field = [&](unsigned shift, unsigned width) {
    uint64_t v = parse_number(what, val);
    if (v >= (1ull << width)) throw InputError(what + ": " + std::string(val) + " does not fit");
    uint32_t mask = ((1u << width) - 1) << shift;
    f.ebx = (f.ebx & ~mask) | static_cast<uint32_t>(v) << shift;
  };
  if (key == "cbit") {
    field(0, 6);
  } else if (key == "reduction") {
    field(6, 6);
  } else if (key == "vmpls") {
    field(12, 4);
  } else if (key == "asids") {
    f.ecx = static_cast<uint32_t>(parse_number(what, val));
  } else if (key == "min-sev-asid") {
    f.edx = static_cast<uint32_t>(parse_number(what, val));
  } else if (key == "eax") {
    f.eax = static_cast<uint32_t>(parse_number(what, val));
  } else if (key == "maxphyaddr") {
    uint64_t v = parse_number(what, val);
    if (v < 32 || v > 52) throw InputError(what + ": must be 32..52");
    m.maxphyaddr = static_cast<unsigned>(v);
  } else if (key == "cipher") {
    if (val == "xe")
      m.cipher = CipherMode::Xe;
    else if (val == "xex")
      m.cipher = CipherMode::Xex;
    else
      throw InputError(what + ": '" + std::string(val) + "' is not xe or xex");
  } else if (key == "cache-lines") {
    uint64_t v = parse_number(what, val);
    if (v < m.cache_ways || v % m.cache_ways)
      throw InputError(what + ": must be a multiple of the ways");
    m.cache_lines = static_cast<uint32_t>(v);
  } else if (key == "features") {
    // Comma-separated +name / -name.
    size_t pos = 0;
    while (pos <= val.size()) {
      size_t end = val.find(',', pos);
      if (end == std::string_view::npos) end = val.size();
      std::string_view item = val.substr(pos, end - pos);
      pos = end + 1;
      if (item.empty()) continue;
      bool on = item[0] != '-';
      if (item[0] == '+' || item[0] == '-') item.remove_prefix(1);
      bool found = false;
      for (const auto& fn : kFeatureNames) {
        if (item == fn.name) {
          const uint32_t b = 1u << static_cast<uint32_t>(fn.bit);
          f.eax = on ? f.eax | b : f.eax & ~b;
          found = true;
        }
      }
      if (!found) throw InputError(what + ": unknown feature '" + std::string(item) + "'");
    }
  } else {
    throw InputError("--set: unknown field '" + key +
                     "' (cbit, reduction, vmpls, asids, min-sev-asid, eax, maxphyaddr, cipher, "
                     "cache-lines, features)");
  }
  if (f.cbit_position() >= 52 || f.cbit_position() < 32)
    throw InputError("--set cbit: C-bit position " + std::to_string(f.cbit_position()) +
                     " is outside 32..51");
}

}  // namespace cbit::hw
