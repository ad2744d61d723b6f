#include "tools/host/cpu_identity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace cbit::tools::host {

namespace {

std::string regs_text(std::initializer_list<uint32_t> regs) {
  std::string s;
  for (uint32_t r : regs)
    for (int i = 0; i < 4; ++i) s += static_cast<char>((r >> (8 * i)) & 0xFF);
  return s;
}

std::string trim(std::string s) {
  s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

// Generations by family/model (sevctl SevGeneration::current; virtee/sev identify_cpu):
// family 0x17 models 0x00-0x2F Naples (Zen 1/Zen+), 0x30-0x3F Rome (Zen 2); family 0x19
// models 0x00-0x0F Milan, 0x10-0x1F and 0xA0-0xAF Genoa; family 0x1A Turin.
Generation generation_of(unsigned family, unsigned model) {
  if (family == 0x17)
    return model < 0x30    ? Generation::Naples
           : model <= 0x3F ? Generation::Rome
                           : Generation::Unknown;
  if (family == 0x19) {
    if (model <= 0x0F) return Generation::Milan;
    if ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF))
      return Generation::Genoa;
    return Generation::Unknown;
  }
  if (family == 0x1A) return Generation::Turin;
  return Generation::Unknown;
}

}  // namespace

bool CpuIdentity::can_sev_es() const { return generation != Generation::Naples; }
bool CpuIdentity::can_snp() const {
  return generation != Generation::Naples && generation != Generation::Rome;
}

CpuIdentity identify_cpu(const HostSnapshot& s) {
  CpuIdentity id;
  const CpuidRegs l0 = s.leaf(0);
  id.vendor = regs_text({l0.ebx, l0.edx, l0.ecx});
  id.hypervisor = (s.leaf(1).ecx >> 31) & 1;
  // Family/model/stepping (APM Vol. 3, CPUID Fn0000_0001_EAX; Intel SDM Vol. 2A, CPUID
  // leaf 01H): the extended family adds on when the base family is 0xF; the extended model
  // is the model's high nibble on those parts and, for Intel, on family 6 too.
  const uint32_t eax = s.leaf(1).eax;
  const unsigned base_family = (eax >> 8) & 0xF, ext_family = (eax >> 20) & 0xFF;
  const unsigned base_model = (eax >> 4) & 0xF, ext_model = (eax >> 16) & 0xF;
  const bool wide_model = base_family == 0xF || (base_family == 0x6 && !id.is_amd());
  id.family = base_family + (base_family == 0xF ? ext_family : 0);
  id.model = (wide_model ? ext_model << 4 : 0) | base_model;
  id.stepping = eax & 0xF;
  if (s.leaf(0x80000000).eax >= 0x80000004) {
    const CpuidRegs a = s.leaf(0x80000002), b = s.leaf(0x80000003), c = s.leaf(0x80000004);
    id.brand = trim(regs_text(
        {a.eax, a.ebx, a.ecx, a.edx, b.eax, b.ebx, b.ecx, b.edx, c.eax, c.ebx, c.ecx, c.edx}));
  }
  if (id.is_amd()) id.generation = generation_of(id.family, id.model);
  return id;
}

std::string CpuIdentity::describe() const {
  return fmt::format("{} (family 0x{:x}, model 0x{:x}, stepping {})",
                     brand.empty() ? vendor : brand, family, model, stepping);
}

const char* generation_name(Generation g) {
  switch (g) {
    case Generation::Naples:
      return "Naples (Zen 1)";
    case Generation::Rome:
      return "Rome (Zen 2)";
    case Generation::Milan:
      return "Milan (Zen 3)";
    case Generation::Genoa:
      return "Genoa (Zen 4)";
    case Generation::Turin:
      return "Turin (Zen 5)";
    case Generation::Unknown:
      break;
  }
  return "unknown generation";
}

}  // namespace cbit::tools::host
