#include "tools/measure/measure.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "common/error.h"
#include "psp/digest/page_hash.h"
#include "psp/digest/sev_launch_digest.h"
#include "psp/digest/snp_launch_digest.h"

namespace cbit::tools::measure {

using namespace psp::digest;

namespace {

constexpr uint64_t kPage = 4096;

Measurement measure_snp(const LaunchPlan& plan, bool record, unsigned threads) {
  Measurement m;
  m.mode = plan.mode;
  SnpLaunchDigest ld(plan.snp_seed.value_or(crypto::Sha384Digest{}));
  PageHasher hasher;
  std::vector<crypto::Sha384Digest> hashes;
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 2u);
  for (size_t si = 0; si < plan.steps.size(); ++si) {
    const LaunchStep& s = plan.steps[si];
    const bool measured = page_type_measures_contents(s.page_type);
    auto chain = [&](uint64_t lo, uint64_t hi) {
      for (uint64_t i = lo; i < hi; ++i) {
        const crypto::Sha384Digest contents =
            measured ? hashes[s.repeat ? 0 : i] : crypto::Sha384Digest{};
        const uint64_t gpa = s.repeat ? s.gpa : s.gpa + i * kPage;
        ld.update(contents, {s.page_type, gpa});
        if (record) m.pages.push_back({si, i, s.page_type, gpa, contents, ld.digest()});
      }
    };
    if (measured && !s.repeat) {
      // Page contents are independent of the chain: a second thread hashes the upper part
      // while this one hashes the lower part and already chains it.
      CBIT_ASSERT(s.data.size() == s.pages * kPage);
      hashes.resize(s.pages);
      const uint64_t mid = threads > 1 && s.pages >= 64 ? s.pages * 15 / 32 : s.pages;
      std::thread upper;
      if (mid < s.pages)
        upper = std::thread([&] {
          sha384_pages(s.data.subspan(mid * kPage), std::span(hashes).subspan(mid, s.pages - mid),
                       threads - 1);
        });
      sha384_pages(s.data.first(mid * kPage), std::span(hashes).first(mid), 1);
      chain(0, mid);
      if (upper.joinable()) upper.join();
      chain(mid, s.pages);
      continue;
    }
    if (measured) {
      CBIT_ASSERT(s.data.size() == kPage);
      hashes.assign(1, hasher.sha384(s.data));
    }
    chain(0, s.pages);
  }
  m.digest.assign(ld.digest().begin(), ld.digest().end());
  return m;
}

Measurement measure_sev(const LaunchPlan& plan, bool record) {
  Measurement m;
  m.mode = plan.mode;
  SevLaunchDigest d;
  for (size_t si = 0; si < plan.steps.size(); ++si) {
    const LaunchStep& s = plan.steps[si];
    const uint64_t n = s.source == LaunchStep::Source::Vmsa ? s.pages : 1;
    const crypto::Sha256Digest block = record ? crypto::sha256(s.data) : crypto::Sha256Digest{};
    for (uint64_t i = 0; i < n; ++i) {
      if (s.source == LaunchStep::Source::Vmsa)
        d.update_vmsa(s.data);
      else
        d.update_data(s.data);
      if (record) m.blocks.push_back({si, i, s.data.size(), block});
    }
  }
  const auto out = d.finish();
  m.digest.assign(out.begin(), out.end());
  return m;
}

}  // namespace

Measurement measure(const LaunchPlan& plan, bool record, unsigned threads) {
  return plan.mode == SevMode::Snp ? measure_snp(plan, record, threads) : measure_sev(plan, record);
}

crypto::Sha384Digest snp_ovmf_hash(const Ovmf& ovmf, unsigned threads) {
  if (ovmf.data().size() % kPage != 0)
    throw InputError(fmt::format("{}: firmware is 0x{:x} bytes, not a whole number of 4 KiB pages",
                                 ovmf.name(), ovmf.data().size()));
  LaunchPlan plan;
  LaunchStep s;
  s.label = "OVMF image";
  s.gpa = ovmf.gpa();
  s.data = ovmf.data();
  s.pages = ovmf.data().size() / kPage;
  if (s.pages) plan.steps.push_back(s);
  const Measurement m = measure(plan, false, threads);
  crypto::Sha384Digest out{};
  std::copy(m.digest.begin(), m.digest.end(), out.begin());
  return out;
}

}  // namespace cbit::tools::measure
