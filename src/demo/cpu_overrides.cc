#include "demo/cpu_overrides.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/number.h"

namespace cbit::demo {

namespace {

// What the user typed, kept to one short line for an error message.
std::string shown(std::string_view s) {
  std::string out;
  for (char ch : s.substr(0, 40)) out += (ch < 0x20 || ch == 0x7f) ? '?' : ch;
  if (s.size() > 40) out += "...";
  return out;
}

}  // namespace

const std::vector<SetField>& numeric_set_fields() {
  static const std::vector<SetField> fields = {
      {"cbit", "CPUID Fn8000_001F EBX[5:0], the C-bit position", 0, 63},
      {"reduction", "CPUID Fn8000_001F EBX[11:6], physical-address bits lost", 0, 63},
      {"vmpls", "CPUID Fn8000_001F EBX[15:12], VMPL0..VMPL3", 0, kMaxVmpls},
      {"asids", "CPUID Fn8000_001F ECX, encrypted guests (RMP ASIDs are 10 bits)", 0, kMaxAsids},
      {"min-sev-asid", "CPUID Fn8000_001F EDX, the first plain-SEV ASID", 0, kMaxAsids + 1},
      {"eax", "CPUID Fn8000_001F EAX, the feature bits", 0, 0xffffffffu},
      {"maxphyaddr", "CPUID Fn8000_0008 EAX[7:0], physical-address width", kMinPhysAddrBits,
       kMaxPhysAddrBits},
      {"cache-lines", "the last-level cache's lines, a multiple of its ways", 1, kMaxCacheLines},
      {"cachewarp-fix", "microcode with the CacheWarp fix (AMD-SB-3005): HWCR[4] stays set", 0, 1},
      {"ciphertext-hiding", "the part can hide SNP guests' ciphertext (Zen 4+)", 0, 1},
  };
  return fields;
}

std::string set_field_list() {
  std::string s;
  for (const auto& f : numeric_set_fields()) s += std::string(f.name) + ", ";
  return s + "cipher, features";
}

void check_set_assignment(std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos)
    throw InputError(
        fmt::format("--set: '{}' is not field=value ({})", shown(assignment), set_field_list()));
  const std::string_view key = assignment.substr(0, eq), val = assignment.substr(eq + 1);
  const std::string what = "--set " + shown(key);
  for (const auto& f : numeric_set_fields()) {
    if (key != f.name) continue;
    const auto v = parse_u64(val);  // as hw::apply_cpu_override reads it
    if (!v || *v < f.lo || *v > f.hi)
      throw InputError(fmt::format("{}={}: not a whole number from {} to {} ({})", what, shown(val),
                                   f.lo, f.hi, f.reg));
    return;
  }
  if (key == "cipher") {
    if (val != "xe" && val != "xex")
      throw InputError(fmt::format("{}={}: choose xe (Zen 1) or xex", what, shown(val)));
    return;
  }
  if (key == "features") {
    hw::parse_feature_changes(val, what);  // the names hw::apply_cpu_override knows
    return;
  }
  throw InputError(fmt::format("--set: unknown field '{}' ({})", shown(key), set_field_list()));
}

void check_cpu_model(const hw::CpuModel& m) {
  const auto& f = m.fn8000_001f;
  if (m.maxphyaddr < kMinPhysAddrBits || m.maxphyaddr > kMaxPhysAddrBits)
    throw InputError(
        fmt::format("--set: maxphyaddr is {}; choose {} to {} (CPUID Fn8000_0008 EAX[7:0])",
                    m.maxphyaddr, kMinPhysAddrBits, kMaxPhysAddrBits));
  const unsigned reduction = f.phys_addr_reduction();
  if (reduction + kMinPhysAddrBits > m.maxphyaddr)
    throw InputError(fmt::format(
        "--set: reduction {} leaves {} usable physical-address bits of maxphyaddr {}; choose 0 "
        "to {} (at least {} bits must remain)",
        reduction, int(m.maxphyaddr) - int(reduction), m.maxphyaddr,
        m.maxphyaddr - kMinPhysAddrBits, kMinPhysAddrBits));
  // The C-bit is a page-table address bit the memory controller takes for itself: inside the
  // PTE's address field (<= 51) and above the addresses left once it is taken (APM 7.10.1).
  const unsigned usable = m.maxphyaddr - reduction;
  const unsigned cbit = f.cbit_position();
  if (usable >= kMaxPhysAddrBits)
    throw InputError(fmt::format(
        "--set: reduction {} with maxphyaddr {} leaves no address bit for the C-bit; choose 1 "
        "to {}",
        reduction, m.maxphyaddr, m.maxphyaddr - kMinPhysAddrBits));
  if (cbit < usable || cbit >= kMaxPhysAddrBits)
    throw InputError(fmt::format(
        "--set: cbit is {}, but the C-bit must lie above the {} usable physical-address bits "
        "(maxphyaddr {} - reduction {}) and below {}: choose {} to {}",
        cbit, usable, m.maxphyaddr, reduction, kMaxPhysAddrBits, usable, kMaxPhysAddrBits - 1));
  if (f.num_vmpls() > kMaxVmpls)
    throw InputError(
        fmt::format("--set: vmpls is {}; choose 0 to {} (VMPL0..VMPL3)", f.num_vmpls(), kMaxVmpls));
  const uint32_t asids = f.num_encrypted_guests(), min_sev = f.min_sev_asid();
  if (asids > kMaxAsids)
    throw InputError(
        fmt::format("--set: asids is {}; choose 0 to {} (CPUID Fn8000_001F ECX; an RMP entry's "
                    "ASID is 10 bits)",
                    asids, kMaxAsids));
  // ES/SNP guests take ASIDs 1..EDX-1, plain SEV guests EDX..ECX (SPEC-FACTS.md).
  if (min_sev < 1 || min_sev > asids + 1)
    throw InputError(fmt::format(
        "--set: min-sev-asid is {}; choose 1 to {} (CPUID Fn8000_001F EDX: ES guests use ASIDs "
        "1..EDX-1, SEV guests EDX..ECX, and ECX (asids) is {})",
        min_sev, asids + 1, asids));
  if (m.cache_ways == 0 || m.cache_lines < m.cache_ways || m.cache_lines % m.cache_ways ||
      m.cache_lines > kMaxCacheLines)
    throw InputError(
        fmt::format("--set: cache-lines is {}; choose a multiple of {} (the ways) up to {}",
                    m.cache_lines, m.cache_ways, kMaxCacheLines));
}

hw::CpuModel resolve_cpu_model(std::string_view cpu, const std::vector<std::string>& overrides) {
  hw::CpuModel m = hw::cpu_model_by_name(cpu);
  for (const auto& o : overrides) {
    check_set_assignment(o);
    hw::apply_cpu_override(m, o);
  }
  check_cpu_model(m);
  return m;
}

}  // namespace cbit::demo
