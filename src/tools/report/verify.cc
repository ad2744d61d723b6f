#include "tools/report/verify.h"

#include <fmt/format.h>
#include <openssl/objects.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "common/error.h"
#include "psp/certs/amd_roots.h"
#include "psp/certs/cert_io.h"
#include "psp/certs/chain_check.h"
#include "psp/certs/sim_chain.h"
#include "psp/certs/vcek_extensions.h"
#include "psp/report/report_format.h"
#include "psp/report/report_signature.h"
#include "tools/report/display.h"

namespace cbit::tools::report {

using namespace cbit::psp;
using Status = CheckLine::Status;

namespace {

// Highest first: the verdict a result gets when several failures apply.
constexpr std::array kPrecedence = {
    Verdict::BadSignature,  Verdict::Malformed, Verdict::KeyMismatch,     Verdict::Unsigned,
    Verdict::UntrustedRoot, Verdict::Policy,    Verdict::ChainNotVerified};

class Recorder {
 public:
  void pass(std::string id, std::string text) { add(Status::Pass, std::move(id), std::move(text)); }
  void info(std::string id, std::string text) { add(Status::Info, std::move(id), std::move(text)); }
  void skip(std::string id, std::string text) { add(Status::Skip, std::move(id), std::move(text)); }
  void fail(Verdict v, std::string id, std::string text) {
    if (rank(v) < rank(r_.verdict)) {
      r_.verdict = v;
      r_.first_failure = text;
    }
    add(Status::Fail, std::move(id), std::move(text));
  }
  // Not a failed check, but the verdict can be no better than `v` (a chain not given).
  void limit(Verdict v, std::string reason) {
    if (rank(v) < rank(r_.verdict)) {
      r_.verdict = v;
      r_.first_failure = std::move(reason);
    }
  }
  VerifyResult& result() { return r_; }

 private:
  static size_t rank(Verdict v) {
    const auto it = std::find(kPrecedence.begin(), kPrecedence.end(), v);
    return static_cast<size_t>(it - kPrecedence.begin());  // Verified ranks last
  }
  void add(Status s, std::string id, std::string text) {
    r_.lines.push_back({s, std::move(id), std::move(text)});
  }
  VerifyResult r_;
};

bool is_simulated(const X509* cert) {
  return subject_line(cert).find(kSimOrganization) != std::string::npos;
}

bool same_certificate(const X509* a, const X509* b) {
  return X509_cmp(a, b) == 0 && certificate_der(a) == certificate_der(b);
}

void check_format(Recorder& rec, ByteSpan bytes) {
  for (const FormatFinding& f : report_format_findings(bytes)) {
    const std::string id = "format." + f.rule;
    switch (f.severity) {
      case FormatSeverity::Refuse:
        rec.fail(Verdict::Malformed, id, "report format: " + f.text);
        break;
      case FormatSeverity::Policy:
        rec.fail(Verdict::Policy, id, f.text);
        break;
      case FormatSeverity::Warn:
        rec.info(id, "warning: " + f.text);
        break;
    }
  }
}

// The product an ARK's CN names ("ARK-Milan", "ARK-Genoa (cbit simulated)" -> "Genoa"), or "".
std::string ark_cn_product(const X509* ark) {
  char cn[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(ark), NID_commonName, cn, sizeof(cn)) <= 0)
    return "";
  std::string_view v(cn);
  if (!v.starts_with("ARK-")) return "";
  v.remove_prefix(4);
  return std::string(v.substr(0, v.find(' ')));
}

// A v3+ report names its product (CPUID); the chain's root must be that product's ARK.
void check_product(Recorder& rec, const AttestationReport& r, const std::string& root_product,
                   const std::string& root_name) {
  const std::string product = report_product(r);
  if (product.empty() || root_product.empty()) return;
  if (product != root_product)
    rec.fail(
        Verdict::Policy, "root.product",
        fmt::format("the report's CPUID names {} but the chain ends in {}", product, root_name));
  else
    rec.pass("root.product", fmt::format("the report's CPUID names {}, as the root does", product));
}

// The root the chain ends in, and whether it may be trusted. Returns the ARK to validate the
// chain against (null when there is none).
const X509* choose_root(Recorder& rec, const AttestationReport& r, const CertChain& certs,
                        const VerifyOptions& opt) {
  RootUsed& root = rec.result().root;
  const X509* ark = certs.ark ? certs.ark : opt.trusted_ark;
  if (!ark) return nullptr;
  root.cert_sha256 = cert_der_sha256(ark);
  root.spki_sha256 = spki_sha256(ark);
  if (const auto amd = pinned_amd_root(ark)) {
    root.kind = RootUsed::Kind::AmdPinned;
    root.product = amd->product;
    rec.pass("root",
             fmt::format("root: AMD {} (pinned, sha256 {})", amd->common_name, root.cert_sha256));
    check_product(rec, r, root.product, "AMD's " + std::string(amd->common_name));
    return ark;
  }
  if (opt.trusted_ark && certs.ark && !same_certificate(certs.ark, opt.trusted_ark)) {
    root.kind = RootUsed::Kind::Untrusted;
    rec.fail(Verdict::UntrustedRoot, "root",
             fmt::format("root: the chain's ARK {} (sha256 {}) is not the ARK from {}",
                         subject_line(certs.ark), root.cert_sha256, opt.trusted_ark_source));
    return ark;
  }
  if (opt.trusted_ark) {
    root.kind = RootUsed::Kind::Trusted;
    root.source = opt.trusted_ark_source;
    rec.pass("root", fmt::format("root: ARK from {} (sha256 {}), not AMD's", opt.trusted_ark_source,
                                 root.cert_sha256));
    if (is_simulated(ark))
      rec.info("root.simulated",
               "this ARK is cbit's simulated root, not AMD's: it proves nothing about real "
               "hardware");
    check_product(rec, r, ark_cn_product(ark), "the trusted " + ark_cn_product(ark) + " ARK");
    return ark;
  }
  root.kind = RootUsed::Kind::Untrusted;
  rec.fail(Verdict::UntrustedRoot, "root",
           fmt::format("root: ARK {} (sha256 {}, key sha256 {}) is NOT one of AMD's pinned ARKs "
                       "(Milan, Genoa, Turin); trust it explicitly with --trust-ark FILE",
                       subject_line(ark), root.cert_sha256, root.spki_sha256));
  if (is_simulated(ark))
    rec.info("root.simulated",
             "this ARK is cbit's simulated root (`cbit report sample`): verify with "
             "--trust-ark DIR/ark.pem");
  return ark;
}

void check_link(Recorder& rec, const std::string& id, const std::string& subject, const X509* cert,
                const std::string& issuer_name, const X509* issuer) {
  if (cert_signed_by(cert, issuer))
    rec.pass(id, fmt::format("{} is signed by the {}", subject, issuer_name));
  else
    rec.fail(Verdict::BadSignature, id,
             fmt::format("{} is NOT signed by the {}", subject, issuer_name));
}

void check_params(Recorder& rec, const std::string& id, const std::string& subject,
                  const X509* cert) {
  if (auto problem = amd_signature_params_problem(cert))
    rec.fail(Verdict::BadSignature, id,
             fmt::format("{} signature parameters: {} (AMD signs RSASSA-PSS, SHA-384, "
                         "MGF1-SHA-384, salt 48)",
                         subject, *problem));
}

void check_chain(Recorder& rec, EndorsementKey key, const X509* ark, const X509* mid,
                 const X509* leaf, std::optional<int64_t> at) {
  const std::string leaf_name = endorsement_key_name(key), mid_name = intermediate_name(key);
  check_params(rec, "chain.ark.params", "ARK", ark);
  check_params(rec, "chain.intermediate.params", mid_name, mid);
  check_params(rec, "chain.leaf.params", leaf_name, leaf);
  // One path validation that checks every signature, the root's too. Only when it fails are
  // the links checked one by one, to name the broken one.
  const auto problem = path_validation_problem(ark, mid, leaf, /*check_root_signature=*/true, at);
  if (!problem) {
    rec.pass("chain.ark", "ARK is signed by the ARK itself (self-signed root)");
    rec.pass("chain.intermediate", fmt::format("{} is signed by the ARK", mid_name));
    rec.pass("chain.leaf", fmt::format("{} is signed by the {}", leaf_name, mid_name));
    rec.pass("chain.path", fmt::format("X.509 path validation (as `openssl verify`): ARK -> {} -> "
                                       "{} OK",
                                       mid_name, leaf_name));
    return;
  }
  check_link(rec, "chain.ark", "ARK", ark, "ARK itself (self-signed root)", ark);
  check_link(rec, "chain.intermediate", mid_name, mid, "ARK", ark);
  check_link(rec, "chain.leaf", leaf_name, leaf, mid_name, mid);
  rec.fail(Verdict::BadSignature, "chain.path",
           "X.509 path validation (as `openssl verify`): " + *problem +
               (at ? fmt::format(" (dates checked at {} s since the epoch, --at)", *at) : ""));
}

void check_tcb_field(Recorder& rec, const char* leaf, const char* name, const char* oid,
                     uint8_t reported, const std::optional<uint8_t>& cert) {
  const std::string id = fmt::format("binding.tcb.{}", name);
  if (!cert)
    rec.fail(Verdict::Policy, id,
             fmt::format("{} has no {} SPL extension ({}); REPORTED_TCB.{} = {}", leaf, name, oid,
                         name, reported));
  else if (*cert != reported)
    rec.fail(Verdict::Policy, id,
             fmt::format("REPORTED_TCB.{} = {} but the {}'s {} SPL extension ({}) = {}: this "
                         "{} was issued for another TCB",
                         name, reported, leaf, name, oid, *cert, leaf));
  else
    rec.pass(id,
             fmt::format("REPORTED_TCB.{} = {} matches the {} ({})", name, reported, leaf, oid));
}

void check_binding(Recorder& rec, const AttestationReport& r, const VcekExtensions& ext,
                   EndorsementKey key) {
  const char* leaf = endorsement_key_name(key);
  const TcbVersion tcb = r.tcb(r.reported_tcb);
  rec.info("binding.tcb",
           fmt::format("REPORTED_TCB {} (byte order {}); {} certifies {}", to_string(tcb),
                       tcb_layout_name(r.tcb_layout()), leaf, to_string(ext.tcb())));
  if (r.tcb_layout() == TcbLayout::Turin)
    check_tcb_field(rec, leaf, "fmc", kOidFmcSpl, tcb.fmc.value_or(0), ext.fmc_spl);
  check_tcb_field(rec, leaf, "bootloader", kOidBlSpl, tcb.bootloader, ext.bl_spl);
  check_tcb_field(rec, leaf, "tee", kOidTeeSpl, tcb.tee, ext.tee_spl);
  check_tcb_field(rec, leaf, "snp", kOidSnpSpl, tcb.snp, ext.snp_spl);
  check_tcb_field(rec, leaf, "microcode", kOidUcodeSpl, tcb.microcode, ext.ucode_spl);

  const bool chip_zero =
      std::all_of(r.chip_id.begin(), r.chip_id.end(), [](uint8_t b) { return b == 0; });
  if (key == EndorsementKey::Vlek) {
    rec.skip("binding.chip_id", fmt::format("chip binding: a VLEK (CSP_ID {}) carries no hwID",
                                            ext.csp_id.value_or("absent")));
    return;
  }
  if (chip_zero) {
    // go-sev-guest verify.go: with MASK_CHIP_ID the firmware zeroes CHIP_ID; the VCEK's hwID
    // cannot be compared, so the binding is skipped rather than failed.
    rec.skip("binding.chip_id",
             "chip binding skipped: CHIP_ID is all zero (the guest was launched with "
             "MASK_CHIP_ID), so the VCEK's hwID cannot be compared; the chain and signature "
             "still tie the report to an AMD chip, not to a particular one");
    return;
  }
  if (!ext.hwid) {
    rec.fail(Verdict::Policy, "binding.chip_id",
             fmt::format("VCEK has no hwID extension ({}) to bind it to CHIP_ID", kOidHwid));
    return;
  }
  const Bytes& hw = *ext.hwid;
  const bool match = hw.size() <= r.chip_id.size() &&
                     std::equal(hw.begin(), hw.end(), r.chip_id.begin()) &&
                     std::all_of(r.chip_id.begin() + static_cast<std::ptrdiff_t>(hw.size()),
                                 r.chip_id.end(), [](uint8_t b) { return b == 0; });
  if (match)
    rec.pass("binding.chip_id", fmt::format("CHIP_ID matches the VCEK's hwID ({})", kOidHwid));
  else
    rec.fail(Verdict::Policy, "binding.chip_id",
             fmt::format("CHIP_ID {}... differs from the VCEK's hwID ({}) {}...: this VCEK "
                         "belongs to another chip",
                         to_hex(ByteSpan(r.chip_id.data(), 8)), kOidHwid,
                         to_hex(ByteSpan(hw.data(), std::min<size_t>(8, hw.size())))));
}

// What the leaf certificate is: a VLEK carries CSP_ID (.5) and no hwID; AMD's VLEK subjects also
// say "SEV-VLEK".
EndorsementKey leaf_kind(const X509* leaf, const VcekExtensions& ext) {
  if (ext.csp_id) return EndorsementKey::Vlek;
  if (!ext.hwid && subject_line(leaf).find("VLEK") != std::string::npos)
    return EndorsementKey::Vlek;
  return EndorsementKey::Vcek;
}

std::string summary_for(Verdict v, EndorsementKey key) {
  switch (v) {
    case Verdict::Verified:
      return "Report verified.";
    case Verdict::ChainNotVerified:
      return fmt::format("Report signature verified; chain NOT verified (no ARK and {}).",
                         intermediate_name(key));
    case Verdict::UntrustedRoot:
      return "Report NOT verified: the chain's root is not one of AMD's ARKs (--trust-ark FILE "
             "trusts another explicitly).";
    case Verdict::BadSignature:
      return "Report NOT verified: a signature or the certificate path does not verify.";
    case Verdict::Policy:
      return "Report authentic but refused by policy.";
    case Verdict::Malformed:
      return "Report refused: its bytes are not a report firmware writes.";
    case Verdict::Unsigned:
      return "Report NOT verified: it is not signed.";
    case Verdict::KeyMismatch:
      return "Report NOT verified: it names another signing key than the certificate given.";
  }
  return "";
}

}  // namespace

VerifyResult verify_attestation(ByteSpan bytes, const CertChain& certs, const VerifyOptions& opt) {
  if (!certs.leaf) throw InputError("verify: no VCEK or VLEK certificate given");
  const AttestationReport report = AttestationReport::parse(bytes, "report");
  const VcekExtensions ext = read_vcek_extensions(certs.leaf, "the VCEK/VLEK certificate");
  Recorder rec;
  const EndorsementKey key = leaf_kind(certs.leaf, ext);
  rec.result().key = key;
  const char* leaf_name = endorsement_key_name(key);

  check_format(rec, bytes);

  // Which key the report says signed it, against the certificate given.
  const uint32_t signing_key = (report.key_info >> 2) & 7;
  bool check_signature = true;
  if (signing_key == 7 || report.mask_chip_key()) {
    rec.fail(Verdict::Unsigned, "signing_key",
             fmt::format("the report is not signed (KEY_INFO.SIGNING_KEY {}, MASK_CHIP_KEY {}): "
                         "there is no signature to verify",
                         signing_key, report.mask_chip_key() ? 1 : 0));
    check_signature = false;
  } else if (signing_key <= 1) {
    const EndorsementKey wants = signing_key == 1 ? EndorsementKey::Vlek : EndorsementKey::Vcek;
    if (wants != key) {
      rec.fail(Verdict::KeyMismatch, "signing_key",
               fmt::format("KEY_INFO.SIGNING_KEY says the {} signed this report, but the "
                           "certificate given is a {}: give the {} and {} (snpguest's {}.pem, "
                           "{}.pem, ark.pem)",
                           endorsement_key_name(wants), leaf_name, endorsement_key_name(wants),
                           intermediate_name(wants), signing_key == 1 ? "vlek" : "vcek",
                           signing_key == 1 ? "asvk" : "ask"));
      check_signature = false;
    } else {
      rec.pass("signing_key",
               fmt::format("KEY_INFO.SIGNING_KEY {} ({}) matches the certificate given",
                           signing_key, leaf_name));
    }
  }
  // (SIGNING_KEY 2-6 is a format refusal above; the signature is still checked under the leaf.)

  if (certs.intermediate) {
    if (const X509* ark = choose_root(rec, report, certs, opt))
      check_chain(rec, key, ark, certs.intermediate, certs.leaf, opt.at);
    else
      throw InputError(fmt::format("verify: an {} without an ARK: give the ARK (or --trust-ark)",
                                   intermediate_name(key)));
  } else {
    rec.skip("chain", fmt::format("certificate chain NOT verified: no {} and ARK given, so "
                                  "nothing ties this {} to AMD",
                                  intermediate_name(key), leaf_name));
    rec.limit(Verdict::ChainNotVerified,
              fmt::format("chain not verified (only the {} was given)", leaf_name));
  }

  if (check_signature) {
    if (report.signature_algo != kSigAlgoEcdsaP384Sha384)
      rec.fail(Verdict::BadSignature, "signature.algo",
               fmt::format("SIGNATURE_ALGO is {}, not 1 (ECDSA P-384 with SHA-384)",
                           report.signature_algo));
    std::string why;
    if (verify_report_signature(bytes, X509_get0_pubkey(certs.leaf), &why))
      rec.pass("signature",
               fmt::format("report signature (ECDSA P-384, SHA-384 over bytes 0x0-0x29F) "
                           "verifies under the {}",
                           leaf_name));
    else
      rec.fail(Verdict::BadSignature, "signature", "report signature: " + why);
  } else {
    rec.skip("signature", "report signature not checked (see above)");
  }

  check_binding(rec, report, ext, key);

  VerifyResult& r = rec.result();
  r.exit_code = verdict_exit_code(r.verdict);
  r.summary = summary_for(r.verdict, key);
  if (r.verdict == Verdict::Verified && r.root.kind == RootUsed::Kind::Trusted)
    r.summary =
        fmt::format("Report verified, up to the ARK from {} (not AMD's root).", r.root.source);
  return std::move(r);
}

VerifyResult verify_attestation(const AttestationReport& report, const CertChain& certs,
                                const VerifyOptions& opt) {
  const Bytes bytes = report.serialize();
  return verify_attestation(ByteSpan(bytes), certs, opt);
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
  out += result.summary + "\n";
  return out;
}

}  // namespace cbit::tools::report
