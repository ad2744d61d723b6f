#include "tools/report/display.h"

#include <fmt/format.h>

#include <algorithm>

#include "psp/report/report_bits.h"
#include "psp/report/report_format.h"

namespace cbit::tools::report {

using psp::AttestationReport;
using psp::TcbVersion;

namespace {

// A newline, then the bytes as upper-case hex, 16 a line (virtee/sev util/hexline.rs).
std::string hexline(const uint8_t* p, size_t n) {
  std::string s = "\n";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) s += (i % 16 == 0) ? "\n" : " ";
    s += fmt::format("{:02X}", p[i]);
  }
  return s;
}
template <size_t N>
std::string hexline(const std::array<uint8_t, N>& a) {
  return hexline(a.data(), N);
}

const char* b(uint64_t v, int bit) { return ((v >> bit) & 1) ? "true" : "false"; }

// A flag line for reserved bits that are set, or "" (display warns; verify refuses, see
// report_format.h).
std::string reserved_line(uint64_t v, uint64_t mask, const char* bits) {
  if (!(v & mask)) return "";
  return fmt::format("\n  Reserved bits {} set:  0x{:x}  <- reserved, must be zero", bits,
                     v & mask);
}

// SNP guest policy (report_bits.h: bits 16..25 named, 17 must be one, 63:26 reserved). The
// labels are snpguest's, except the two it gets wrong (see docs/report.md).
std::string policy_block(uint64_t p) {
  std::string s = fmt::format(
      "Guest Policy (0x{:x}):\n"
      "  ABI Major:     {}\n"
      "  ABI Minor:     {}",
      p, (p >> 8) & 0xFF, p & 0xFF);
  for (const auto& bit : psp::policy_bits()) {
    if (bit.bit == psp::kPolicyMboBit) continue;
    s += fmt::format("\n  {}:{:>{}}{}", bit.label, "",
                     bit.label.size() < 13 ? 14 - bit.label.size() : 1, b(p, bit.bit));
  }
  if (!((p >> psp::kPolicyMboBit) & 1)) s += "\n  Reserved bit 17 is 0:  <- reserved, must be one";
  return s + reserved_line(p, psp::kPolicyReservedMask, "63:26");
}

std::string tcb_block(const TcbVersion& t) {
  return fmt::format(
      "TCB Version:\n"
      "  Microcode:   {}\n"
      "  SNP:         {}\n"
      "  TEE:         {}\n"
      "  Boot Loader: {}\n"
      "  FMC:         {}",
      t.microcode, t.snp, t.tee, t.bootloader, t.fmc ? std::to_string(*t.fmc) : "None");
}

// PLATFORM_INFO: every defined bit 0..7 (report_bits.h), then any reserved bit that is set.
std::string platform_block(uint64_t v) {
  std::string s = fmt::format("Platform Info ({}):", v);
  for (const auto& bit : psp::platform_info_bits())
    s += fmt::format("\n  {}:{:>{}}{}", bit.label, "", 26 - bit.label.size(), b(v, bit.bit));
  return s + reserved_line(v, psp::kPlatformInfoReservedMask, "63:8");
}

// A v5 mitigation vector: the value, then the bit numbers set (AMD has not published names for
// them in the sources SNP-FACTS.md cites).
std::string mit_vector(bool present, uint64_t v) {
  if (!present) return "None";
  std::string bits;
  for (int i = 0; i < 64; ++i)
    if ((v >> i) & 1) bits += fmt::format("{}{}", bits.empty() ? "" : ",", i);
  return fmt::format("0x{:x}{}", v, bits.empty() ? "" : " (bits " + bits + ")");
}

std::string key_block(const AttestationReport& r) {
  return fmt::format(
      "Key Information:\n"
      "    author key enabled: {}\n"
      "    mask chip key:      {}\n"
      "    signing key:        {}",
      r.author_key_en() ? "true" : "false", r.mask_chip_key() ? "true" : "false",
      psp::signing_key_name((r.key_info >> 2) & 7));
}

std::string opt_u8(bool present, uint8_t v) { return present ? std::to_string(v) : "None"; }

}  // namespace

std::string report_product(const AttestationReport& r) {
  if (!r.has_cpuid_fields()) return "";
  const unsigned fam = r.cpuid_fam_id, model = r.cpuid_mod_id;
  // virtee/sev Generation::identify_cpu.
  if (fam == 0x19 && model <= 0x0F) return "Milan";
  if (fam == 0x19 && ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF)))
    return "Genoa";
  if (fam == 0x1A && model <= 0x11) return "Turin";
  return "";
}

std::string display_report(const AttestationReport& r, ByteSpan raw) {
  const bool v3 = r.has_cpuid_fields(), v5 = r.has_mit_vectors();
  std::string s = fmt::format(
      "Attestation Report:\n\n"
      "Version:                      {}\n\n"
      "Guest SVN:                    {}\n\n"
      "{}\n\n"
      "Family ID:{}\n\n"
      "Image ID:{}\n\n"
      "VMPL:                         {}\n\n"
      "Signature Algorithm:          {}\n\n"
      "Current TCB:\n\n{}\n\n"
      "{}\n\n"
      "{}\n\n",
      r.version, r.guest_svn, policy_block(r.policy), hexline(r.family_id), hexline(r.image_id),
      r.vmpl, r.signature_algo, tcb_block(r.tcb(r.current_tcb)), platform_block(r.platform_info),
      key_block(r));
  s += fmt::format(
      "Report Data:{}\n\n"
      "Measurement:{}\n\n"
      "Host Data:{}\n\n"
      "ID Key Digest:{}\n\n"
      "Author Key Digest:{}\n\n"
      "Report ID:{}\n\n"
      "Report ID Migration Agent:{}\n\n"
      "Reported TCB:\n\n{}\n\n",
      hexline(r.report_data), hexline(r.measurement), hexline(r.host_data),
      hexline(r.id_key_digest), hexline(r.author_key_digest), hexline(r.report_id),
      hexline(r.report_id_ma), tcb_block(r.tcb(r.reported_tcb)));
  s += fmt::format(
      "CPUID Family ID:              {}\n\n"
      "CPUID Model ID:               {}\n\n"
      "CPUID Stepping:               {}\n\n"
      "Chip ID:{}\n\n"
      "Committed TCB:\n\n{}\n\n"
      "Current Version:              {}.{}.{}\n\n"
      "Committed Version:            {}.{}.{}\n\n"
      "Launch TCB:\n\n{}\n\n"
      "Launch Mitigation Vector:     {}\n\n"
      "Current Mitigation Vector:    {}\n\n"
      "Signature:\n  R:{}\n  S:{}\n",
      opt_u8(v3, r.cpuid_fam_id), opt_u8(v3, r.cpuid_mod_id), opt_u8(v3, r.cpuid_step),
      hexline(r.chip_id), tcb_block(r.tcb(r.committed_tcb)), r.current_major, r.current_minor,
      r.current_build, r.committed_major, r.committed_minor, r.committed_build,
      tcb_block(r.tcb(r.launch_tcb)), mit_vector(v5, r.launch_mit_vector),
      mit_vector(v5, r.current_mit_vector), hexline(r.signature_r), hexline(r.signature_s));

  // cbit's additions: how the TCB bytes were read, which key signs, and which VCEK to fetch.
  const auto layout = r.tcb_layout();
  const bool chip_zero =
      std::all_of(r.chip_id.begin(), r.chip_id.end(), [](uint8_t b) { return b == 0; });
  const std::string why =
      (v3 && r.cpuid_fam_id != 0)       ? fmt::format("CPUID family 0x{:X}", r.cpuid_fam_id)
      : chip_zero                       ? std::string("no CPUID family and CHIP_ID masked: assumed")
      : layout == psp::TcbLayout::Turin ? std::string("CHIP_ID uses only 8 bytes")
                                        : std::string("CHIP_ID uses all 64 bytes");
  s += fmt::format("\ncbit: TCB byte order {} ({})\n", psp::tcb_layout_name(layout), why);
  const uint32_t key = (r.key_info >> 2) & 7;
  if (key == 7 || r.mask_chip_key()) {
    s += "cbit: this report is not signed (SIGNING_KEY none or MASK_CHIP_KEY set)\n";
  } else {
    const auto tcb = r.tcb(r.reported_tcb);
    s += fmt::format(
        "cbit: signed by the {} for REPORTED_TCB {}: that certificate's TCB extensions must "
        "equal these values, not CURRENT_TCB ({})\n",
        key == 1 ? "VLEK" : "VCEK", psp::to_string(tcb), psp::to_string(r.tcb(r.current_tcb)));
    const std::string product = report_product(r);
    if (key == 0 && !product.empty()) {
      const size_t id_len = layout == psp::TcbLayout::Turin ? 8 : 64;
      std::string url = fmt::format("https://kdsintf.amd.com/vcek/v1/{}/", product);
      for (size_t i = 0; i < id_len; ++i) url += fmt::format("{:02x}", r.chip_id[i]);
      url += fmt::format("?blSPL={}&teeSPL={}&snpSPL={}&ucodeSPL={}", tcb.bootloader, tcb.tee,
                         tcb.snp, tcb.microcode);
      if (tcb.fmc) url += fmt::format("&fmcSPL={}", *tcb.fmc);
      s += "cbit: AMD's KDS serves that VCEK at " + url + "\n";
    }
  }
  if (raw.size() == psp::kReportSize)
    for (const auto& f : psp::report_format_findings(raw))
      s += fmt::format("cbit: warning ({}): {}{}\n", f.rule, f.text,
                       f.severity == psp::FormatSeverity::Warn     ? ""
                       : f.severity == psp::FormatSeverity::Policy ? " [verify refuses: exit 5]"
                                                                   : " [verify refuses: exit 8]");
  return s;
}

}  // namespace cbit::tools::report
