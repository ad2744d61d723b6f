// Fuzzes the SNP CPUID page as the firmware meets it from a hostile VMM: any 4 KiB page either
// fails to parse (count > 64: INVALID_PARAM) or parses, round-trips, and sanitises to a table that
// passes a second sanitising unchanged (the firmware's correction is a fixed point), with a
// mismatch for every entry it changed.
#include <cstdint>
#include <cstdlib>

#include "hw/cpu_models.h"
#include "psp/snp/cpuid_page.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit::psp::snp;
  using cbit::hw::psp::sev::SevStatus;
  cbit::Bytes page(data, data + std::min(size, kCpuidPageSize));
  page.resize(kCpuidPageSize, 0);
  const auto t = CpuidTable::parse(page);
  if (!t) return 0;
  if (!(CpuidTable::parse(t->serialize()) == t)) std::abort();
  static const cbit::hw::CpuModel& model = cbit::hw::cpu_model_by_name("genoa");
  const CpuidSanitizeResult r = snp_cpuid_sanitize(*t, model);
  if (r.table.functions.size() != t->functions.size()) std::abort();
  if (r.status == SevStatus::Success && !r.mismatches.empty()) std::abort();
  for (const CpuidMismatch& m : r.mismatches) (void)cpuid_mismatch_message(m);
  const CpuidSanitizeResult again = snp_cpuid_sanitize(r.table, model);
  if (!again.mismatches.empty() || !(again.table == r.table)) std::abort();
  return 0;
}
