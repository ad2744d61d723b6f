#include "psp/digest/launch_plan.h"

#include <fmt/format.h>

#include <ostream>

#include "common/error.h"

namespace cbit::psp::digest {

const char* sev_mode_name(SevMode m) {
  switch (m) {
    case SevMode::Sev:
      return "SEV";
    case SevMode::SevEs:
      return "SEV_ES";
    case SevMode::Snp:
      return "SEV_SNP";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, SevMode m) { return os << sev_mode_name(m); }

namespace {

constexpr uint64_t kPage = 4096;

struct Builder {
  const Ovmf& ovmf;
  const LaunchConfig& cfg;
  LaunchPlan plan;

  [[noreturn]] void fail(const std::string& what) {
    throw InputError(fmt::format("{}: {}", ovmf.name(), what));
  }

  ByteSpan keep(Bytes b) {
    auto p = std::make_shared<const Bytes>(std::move(b));
    plan.buffers.push_back(p);
    return *p;
  }

  void add_pages(LaunchStep s, uint64_t length) {
    if (length % kPage != 0)
      fail(fmt::format("{} at GPA 0x{:x} is 0x{:x} bytes, not a whole number of 4 KiB pages",
                       s.label, s.gpa, length));
    s.pages = length / kPage;
    if (s.pages) plan.steps.push_back(std::move(s));
  }

  void firmware() {
    LaunchStep s;
    s.source = LaunchStep::Source::Firmware;
    s.label = "OVMF image";
    s.gpa = ovmf.gpa();
    s.data = ovmf.data();
    if (cfg.mode == SevMode::Snp) {
      if (cfg.snp_seed) return;  // the caller's digest stands for these pages
      add_pages(std::move(s), ovmf.data().size());
    } else {
      s.pages = 0;  // SEV: one LAUNCH_UPDATE_DATA over the whole image, any size
      plan.steps.push_back(std::move(s));
    }
  }

  // SEV / SEV-ES measured direct boot: the padded table follows the firmware in the digest.
  void sev_kernel_hashes() {
    if (!cfg.hashes) return;
    if (!ovmf.sev_hashes_table_supported())
      fail("Kernel specified but OVMF doesn't support kernel/initrd/cmdline measurement");
    LaunchStep s;
    s.source = LaunchStep::Source::KernelHashes;
    s.label = "SEV hashes table (kernel, initrd, cmdline)";
    s.gpa = ovmf.sev_hashes_table_gpa();
    s.pages = 0;
    s.data = keep(cfg.hashes->table());
    plan.steps.push_back(std::move(s));
  }

  void snp_section(size_t i, const MetadataSection& m) {
    const char* tname = section_type_name(m.type);
    LaunchStep s;
    s.source = LaunchStep::Source::MetadataSection;
    s.section = int(i);
    s.gpa = m.gpa;
    s.label = fmt::format("SEV metadata section {} ({})", i, tname ? tname : "?");
    switch (static_cast<SectionType>(m.type)) {
      case SectionType::SnpSecMem:
        // gce does not pre-validate SEC memory as zero pages; it leaves it unmeasured.
        s.page_type = cfg.vmm == VmmType::Gce ? PageType::Unmeasured : PageType::Zero;
        return add_pages(std::move(s), m.size);
      case SectionType::SnpSecrets:
        s.page_type = PageType::Secrets;  // one page, whatever the size field says
        plan.steps.push_back(std::move(s));
        return;
      case SectionType::Cpuid:
        if (cfg.vmm == VmmType::Ec2) return;  // ec2 adds the CPUID page(s) last
        s.page_type = PageType::Cpuid;
        plan.steps.push_back(std::move(s));
        return;
      case SectionType::SnpKernelHashes:
        if (cfg.hashes) {
          s.source = LaunchStep::Source::KernelHashes;
          s.label += ": hashes table page";
          const uint32_t offset = ovmf.sev_hashes_table_gpa() & 0xfff;
          auto page = cfg.hashes->page(offset);
          if (!page)
            fail(fmt::format("the SEV hashes table at page offset 0x{:x} does not fit in its page",
                             offset));
          if (m.size != kPage)
            fail(
                fmt::format("SNP_KERNEL_HASHES section is 0x{:x} bytes; with kernel hashes it "
                            "must be exactly one page",
                            m.size));
          s.page_type = PageType::Normal;
          s.data = keep(std::move(*page));
          s.pages = 1;
          plan.steps.push_back(std::move(s));
          return;
        }
        s.page_type = PageType::Zero;
        return add_pages(std::move(s), m.size);
      case SectionType::SvsmCaa:
        s.page_type = PageType::Zero;
        return add_pages(std::move(s), m.size);
    }
    fail(fmt::format("SEV metadata section {} has unknown type 0x{:x}", i, m.type));
  }

  void snp_metadata() {
    const auto& md = ovmf.metadata();
    for (size_t i = 0; i < md.size(); ++i) snp_section(i, md[i]);
    if (cfg.vmm == VmmType::Ec2) {
      for (size_t i = 0; i < md.size(); ++i) {
        if (md[i].type != uint32_t(SectionType::Cpuid)) continue;
        LaunchStep s;
        s.source = LaunchStep::Source::MetadataSection;
        s.section = int(i);
        s.gpa = md[i].gpa;
        s.page_type = PageType::Cpuid;
        s.label = fmt::format("SEV metadata section {} (CPUID), added last by ec2", i);
        plan.steps.push_back(std::move(s));
      }
    }
    if (cfg.hashes && !ovmf.has_section(SectionType::SnpKernelHashes))
      fail("Kernel specified but OVMF metadata doesn't include SNP_KERNEL_HASHES section");
  }

  // The pages before the VMSAs all lie below 8 GiB (32-bit GPAs and sizes), 2^21 pages. A plan
  // with more page updates updates some page twice, which no SNP launch can do (the second
  // SNP_LAUNCH_UPDATE finds the page Guest-Valid, not Pre-Guest: INVALID_PAGE_STATE). The digest
  // would still be defined (sev-snp-measure hashes whatever the metadata declares, overlaps
  // included), but a hostile image could declare terabytes of pages to hash.
  void snp_page_budget() {
    constexpr uint64_t kMaxPages = (8ull << 30) / kPage;
    uint64_t pages = 0;
    for (const auto& s : plan.steps) pages += s.pages;
    if (pages > kMaxPages)
      fail(
          fmt::format("the SEV metadata declares {} pages to measure, more than the {} that "
                      "32-bit GPAs and sizes can address: an SNP launch would update some page "
                      "twice",
                      pages, kMaxPages));
  }

  void vmsas() {
    const uint32_t ap_eip = ovmf.sev_es_reset_eip();
    plan.ap_eip = ap_eip;
    const uint64_t features = cfg.mode == SevMode::Snp ? cfg.guest_features : 0;
    if (cfg.vcpus == 0) return;
    LaunchStep s;
    s.source = LaunchStep::Source::Vmsa;
    s.page_type = PageType::Vmsa;
    s.gpa = kVmsaGpa;
    s.label = fmt::format("VMSA of vCPU 0 (BSP, EIP 0x{:x})", kBspEip);
    const VmsaPage bsp = build_vmsa(kBspEip, features, cfg.vcpu_sig, cfg.vmm);
    s.data = keep(Bytes(bsp.begin(), bsp.end()));
    plan.steps.push_back(s);
    if (cfg.vcpus == 1) return;
    // OVMF without an AP reset address cannot start APs; the reference fails here too.
    if (ap_eip == 0)
      fail(fmt::format("{} vCPUs asked for but the SEV-ES reset block gives AP EIP 0", cfg.vcpus));
    const VmsaPage ap = build_vmsa(ap_eip, features, cfg.vcpu_sig, cfg.vmm);
    s.label = fmt::format("VMSA of vCPUs 1..{} (APs, EIP 0x{:x})", cfg.vcpus - 1, ap_eip);
    s.data = keep(Bytes(ap.begin(), ap.end()));
    s.pages = cfg.vcpus - 1;
    s.repeat = true;
    s.first_vcpu = 1;
    plan.steps.push_back(std::move(s));
  }
};

}  // namespace

LaunchPlan plan_launch(const Ovmf& ovmf, const LaunchConfig& cfg) {
  Builder b{ovmf, cfg, {}};
  b.plan.mode = cfg.mode;
  b.plan.snp_seed = cfg.mode == SevMode::Snp ? cfg.snp_seed : std::nullopt;
  b.firmware();
  switch (cfg.mode) {
    case SevMode::Sev:
      b.sev_kernel_hashes();
      break;
    case SevMode::SevEs:
      b.sev_kernel_hashes();
      b.vmsas();
      break;
    case SevMode::Snp:
      b.snp_metadata();
      b.snp_page_budget();
      b.vmsas();
      break;
  }
  return std::move(b.plan);
}

}  // namespace cbit::psp::digest
