#include "tools/report/verify.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "common/file.h"
#include "psp/certs/cert_io.h"
#include "psp/certs/chain_check.h"
#include "psp/certs/sim_chain.h"
#include "psp/certs/vcek_extensions.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"

namespace cbit::tools::report {

using namespace cbit::psp;
using Status = CheckLine::Status;

namespace {

class Recorder {
 public:
  void pass(std::string text) { r_.lines.push_back({Status::Pass, std::move(text)}); }
  void info(std::string text) { r_.lines.push_back({Status::Info, std::move(text)}); }
  void skip(std::string text) { r_.lines.push_back({Status::Skip, std::move(text)}); }
  // A signature (report or chain) that does not verify: exit 2.
  void bad_signature(std::string text) { fail(kExitBadSignature, std::move(text)); }
  // Authentic, but not bound as policy requires: exit 5 (unless a signature also failed).
  void policy(std::string text) { fail(kExitPolicy, std::move(text)); }
  VerifyResult take() { return std::move(r_); }

 private:
  void fail(int code, std::string text) {
    if (r_.exit_code == kExitOk || (code == kExitBadSignature && r_.exit_code == kExitPolicy)) {
      r_.exit_code = code;
      r_.first_failure = text;
    }
    r_.lines.push_back({Status::Fail, std::move(text)});
  }
  VerifyResult r_;
};

bool is_simulated(const X509* cert) {
  return subject_line(cert).find(kSimOrganization) != std::string::npos;
}

void check_link(Recorder& rec, const char* subject, const X509* cert, const char* issuer_name,
                const X509* issuer) {
  if (cert_signed_by(cert, issuer))
    rec.pass(fmt::format("{} is signed by the {}", subject, issuer_name));
  else
    rec.bad_signature(fmt::format("{} is NOT signed by the {}", subject, issuer_name));
  if (auto problem = amd_signature_params_problem(cert))
    rec.bad_signature(
        fmt::format("{} signature parameters: {} (AMD signs RSASSA-PSS, SHA-384, "
                    "MGF1-SHA-384, salt 48)",
                    subject, *problem));
}

void check_chain(Recorder& rec, const X509* ark, const X509* ask, const X509* vcek) {
  rec.info(fmt::format("ARK {} (SHA-256 {})", subject_line(ark), cert_sha256_fingerprint(ark)));
  if (is_simulated(ark))
    rec.info("this ARK is cbit's simulated root, not AMD's: it proves nothing about real hardware");
  check_link(rec, "ARK", ark, "ARK itself (self-signed root)", ark);
  check_link(rec, "ASK", ask, "ARK", ark);
  check_link(rec, "VCEK", vcek, "ASK", ask);
  if (auto problem = path_validation_problem(ark, ask, vcek))
    rec.bad_signature("X.509 path validation (as `openssl verify`): " + *problem);
  else
    rec.pass("X.509 path validation (as `openssl verify`): ARK -> ASK -> VCEK OK");
}

void check_tcb_field(Recorder& rec, const char* name, const char* oid, uint8_t reported,
                     const std::optional<uint8_t>& cert) {
  if (!cert)
    rec.policy(fmt::format("VCEK has no {} SPL extension ({}); REPORTED_TCB.{} = {}", name, oid,
                           name, reported));
  else if (*cert != reported)
    rec.policy(
        fmt::format("REPORTED_TCB.{} = {} but the VCEK's {} SPL extension ({}) = {}: this "
                    "VCEK was issued for another TCB",
                    name, reported, name, oid, *cert));
  else
    rec.pass(fmt::format("REPORTED_TCB.{} = {} matches the VCEK ({})", name, reported, oid));
}

void check_binding(Recorder& rec, const AttestationReport& r, const VcekExtensions& ext) {
  const TcbVersion tcb = r.tcb(r.reported_tcb);
  rec.info(fmt::format("REPORTED_TCB {} (byte order {}); VCEK certifies {}", to_string(tcb),
                       tcb_layout_name(r.tcb_layout()), to_string(ext.tcb())));
  if (r.tcb_layout() == TcbLayout::Turin)
    check_tcb_field(rec, "fmc", kOidFmcSpl, tcb.fmc.value_or(0), ext.fmc_spl);
  check_tcb_field(rec, "bootloader", kOidBlSpl, tcb.bootloader, ext.bl_spl);
  check_tcb_field(rec, "tee", kOidTeeSpl, tcb.tee, ext.tee_spl);
  check_tcb_field(rec, "snp", kOidSnpSpl, tcb.snp, ext.snp_spl);
  check_tcb_field(rec, "microcode", kOidUcodeSpl, tcb.microcode, ext.ucode_spl);

  if (!ext.hwid) {
    if (ext.csp_id)
      rec.skip(fmt::format("chip binding: a VLEK (CSP_ID {}) carries no hwID", *ext.csp_id));
    else
      rec.policy(fmt::format("VCEK has no hwID extension ({}) to bind it to CHIP_ID", kOidHwid));
    return;
  }
  const bool chip_zero =
      std::all_of(r.chip_id.begin(), r.chip_id.end(), [](uint8_t b) { return b == 0; });
  const Bytes& hw = *ext.hwid;
  const bool match =
      hw.size() <= r.chip_id.size() && std::equal(hw.begin(), hw.end(), r.chip_id.begin()) &&
      std::all_of(r.chip_id.begin() + hw.size(), r.chip_id.end(), [](uint8_t b) { return b == 0; });
  if (match)
    rec.pass(fmt::format("CHIP_ID matches the VCEK's hwID ({})", kOidHwid));
  else if (chip_zero)
    rec.policy(
        fmt::format("CHIP_ID is all zero (the guest was launched with MaskChipId) so it "
                    "cannot match the VCEK's hwID ({})",
                    kOidHwid));
  else
    rec.policy(
        fmt::format("CHIP_ID {}... differs from the VCEK's hwID ({}) {}...: this VCEK "
                    "belongs to another chip",
                    to_hex(ByteSpan(r.chip_id.data(), 8)), kOidHwid,
                    to_hex(ByteSpan(hw.data(), std::min<size_t>(8, hw.size())))));
}

}  // namespace

VerifyResult verify_report(const VerifyInputs& in) {
  if (in.ark_path.empty() != in.ask_path.empty())
    throw InputError("--ark and --ask go together: give both to check the chain, or neither");
  const Bytes bytes = read_file(in.report_path, inputs::kReport);
  const AttestationReport report = AttestationReport::parse(bytes, in.report_path);
  const X509Ptr vcek = load_certificate(in.vcek_path);
  X509Ptr ark, ask;
  if (!in.ark_path.empty()) {
    ark = load_certificate(in.ark_path);
    ask = load_certificate(in.ask_path);
  }
  const VcekExtensions ext = read_vcek_extensions(vcek.get(), in.vcek_path);

  Recorder rec;
  if (ark)
    check_chain(rec, ark.get(), ask.get(), vcek.get());
  else
    rec.skip("certificate chain not checked (give --ark and --ask, or --certs-dir)");

  if (report.signature_algo != kSigAlgoEcdsaP384Sha384)
    rec.bad_signature(fmt::format("SIGNATURE_ALGO is {}, not 1 (ECDSA P-384 with SHA-384)",
                                  report.signature_algo));
  const uint32_t key = (report.key_info >> 2) & 7;
  if (key == 1)
    rec.info("KEY_INFO says the VLEK signed this report; checking against the given key");
  std::string why;
  if (verify_report_signature(bytes, X509_get0_pubkey(vcek.get()), &why))
    rec.pass(
        "report signature (ECDSA P-384, SHA-384 over bytes 0x0-0x29F) verifies under the VCEK");
  else
    rec.bad_signature("report signature: " + why);

  check_binding(rec, report, ext);
  return rec.take();
}

std::string render(const VerifyResult& result) {
  std::string out;
  for (const auto& line : result.lines) {
    const char* tag = line.status == Status::Pass   ? "[ PASS ]"
                      : line.status == Status::Fail ? "[ FAIL ]"
                      : line.status == Status::Skip ? "[ SKIP ]"
                                                    : "[ INFO ]";
    out += fmt::format("{} {}\n", tag, line.text);
  }
  return out;
}

}  // namespace cbit::tools::report
