// Fuzzes the OVMF parser (footer table, SEV metadata) and everything a launch builds from a
// parsed image: any input is either refused with an InputError or yields SEV, SEV-ES and SNP
// digests for QEMU, ec2 and gce, with and without kernel hashes, and the SNP digest computed
// page by page equals the one computed by the measure tool's batched path.
#include <cstdint>
#include <cstdlib>

#include "common/error.h"
#include "psp/digest/launch_plan.h"
#include "psp/digest/ovmf.h"
#include "psp/digest/snp_launch_digest.h"
#include "tools/measure/measure.h"

namespace {

using namespace cbit::psp::digest;

constexpr uint64_t kMaxPages = 1 << 16;

void launch(const Ovmf& ovmf, const LaunchConfig& cfg) {
  try {
    const LaunchPlan plan = plan_launch(ovmf, cfg);
    // The digest hashes every page the metadata declares (as sev-snp-measure does), up to 4 GiB
    // per section: seconds for one input. Past 64 Ki pages the fuzzer learns nothing new from the
    // page loop, so it skips the hashing and keeps its speed.
    uint64_t pages = 0;
    for (const auto& s : plan.steps) pages += s.pages;
    if (pages > kMaxPages) return;
    const auto m = cbit::tools::measure::measure(plan, true, 1);
    if (m.digest.size() != (cfg.mode == SevMode::Snp ? 48u : 32u)) std::abort();
    if (cfg.mode != SevMode::Snp) return;
    // The Secure Processor's view, one page at a time, must agree.
    SnpLaunchDigest sp;
    for (const auto& s : plan.steps)
      for (uint64_t i = 0; i < s.pages; ++i) {
        const uint64_t gpa = s.repeat ? s.gpa : s.gpa + i * 4096;
        if (page_type_measures_contents(s.page_type))
          sp.update_page(s.page_type, gpa, s.data.subspan(s.repeat ? 0 : i * 4096, 4096));
        else
          sp.update_unmeasured(s.page_type, gpa);
      }
    if (!std::equal(m.digest.begin(), m.digest.end(), sp.digest().begin())) std::abort();
  } catch (const cbit::InputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const Ovmf ovmf(cbit::Bytes(data, data + size), "fuzz");
    (void)ovmf.sev_hashes_table_supported();
    const auto hashes = SevHashes::from_contents(cbit::ByteSpan(data, size / 2), {}, "x");
    for (SevMode mode : {SevMode::Sev, SevMode::SevEs, SevMode::Snp})
      for (VmmType vmm : {VmmType::Qemu, VmmType::Ec2, VmmType::Gce})
        for (bool with_hashes : {false, true}) {
          LaunchConfig cfg;
          cfg.mode = mode;
          cfg.vmm = vmm;
          cfg.vcpus = 3;
          cfg.vcpu_sig = 0xa00f11;
          if (with_hashes) cfg.hashes = hashes;
          launch(ovmf, cfg);
        }
  } catch (const cbit::InputError&) {
  }
  return 0;
}
