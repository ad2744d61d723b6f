#include "tools/report/report_json.h"

#include "psp/report/report_bits.h"
#include "psp/report/report_format.h"
#include "tools/report/display.h"

namespace cbit::tools::report {

using nlohmann::json;
using psp::AttestationReport;

namespace {

template <size_t N>
std::string hex(const std::array<uint8_t, N>& a) {
  return to_hex(ByteSpan(a.data(), N));
}

json tcb_json(const AttestationReport& r, uint64_t raw) {
  const psp::TcbVersion t = r.tcb(raw);
  json j = {{"raw", raw},
            {"bootloader", t.bootloader},
            {"tee", t.tee},
            {"snp", t.snp},
            {"microcode", t.microcode}};
  j["fmc"] = t.fmc ? json(*t.fmc) : json(nullptr);
  return j;
}

json bits_json(uint64_t v, std::span<const psp::ReportBit> bits, uint64_t reserved_mask) {
  json j = {{"raw", v}};
  for (const auto& bit : bits) j[std::string(bit.name)] = ((v >> bit.bit) & 1) != 0;
  j["reserved_set"] = v & reserved_mask;
  return j;
}

}  // namespace

json report_to_json(const AttestationReport& r, ByteSpan raw) {
  const bool v3 = r.has_cpuid_fields(), v5 = r.has_mit_vectors();
  json policy = bits_json(r.policy, psp::policy_bits(), psp::kPolicyReservedMask);
  policy["abi_major"] = (r.policy >> 8) & 0xFF;
  policy["abi_minor"] = r.policy & 0xFF;
  const uint32_t signing_key = (r.key_info >> 2) & 7;
  json j = {
      {"version", r.version},
      {"guest_svn", r.guest_svn},
      {"policy", policy},
      {"family_id", hex(r.family_id)},
      {"image_id", hex(r.image_id)},
      {"vmpl", r.vmpl},
      {"signature_algo", r.signature_algo},
      {"current_tcb", tcb_json(r, r.current_tcb)},
      {"platform_info",
       bits_json(r.platform_info, psp::platform_info_bits(), psp::kPlatformInfoReservedMask)},
      {"key_info",
       {{"raw", r.key_info},
        {"author_key_en", r.author_key_en()},
        {"mask_chip_key", r.mask_chip_key()},
        {"signing_key", signing_key},
        {"signing_key_name", psp::signing_key_name(signing_key)}}},
      {"report_data", hex(r.report_data)},
      {"measurement", hex(r.measurement)},
      {"host_data", hex(r.host_data)},
      {"id_key_digest", hex(r.id_key_digest)},
      {"author_key_digest", hex(r.author_key_digest)},
      {"report_id", hex(r.report_id)},
      {"report_id_ma", hex(r.report_id_ma)},
      {"reported_tcb", tcb_json(r, r.reported_tcb)},
      {"chip_id", hex(r.chip_id)},
      {"committed_tcb", tcb_json(r, r.committed_tcb)},
      {"current_version",
       {{"major", r.current_major}, {"minor", r.current_minor}, {"build", r.current_build}}},
      {"committed_version",
       {{"major", r.committed_major}, {"minor", r.committed_minor}, {"build", r.committed_build}}},
      {"launch_tcb", tcb_json(r, r.launch_tcb)},
      {"signature", {{"r", hex(r.signature_r)}, {"s", hex(r.signature_s)}}},
      {"tcb_layout", psp::tcb_layout_name(r.tcb_layout())},
  };
  j["cpuid"] =
      v3 ? json{{"family", r.cpuid_fam_id}, {"model", r.cpuid_mod_id}, {"stepping", r.cpuid_step}}
         : json(nullptr);
  j["launch_mit_vector"] = v5 ? json(r.launch_mit_vector) : json(nullptr);
  j["current_mit_vector"] = v5 ? json(r.current_mit_vector) : json(nullptr);
  const std::string product = report_product(r);
  j["product"] = product.empty() ? json(nullptr) : json(product);
  if (raw.size() == psp::kReportSize) {
    json findings = json::array();
    for (const auto& f : psp::report_format_findings(raw))
      findings.push_back({{"rule", f.rule},
                          {"severity", psp::format_severity_name(f.severity)},
                          {"text", f.text}});
    j["format_findings"] = findings;
  }
  return j;
}

json verify_result_to_json(const VerifyResult& v) {
  json checks = json::array();
  for (const auto& c : v.lines)
    checks.push_back({{"id", c.id}, {"status", check_status_name(c.status)}, {"reason", c.text}});
  json root = {{"kind", root_kind_name(v.root.kind)}};
  root["product"] = v.root.product.empty() ? json(nullptr) : json(v.root.product);
  root["source"] = v.root.source.empty() ? json(nullptr) : json(v.root.source);
  root["cert_sha256"] = v.root.cert_sha256.empty() ? json(nullptr) : json(v.root.cert_sha256);
  root["spki_sha256"] = v.root.spki_sha256.empty() ? json(nullptr) : json(v.root.spki_sha256);
  json j = {{"verdict", verdict_name(v.verdict)},
            {"exit_code", v.exit_code},
            {"summary", v.summary},
            {"signing_key", endorsement_key_name(v.key)},
            {"root", root},
            {"checks", checks}};
  j["first_failure"] = v.first_failure.empty() ? json(nullptr) : json(v.first_failure);
  return j;
}

}  // namespace cbit::tools::report
