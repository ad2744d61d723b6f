#include "hw/cpu_models.h"

#include "common/error.h"
#include "common/number.h"

namespace cbit::hw {

namespace {

// One preset: the registers of the recorded dump of a real part (tests/data/cpuid/<dump>.txt,
// which names the source: InstLatx64's AIDA64 dumps, also carried by libcpuid's tests), then
// what cbit adds: the BIOS settings it models and the memory controller's cipher.
struct Preset {
  const char* name;
  const char* marketing;
  const char* dump;         // tests/data/cpuid/<dump>.txt
  uint32_t fn00000001_eax;  // family/model/stepping signature
  const char* brand;        // Fn8000_0002..4, without the padding
  uint32_t fn80000008_eax;  // [7:0] physical, [15:8] linear address bits
  uint32_t f1f_eax, f1f_ebx, f1f_ecx;
  uint32_t bios_min_sev_asid;  // Fn8000_001F EDX: a BIOS setting (kBiosDefaultMinSevAsid)
  const char* bios_note;
  CipherMode cipher;
};

// Fn8000_001F EBX as dumped: C-bit 47 and 5 bits lost on Zen 1/2; C-bit 51 and 4 VMPLs from
// Zen 3, 6 bits lost on Zen 4/5. EAX as dumped: Zen 2 adds VTE (bit 16) to Zen 1's SME, SEV,
// VM_PAGE_FLUSH, SEV-ES; Milan has SNP, VMPL and bits 10-16 but no RMPQUERY (bit 6); Genoa
// and Turin no longer report VM_PAGE_FLUSH (bit 2; they have SME_COHERENT).
constexpr Preset kPresets[] = {
    {"naples", "AMD EPYC 7551P (Zen 1, Naples)", "epyc-7551p", 0x00800F12,
     "AMD EPYC 7551P 32-Core Processor", 0x00003030, 0x0000000F, 0x0000016F, 0x0000000F,
     kBiosDefaultMinSevAsid,
     "Fn8000_001F EDX = 1, the BIOS default the dump shows: no ASID for SEV-ES guests (the seeds' "
     "first-generation host reads the same leaf)",
     CipherMode::Xe},
    {"rome", "AMD EPYC 7742 (Zen 2, Rome)", "epyc-7742", 0x00830F10,
     "AMD EPYC 7742 64-Core Processor", 0x00003030, 0x0001000F, 0x0000016F, 0x000001FD, 100,
     "Fn8000_001F EDX = 100: BIOS \"SEV-ES ASID Space Limit\" set to 100 for SEV-ES guests "
     "(ASIDs 1-99), the value AMD's SEV setup asks for (AMDESE/AMDSEV#84; its README's host: "
     "\"SEV supported: 410 ASIDs, SEV-ES supported: 99 ASIDs\"); the dump shows the default 1",
     CipherMode::Xex},
    {"milan", "AMD EPYC 7763 (Zen 3, Milan)", "epyc-7763", 0x00A00F11,
     "AMD EPYC 7763 64-Core Processor", 0x00003030, 0x0001FC3F, 0x00004173, 0x000001FD, 256,
     "Fn8000_001F EDX = 256: BIOS \"SEV-ES ASID Space Limit\" as on the Milan SNP host of "
     "AMDESE/AMDSEV#271 (SEV-ES/SNP ASIDs 1-255); the dump shows the default 1",
     CipherMode::Xex},
    {"genoa", "AMD EPYC 9124 (Zen 4, Genoa)", "epyc-9124", 0x00A10F11,
     "AMD EPYC 9124 16-Core Processor", 0x00003934, 0x030FFFFB, 0x000041B3, 0x000003EE, 256,
     "Fn8000_001F EDX = 256: BIOS \"SEV-ES ASID Space Limit\", cbit's choice (the Milan host's "
     "value); the dump shows the default 1. An EPYC 9654 (same family/model/stepping, "
     "tests/data/cpuid/epyc-9654.txt) reads EAX[4] SNP = 0, presumably SNP off in its BIOS",
     CipherMode::Xex},
    {"turin", "AMD EPYC 9655 (Zen 5, Turin)", "epyc-9655", 0x00B00F21,
     "AMD EPYC 9655 96-Core Processor", 0x00003934, 0xCFFFFFFB, 0x000041B3, 0x000003EE, 256,
     "Fn8000_001F EDX = 256: BIOS \"SEV-ES ASID Space Limit\", cbit's choice (the Milan host's "
     "value); the dump shows the default 1",
     CipherMode::Xex},
};

// Leaf 1 EAX as AMD encodes it (APM Vol. 3 E.3.2): family = base + ext when base is 0xF,
// model = ext:base.
CpuModel make_model(const Preset& p) {
  CpuModel m;
  m.name = p.name;
  m.marketing = p.marketing;
  m.brand = p.brand;
  const uint32_t base_family = (p.fn00000001_eax >> 8) & 0xF;
  m.family = base_family + (base_family == 0xF ? (p.fn00000001_eax >> 20) & 0xFF : 0);
  m.model = ((p.fn00000001_eax >> 16) & 0xF) << 4 | ((p.fn00000001_eax >> 4) & 0xF);
  m.stepping = p.fn00000001_eax & 0xF;
  m.maxphyaddr = p.fn80000008_eax & 0xFF;
  m.linear_bits = (p.fn80000008_eax >> 8) & 0xFF;
  m.fn8000_001f = {p.f1f_eax, p.f1f_ebx, p.f1f_ecx, p.bios_min_sev_asid};
  m.cipher = p.cipher;
  m.source = std::string("tests/data/cpuid/") + p.dump + ".txt";
  m.bios_note = p.bios_note;
  // Zen 1/2 have no CacheWarp fix (AMD-SB-3005); Milan's microcode has it; Zen 4+ are not
  // affected. Ciphertext hiding arrived with Zen 4 (SNP-FACTS.md §7).
  const std::string_view n = p.name;
  m.cachewarp_fix = n != "naples" && n != "rome";
  m.ciphertext_hiding = n == "genoa" || n == "turin";
  return m;
}

std::vector<CpuModel> make_presets() {
  std::vector<CpuModel> v;
  for (const auto& p : kPresets) v.push_back(make_model(p));
  return v;
}

uint64_t parse_number(std::string_view what, std::string_view s) {
  const auto v = parse_u64(s);
  if (!v) throw InputError(std::string(what) + ": '" + std::string(s) + "' is not a number");
  return *v;
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
    {"segmented_rmp", SevFeature::SegmentedRmp},
};

}  // namespace

const std::vector<CpuModel>& cpu_model_presets() {
  static const std::vector<CpuModel> presets = make_presets();
  return presets;
}

const CpuModel& cpu_model_by_name(std::string_view name, std::string_view what) {
  std::string known;
  for (const auto& m : cpu_model_presets()) {
    if (m.name == name) return m;
    known += (known.empty() ? "" : ", ") + m.name;
  }
  throw InputError(std::string(what) + ": unknown CPU model '" + std::string(name) +
                   "' (known: " + known + ")");
}

std::vector<FeatureChange> parse_feature_changes(std::string_view list, std::string_view what) {
  std::vector<FeatureChange> changes;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    const bool on = item[0] != '-';
    if (item[0] == '+' || item[0] == '-') item.remove_prefix(1);
    const FeatureName* found = nullptr;
    for (const auto& fn : kFeatureNames)
      if (item == fn.name) found = &fn;
    if (!found) {
      std::string names;
      for (const auto& fn : kFeatureNames)
        names += (names.empty() ? "" : ", ") + std::string(fn.name);
      throw InputError(std::string(what) + ": unknown feature '" + std::string(item) +
                       "' (known: " + names + ")");
    }
    changes.push_back({found->bit, on});
  }
  if (changes.empty())
    throw InputError(std::string(what) + ": give +name or -name, e.g. features=-sev_es");
  return changes;
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
  } else if (key == "cachewarp-fix" || key == "ciphertext-hiding") {
    const uint64_t v = parse_number(what, val);
    if (v > 1) throw InputError(what + ": must be 0 or 1");
    (key == "cachewarp-fix" ? m.cachewarp_fix : m.ciphertext_hiding) = v == 1;
  } else if (key == "features") {
    for (const auto& c : parse_feature_changes(val, what)) {
      const uint32_t b = 1u << static_cast<uint32_t>(c.bit);
      f.eax = c.on ? f.eax | b : f.eax & ~b;
    }
  } else {
    throw InputError("--set: unknown field '" + key +
                     "' (cbit, reduction, vmpls, asids, min-sev-asid, eax, maxphyaddr, cipher, "
                     "cache-lines, features, cachewarp-fix, ciphertext-hiding)");
  }
  if (f.cbit_position() >= 52 || f.cbit_position() < 32)
    throw InputError("--set cbit: C-bit position " + std::to_string(f.cbit_position()) +
                     " is outside 32..51");
}

}  // namespace cbit::hw
