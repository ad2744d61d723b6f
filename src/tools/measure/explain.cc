#include "tools/measure/explain.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/error.h"
#include "common/file.h"
#include "psp/digest/vmsa.h"

namespace cbit::tools::measure {

using namespace psp::digest;
using nlohmann::json;

namespace {

const char* source_name(LaunchStep::Source s) {
  switch (s) {
    case LaunchStep::Source::Firmware:
      return "firmware";
    case LaunchStep::Source::MetadataSection:
      return "metadata";
    case LaunchStep::Source::KernelHashes:
      return "kernel_hashes";
    case LaunchStep::Source::Vmsa:
      return "vmsa";
  }
  return "?";
}

std::string guid_name(const Guid& g) {
  if (g == guids::kSevHashTableRv) return "SEV hashes table";
  if (g == guids::kSevEsResetBlock) return "SEV-ES reset block";
  if (g == guids::kSevMetadata) return "SEV metadata";
  if (g == guids::kFooterTable) return "footer table";
  return "";
}

std::string short_hex(ByteSpan b) { return to_hex(b.first(std::min<size_t>(8, b.size()))) + "…"; }

// What each option changes, in words (the contributions sev-snp-measure#30 asks to see).
std::vector<std::string> option_effects(const Request& r, const Outcome& o) {
  std::vector<std::string> out;
  const auto& c = r.cfg;
  if (r.mode == SevMode::Sev) {
    out.push_back(
        "SEV measures the firmware bytes (and the kernel hashes table); vCPUs, vCPU "
        "type, VMM type and guest features do not change the digest");
    return out;
  }
  out.push_back(
      fmt::format("--vcpus {}: {} VMSA page(s), one per vCPU (BSP EIP 0x{:x}, APs at "
                  "the SEV-ES reset block's EIP 0x{:x})",
                  c.vcpus, c.vcpus, kBspEip, o.plan.ap_eip));
  if (c.vmm == VmmType::Qemu)
    out.push_back(fmt::format("vCPU signature 0x{:x} ({}): VMSA RDX, as QEMU sets it at reset",
                              c.vcpu_sig, r.vcpu_sig_from));
  else
    out.push_back("vCPU signature: not measured (ec2 and gce put 0x600 in RDX)");
  out.push_back(fmt::format(
      "--vmm-type {}: {}", vmm_type_name(c.vmm),
      c.vmm == VmmType::Qemu ? "segment attributes 0x9b/0x93/0x8b, MXCSR 0x1f80, FCW 0x37f"
      : c.vmm == VmmType::Ec2
          ? "BSP CS attributes 0x9a, SS 0x92, TR 0x83, RDX 0x600, MXCSR/FCW 0, CPUID pages last"
          : "PAT 0x70106, RDX 0x600, MXCSR/FCW 0, SNP_SEC_MEM as UNMEASURED pages"));
  if (r.mode == SevMode::Snp)
    out.push_back(fmt::format("--guest-features 0x{:x}: VMSA SEV_FEATURES", c.guest_features));
  else
    out.push_back("SEV-ES: VMSA SEV_FEATURES is 0 (--guest-features is for SNP)");
  if (o.hashes)
    out.push_back(
        "--kernel/--initrd/--append: their SHA-256s fill the SEV hashes table, which "
        "is measured");
  else
    out.push_back("no --kernel: no hashes table (SNP: its page is measured as ZERO)");
  if (r.cfg.snp_seed)
    out.push_back(
        "--snp-ovmf-hash: the chain starts from this digest instead "
        "of the firmware pages");
  return out;
}

json inputs_json(const Request& r, const Outcome& o) {
  json in;
  in["mode"] = sev_mode_name(r.mode);
  const Ovmf& f = *o.ovmf;
  json ovmf{{"path", r.ovmf},
            {"size", f.data().size()},
            {"sha256", to_hex(o.ovmf_sha256)},
            {"gpa", f.gpa()},
            {"footer_table", f.has_footer_table()}};
  json table = json::array();
  for (const auto& e : f.table())
    table.push_back({{"guid", e.guid.str()},
                     {"name", guid_name(e.guid)},
                     {"offset", e.offset},
                     {"data", to_hex(f.data().subspan(e.offset, e.size))}});
  ovmf["table"] = table;
  json md = json::array();
  for (const auto& s : f.metadata()) {
    const char* n = section_type_name(s.type);
    md.push_back({{"gpa", s.gpa}, {"size", s.size}, {"type", s.type}, {"name", n ? n : "?"}});
  }
  ovmf["metadata"] = md;
  in["ovmf"] = ovmf;
  if (r.mode != SevMode::Sev) {
    in["vcpus"] = r.cfg.vcpus;
    in["vcpu_sig"] = r.cfg.vcpu_sig;
    in["vcpu_sig_from"] = r.vcpu_sig_from;
    in["vmm_type"] = vmm_type_name(r.cfg.vmm);
  }
  if (r.mode == SevMode::Snp) in["guest_features"] = r.cfg.guest_features;
  if (o.hashes) {
    in["kernel"] = {{"path", *r.kernel}, {"sha256", to_hex(o.hashes->kernel)}};
    in["initrd"] = {{"path", r.initrd.value_or("")}, {"sha256", to_hex(o.hashes->initrd)}};
    in["append"] = {{"text", r.append.value_or("")}, {"sha256", to_hex(o.hashes->cmdline)}};
  }
  if (r.cfg.snp_seed) in["snp_ovmf_hash"] = to_hex(*r.cfg.snp_seed);
  return in;
}

}  // namespace

std::vector<std::pair<std::string, uint64_t>> vmsa_fields(ByteSpan v) {
  using namespace vmsa_off;
  CBIT_ASSERT(v.size() == kVmsaSize);
  auto u16 = [&](size_t o) { return uint64_t(load_le<uint16_t>(v.data() + o)); };
  auto u32 = [&](size_t o) { return uint64_t(load_le<uint32_t>(v.data() + o)); };
  auto u64 = [&](size_t o) { return load_le<uint64_t>(v.data() + o); };
  return {{"cs.attrib", u16(kCs + kSegAttrib)},
          {"cs.base", u64(kCs + kSegBase)},
          {"ss.attrib", u16(kSs + kSegAttrib)},
          {"tr.attrib", u16(kTr + kSegAttrib)},
          {"rip", u64(kRip)},
          {"rdx", u64(kRdx)},
          {"g_pat", u64(kGPat)},
          {"sev_features", u64(kSevFeatures)},
          {"mxcsr", u32(kMxcsr)},
          {"x87_fcw", u16(kX87Fcw)}};
}

std::string explain_text(const Request& r, const Outcome& o) {
  const Ovmf& f = *o.ovmf;
  std::string s = fmt::format("{} launch digest, step by step\n\ninputs:\n", sev_mode_name(r.mode));
  s += fmt::format("  --ovmf {}: {} bytes, sha256 {}\n", r.ovmf, f.data().size(),
                   to_hex(o.ovmf_sha256));
  s += fmt::format("    mapped at GPA 0x{:x}..0x{:x} (ends at 4 GiB)\n", f.gpa(),
                   f.gpa() + f.data().size() - 1);
  if (!f.has_footer_table()) s += "    no OVMF footer table (not an SEV-capable OVMF build)\n";
  for (const auto& e : f.table()) {
    const std::string n = guid_name(e.guid);
    s += fmt::format("    footer table entry {}{}: {} bytes at offset 0x{:x}\n", e.guid.str(),
                     n.empty() ? "" : " (" + n + ")", e.size, e.offset);
  }
  for (size_t i = 0; i < f.metadata().size(); ++i) {
    const auto& m = f.metadata()[i];
    const char* n = section_type_name(m.type);
    s += fmt::format("    SEV metadata section {}: {} GPA 0x{:x} size 0x{:x}\n", i, n ? n : "?",
                     m.gpa, m.size);
  }
  if (o.hashes) {
    s += fmt::format("  --kernel {}: sha256 {}\n", *r.kernel, to_hex(o.hashes->kernel));
    s += fmt::format("  --initrd {}: sha256 {}\n", r.initrd.value_or("(none)"),
                     to_hex(o.hashes->initrd));
    s += fmt::format("  --append '{}': sha256 of it with its NUL {}\n", r.append.value_or(""),
                     to_hex(o.hashes->cmdline));
  }
  s += "\noptions:\n";
  for (const auto& e : option_effects(r, o)) s += "  " + e + "\n";
  s += "\nsteps";
  s += r.mode == SevMode::Snp
           ? " (every page: LD = SHA-384(PAGE_INFO: LD_prev, contents, 0x70, type, GPA)):\n"
           : " (one SHA-256 over all blocks, in order):\n";
  if (r.cfg.snp_seed) s += fmt::format("  LD starts at {}\n", to_hex(*r.cfg.snp_seed));
  size_t rec = 0;
  for (size_t si = 0; si < o.plan.steps.size(); ++si) {
    const LaunchStep& st = o.plan.steps[si];
    if (r.mode == SevMode::Snp) {
      s += fmt::format("  {}. {}: {} {} page(s) at GPA 0x{:x}\n", si + 1, st.label, st.pages,
                       page_type_name(st.page_type), st.gpa);
    } else {
      const uint64_t n = st.source == LaunchStep::Source::Vmsa ? st.pages : 1;
      s += fmt::format("  {}. {}: {} block(s) of {} bytes, sha256 {}\n", si + 1, st.label, n,
                       st.data.size(), to_hex(crypto::sha256(st.data)));
    }
    if (st.source == LaunchStep::Source::Vmsa) {
      s += "     VMSA fields:";
      for (const auto& [name, v] : vmsa_fields(st.data)) s += fmt::format(" {}=0x{:x}", name, v);
      s += "\n";
    }
    if (r.mode == SevMode::Snp) {
      for (; rec < o.m.pages.size() && o.m.pages[rec].step == si; ++rec) {
        const PageRecord& p = o.m.pages[rec];
        s += fmt::format("     page {:4} GPA 0x{:012x} {:<10} contents {}  LD {}\n", p.index, p.gpa,
                         page_type_name(p.type), short_hex(p.contents), short_hex(p.ld));
      }
    }
  }
  s += fmt::format("\ndigest: {}\n", format_digest(o.m.digest, r.base64));
  return s;
}

std::string explain_json(const Request& r, const Outcome& o) {
  json j;
  j["cbit_measure_explain"] = kExplainVersion;
  j["mode"] = sev_mode_name(r.mode);
  j["inputs"] = inputs_json(r, o);
  j["options"] = option_effects(r, o);
  json steps = json::array();
  for (const auto& st : o.plan.steps) {
    json js{{"label", st.label},
            {"source", source_name(st.source)},
            {"page_type", page_type_name(st.page_type)},
            {"gpa", st.gpa},
            {"pages", st.pages},
            {"section", st.section},
            {"data_sha256", to_hex(crypto::sha256(st.data))}};
    if (st.source == LaunchStep::Source::Vmsa) {
      json fields;
      for (const auto& [name, v] : vmsa_fields(st.data)) fields[name] = v;
      js["vmsa_fields"] = fields;
    }
    steps.push_back(js);
  }
  j["steps"] = steps;
  json recs = json::array();
  for (const auto& p : o.m.pages)
    recs.push_back({{"step", p.step},
                    {"index", p.index},
                    {"type", page_type_name(p.type)},
                    {"gpa", p.gpa},
                    {"contents", to_hex(p.contents)},
                    {"ld", to_hex(p.ld)}});
  for (const auto& b : o.m.blocks)
    recs.push_back(
        {{"step", b.step}, {"index", b.index}, {"length", b.length}, {"sha256", to_hex(b.sha256)}});
  j["records"] = recs;
  j["digest"] = to_hex(o.m.digest);
  return j.dump(1) + "\n";
}

std::string vmsa_file_name(uint64_t n) { return fmt::format("vmsa{}.bin", n); }

void dump_vmsas(const LaunchPlan& plan, uint64_t vcpus) {
  uint64_t n = 0;
  for (const auto& st : plan.steps) {
    if (st.source != LaunchStep::Source::Vmsa) continue;
    for (uint64_t i = 0; i < st.pages && n < vcpus; ++i, ++n)
      write_file_atomic(vmsa_file_name(n), st.data);
  }
}

}  // namespace cbit::tools::measure
