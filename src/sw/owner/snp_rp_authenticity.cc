#include "sw/owner/snp_rp_authenticity.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "common/error.h"
#include "psp/certs/cert_io.h"
#include "psp/certs/cert_table.h"
#include "psp/certs/chain_check.h"
#include "psp/certs/vcek_extensions.h"
#include "psp/report/report_signature.h"

namespace cbit::sw::owner {

using namespace cbit::psp;

namespace {

bool same_cert(const X509* a, const X509* b) { return certificate_der(a) == certificate_der(b); }

void check_chain(RpVerdict& v, const X509* ark, const X509* ask, const X509* key_cert,
                 const char* ask_name, const char* key_name) {
  std::vector<std::string> problems;
  if (!cert_signed_by(ask, ark))
    problems.push_back(fmt::format("the {} is NOT signed by the trusted ARK", ask_name));
  if (!cert_signed_by(key_cert, ask))
    problems.push_back(fmt::format("the {} is NOT signed by the {}", key_name, ask_name));
  for (auto [name, cert] : {std::pair{ask_name, ask}, std::pair{key_name, key_cert}})
    if (auto p = amd_signature_params_problem(cert))
      problems.push_back(fmt::format("{} signature parameters: {}", name, *p));
  if (auto p = path_validation_problem(ark, ask, key_cert))
    problems.push_back("X.509 path validation: " + *p);
  if (problems.empty())
    v.pass("chain", fmt::format("trusted ARK -> {} -> {} (RSASSA-PSS SHA-384, path validated)",
                                ask_name, key_name));
  else
    v.fail("chain",
           problems.front() +
               (problems.size() > 1 ? fmt::format(" (+{} more)", problems.size() - 1) : ""));
}

void check_binding(RpVerdict& v, const AttestationReport& r, const VcekExtensions& ext, bool vlek) {
  const TcbVersion tcb = r.tcb(r.reported_tcb);
  const TcbVersion cert = ext.tcb();
  const bool tcb_ok = cert.bootloader == tcb.bootloader && cert.tee == tcb.tee &&
                      cert.snp == tcb.snp && cert.microcode == tcb.microcode && ext.bl_spl &&
                      ext.tee_spl && ext.snp_spl && ext.ucode_spl &&
                      (r.tcb_layout() != TcbLayout::Turin || ext.fmc_spl == tcb.fmc);
  if (!tcb_ok) {
    v.fail("vcek-binding", fmt::format("REPORTED_TCB {} but the {} certifies {}: a key for "
                                       "another TCB",
                                       to_string(tcb), vlek ? "VLEK" : "VCEK", to_string(cert)));
    return;
  }
  if (vlek) {
    v.pass("vcek-binding", fmt::format("REPORTED_TCB {} matches the VLEK; CSP_ID {}",
                                       to_string(tcb), ext.csp_id.value_or("(none)")));
    return;
  }
  if (!ext.hwid) {
    v.fail("vcek-binding", "the VCEK has no hwID extension to bind it to CHIP_ID");
    return;
  }
  const Bytes& hw = *ext.hwid;
  const bool match = hw.size() <= r.chip_id.size() &&
                     std::equal(hw.begin(), hw.end(), r.chip_id.begin()) &&
                     std::all_of(r.chip_id.begin() + static_cast<long>(hw.size()), r.chip_id.end(),
                                 [](uint8_t b) { return b == 0; });
  if (match)
    v.pass("vcek-binding",
           fmt::format("REPORTED_TCB {} and CHIP_ID match the VCEK's extensions", to_string(tcb)));
  else
    v.fail("vcek-binding", "CHIP_ID differs from the VCEK's hwID: a key of another chip");
}

}  // namespace

void check_authenticity(RpVerdict& v, ByteSpan report_bytes, const AttestationReport& report,
                        ByteSpan cert_table, const AuthenticityOptions& opt) {
  CBIT_ASSERT(opt.trusted_ark != nullptr);
  const SigningKey key = report.signing_key();
  const bool vlek = key == SigningKey::Vlek;
  const char* key_name = vlek ? "VLEK" : "VCEK";
  const char* ask_name = vlek ? "ASVK" : "ASK";
  if (key != SigningKey::Vcek && key != SigningKey::Vlek)
    v.fail("signing-key",
           fmt::format("KEY_INFO.SIGNING_KEY = {} ({}): not signed by a chip key",
                       static_cast<unsigned>(key), signing_key_name(static_cast<uint32_t>(key))));
  else if ((vlek && !opt.accept_vlek) || (!vlek && !opt.accept_vcek))
    v.fail("signing-key",
           fmt::format("signed by the {}, which this policy does not accept", key_name));
  else
    v.pass("signing-key", fmt::format("signed by the {}", key_name));

  X509Ptr key_cert, ask, ark;
  try {
    const CertTable table = CertTable::parse(cert_table, "certificate table");
    const Bytes* k = table.find(vlek ? cert_guids::kVlek : cert_guids::kVcek);
    const Bytes* a = table.find(cert_guids::kAsk);
    if (!k || !a)
      throw InputError(
          fmt::format("certificate table has no {} certificate", !k ? key_name : ask_name));
    key_cert = parse_certificate(*k, key_name);
    ask = parse_certificate(*a, ask_name);
    if (const Bytes* r = table.find(cert_guids::kArk)) ark = parse_certificate(*r, "ARK");
    v.pass("certificates",
           fmt::format("{} and {} present{}", key_name, ask_name, ark ? ", and an ARK" : ""));
  } catch (const InputError& e) {
    v.fail("certificates", e.what());
    for (const char* c : {"root", "chain", "signature", "vcek-binding"})
      v.skip(c, "no usable certificates");
    return;
  }

  if (!ark)
    v.pass("root", fmt::format("no ARK in the evidence; the trusted ARK (SHA-256 {}) is used",
                               cert_sha256_fingerprint(opt.trusted_ark)));
  else if (same_cert(ark.get(), opt.trusted_ark))
    v.pass("root", fmt::format("the evidence's ARK is the trusted ARK (SHA-256 {})",
                               cert_sha256_fingerprint(opt.trusted_ark)));
  else
    v.fail("root", fmt::format("the evidence's ARK ({}, SHA-256 {}) is not the trusted ARK "
                               "(SHA-256 {}), whatever its name says",
                               subject_line(ark.get()), cert_sha256_fingerprint(ark.get()),
                               cert_sha256_fingerprint(opt.trusted_ark)));
  check_chain(v, opt.trusted_ark, ask.get(), key_cert.get(), ask_name, key_name);

  std::string why;
  if (verify_report_signature(report_bytes, X509_get0_pubkey(key_cert.get()), &why))
    v.pass("signature",
           fmt::format("ECDSA P-384/SHA-384 over 0x0-0x29F verifies under the {}", key_name));
  else
    v.fail("signature", why);

  try {
    check_binding(v, report, read_vcek_extensions(key_cert.get(), key_name), vlek);
  } catch (const InputError& e) {
    v.fail("vcek-binding", e.what());
  }
}

}  // namespace cbit::sw::owner
