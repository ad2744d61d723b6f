// `cbit report verify` as a library (tools/report/verify.h): every rule with a control case in
// which it must not fire. Real reports: tests/data/report/ (see its NOTICE); simulated chains:
// RSA-4096 keys cached in the build directory, as tests/unit/psp/report_test.cc does.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/file.h"
#include "psp/certs/amd_roots.h"
#include "psp/certs/cert_io.h"
#include "psp/certs/sim_chain.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_format.h"
#include "psp/report/report_signature.h"
#include "tools/report/cert_files.h"
#include "tools/report/display.h"
#include "tools/report/report_json.h"
#include "tools/report/verify.h"

namespace cbit::tools::report {
namespace {

using namespace cbit::psp;
namespace fs = std::filesystem;

std::string key_path(const char* name) {
  return (fs::path(CBIT_TEST_CACHE_DIR) / "rsa4096" / name).string();
}
std::string data_path(const std::string& rel) {
  return (fs::path(CBIT_SOURCE_DIR) / "tests/data/report" / rel).string();
}
Bytes read(const std::string& path) { return read_file(path, uint64_t{1} << 20); }

// A simulated Milan chain and a VCEK and a VLEK under it (the VLEK under an ASVK).
struct Chain {
  PkeyPtr ark_key = load_or_generate_rsa4096(key_path("ark.pem"));
  PkeyPtr ask_key = load_or_generate_rsa4096(key_path("ask.pem"));
  const ChipProduct& milan = chip_product("milan");
  X509Ptr ark = make_ark_cert(ark_key.get(), milan);
  X509Ptr ask = make_ask_cert(ask_key.get(), ark.get(), ark_key.get(), milan);
  PkeyPtr vcek_key = p384_key_from_seed(Bytes(48, 0x21));
  PkeyPtr vlek_key = p384_key_from_seed(Bytes(48, 0x22));
  X509Ptr vcek, vlek;
  Chain() {
    const AttestationReport r = base_report();
    vcek = make_vcek_cert(vcek_key.get(), ask.get(), ask_key.get(),
                          vcek_extensions_for(milan, r.tcb(r.reported_tcb), r.chip_id), milan);
    VcekExtensions v = vcek_extensions_for(milan, r.tcb(r.reported_tcb), r.chip_id);
    v.hwid.reset();
    v.csp_id = "cbit-test-csp";
    vlek = make_vcek_cert(vlek_key.get(), ask.get(), ask_key.get(), v, milan);
  }
  static AttestationReport base_report() {
    AttestationReport r;
    r.version = 3;
    r.policy = 0x30000;
    r.signature_algo = 1;
    r.cpuid_fam_id = 0x19;
    r.cpuid_mod_id = 0x01;
    r.cpuid_step = 0x01;
    const TcbVersion t{.fmc = std::nullopt, .bootloader = 3, .tee = 0, .snp = 8, .microcode = 115};
    r.current_tcb = r.reported_tcb = r.committed_tcb = r.launch_tcb =
        t.encode(TcbLayout::MilanGenoa);
    for (size_t i = 0; i < 64; ++i) r.chip_id[i] = static_cast<uint8_t>(0x40 + i);
    return r;
  }
  CertChain full(bool vlek_chain = false) const {
    return {vlek_chain ? vlek.get() : vcek.get(), ask.get(), ark.get()};
  }
  VerifyOptions trust() const {
    VerifyOptions o;
    o.trusted_ark = ark.get();
    return o;
  }
};
Chain& chain() {
  static Chain c;
  return c;
}

// The report's bytes after `edit`, signed by `key` (so only the rule under test can fail).
template <typename Edit>
Bytes signed_report(AttestationReport r, Edit&& edit, EVP_PKEY* key) {
  Bytes b = r.serialize();
  edit(b);
  sign_report(b, key);
  return b;
}
Bytes signed_report(const AttestationReport& r, EVP_PKEY* key) {
  return signed_report(
      r, [](Bytes&) {}, key);
}

const CheckLine* line(const VerifyResult& v, const std::string& id) {
  for (const auto& l : v.lines)
    if (l.id == id) return &l;
  return nullptr;
}
bool failed(const VerifyResult& v, const std::string& id) {
  const CheckLine* l = line(v, id);
  return l && l->status == CheckLine::Status::Fail;
}

// --- Pinned AMD roots ------------------------------------------------------------------------

TEST(AmdRoots, RealMilanArkIsPinnedAndASimulatedArkIsNot) {
  const X509Ptr ark = parse_certificate(read(data_path("virtee-sev-milan/ark.pem")), "ark");
  const auto root = pinned_amd_root(ark.get());
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->product, "Milan");
  EXPECT_EQ(cert_der_sha256(ark.get()), root->cert_sha256);
  // Control: the simulated ARK says "ARK-Milan" too, and is not pinned.
  EXPECT_FALSE(pinned_amd_root(chain().ark.get()).has_value());
  // Control: the ASK, AMD's own certificate but not a root, is not pinned either.
  const X509Ptr ask = parse_certificate(read(data_path("virtee-sev-milan/ask.pem")), "ask");
  EXPECT_FALSE(pinned_amd_root(ask.get()).has_value());
  // The three roots are distinct.
  const auto roots = amd_roots();
  ASSERT_EQ(roots.size(), 3u);
  EXPECT_NE(roots[0].spki_sha256, roots[1].spki_sha256);
  EXPECT_NE(roots[1].spki_sha256, roots[2].spki_sha256);
  EXPECT_NE(roots[0].cert_sha256, roots[2].cert_sha256);
}

// --- Real reports (tests/data/report/NOTICE) ---------------------------------------------------

// 2025-06-01 00:00 UTC: inside every real certificate's validity (the VLEK's ends 2025-12-10),
// so these tests do not expire with the certificates.
constexpr int64_t kRealReportTime = 1748736000;

struct RealReport {
  Bytes report;
  X509Ptr vcek, ask, ark;
  // `dir` holds report.bin and the leaf; `chain_dir` the intermediate and ark.pem.
  RealReport(const std::string& dir, const std::string& leaf = "vcek.der",
             const std::string& chain_dir = "virtee-sev-milan", const std::string& mid = "ask.pem")
      : report(read(data_path(dir + "/report.bin"))),
        vcek(parse_certificate(read(data_path(dir + "/" + leaf)), leaf)),
        ask(parse_certificate(read(data_path(chain_dir + "/" + mid)), mid)),
        ark(parse_certificate(read(data_path(chain_dir + "/ark.pem")), "ark")) {}
  CertChain certs() const { return {vcek.get(), ask.get(), ark.get()}; }
  static VerifyOptions at() {
    VerifyOptions o;
    o.at = kRealReportTime;
    return o;
  }
};

struct RealCase {
  const char* dir;
  const char* leaf;
  const char* chain_dir;
  const char* mid;
  const char* product;
  EndorsementKey key;
};
constexpr RealCase kRealCases[] = {
    {"virtee-sev-milan", "vcek.der", "virtee-sev-milan", "ask.pem", "Milan", EndorsementKey::Vcek},
    {"go-sev-guest-milan", "vcek.der", "virtee-sev-milan", "ask.pem", "Milan",
     EndorsementKey::Vcek},
    {"trustee-genoa-azure", "vcek.pem", "trustee-genoa-azure", "ask.pem", "Genoa",
     EndorsementKey::Vcek},
    {"trustee-milan-vlek", "vlek.der", "trustee-milan-vlek", "asvk.pem", "Milan",
     EndorsementKey::Vlek},
};

TEST(RealReports, PinnedAmdRootAcceptsThemAndEveryOneByteEditIsRefused) {
  for (const RealCase& rc : kRealCases) {
    SCOPED_TRACE(rc.dir);
    const RealReport real(rc.dir, rc.leaf, rc.chain_dir, rc.mid);
    const VerifyResult ok = verify_attestation(ByteSpan(real.report), real.certs(), real.at());
    EXPECT_EQ(ok.verdict, Verdict::Verified) << render(ok);
    EXPECT_EQ(ok.root.kind, RootUsed::Kind::AmdPinned);
    EXPECT_EQ(ok.root.product, rc.product);
    EXPECT_EQ(ok.key, rc.key);
    EXPECT_NE(render(ok).find(fmt::format("root: AMD ARK-{} (pinned, sha256 ", rc.product)),
              std::string::npos);
    // A one-byte edit anywhere in the signed part: a forgery (exit 2).
    for (size_t off :
         {size_t(0x08), size_t(0x50), size_t(0x90), size_t(0x180), size_t(0x1A0), size_t(0x29F)}) {
      Bytes t = real.report;
      t[off] ^= 0x01;
      const VerifyResult v = verify_attestation(ByteSpan(t), real.certs(), real.at());
      EXPECT_NE(v.verdict, Verdict::Verified) << " 0x" << std::hex << off;
      EXPECT_NE(v.exit_code, 0);
    }
    // A byte after the signature: the signature still verifies, the format rule refuses it.
    Bytes tail = real.report;
    tail[0x400] = 0x01;
    const VerifyResult v = verify_attestation(ByteSpan(tail), real.certs(), real.at());
    EXPECT_EQ(v.verdict, Verdict::Malformed) << render(v);
    EXPECT_EQ(v.exit_code, kExitMalformed);
    EXPECT_TRUE(failed(v, "format.mbz.0x330"));
    EXPECT_EQ(line(v, "signature")->status, CheckLine::Status::Pass);
  }
}

TEST(RealReports, AnExpiredVlekFailsThePathAtTodaysDateButNotAtItsOwn) {
  const RealReport real("trustee-milan-vlek", "vlek.der", "trustee-milan-vlek", "asvk.pem");
  VerifyOptions later;
  later.at = kRealReportTime + 365 * 86400;  // 2026-06-01: after the VLEK's notAfter
  const VerifyResult v = verify_attestation(ByteSpan(real.report), real.certs(), later);
  EXPECT_EQ(v.verdict, Verdict::BadSignature);
  EXPECT_TRUE(failed(v, "chain.path"));
  EXPECT_NE(line(v, "chain.path")->text.find("expired"), std::string::npos);
  // Control: the same chain at a date inside its validity.
  EXPECT_EQ(verify_attestation(ByteSpan(real.report), real.certs(), real.at()).verdict,
            Verdict::Verified);
}

TEST(RealReports, AVlekReportWithTheVcekLayoutIsRefusedClearly) {
  const RealReport vlek("trustee-milan-vlek", "vlek.der", "trustee-milan-vlek", "asvk.pem");
  const RealReport vcek("virtee-sev-milan");
  // The VLEK report checked against a VCEK chain (AMD's, valid): exit 10, naming the VLEK.
  const VerifyResult v = verify_attestation(ByteSpan(vlek.report), vcek.certs(), vcek.at());
  EXPECT_EQ(v.verdict, Verdict::KeyMismatch) << render(v);
  EXPECT_NE(v.first_failure.find("give the VLEK and ASVK"), std::string::npos);
  // And the reverse.
  EXPECT_EQ(verify_attestation(ByteSpan(vcek.report), vlek.certs(), vlek.at()).verdict,
            Verdict::KeyMismatch);
}

// --- A self-made chain under AMD's names -------------------------------------------------------

// Copies of AMD's real ARK, ASK and VCEK with our keys put in and re-signed as AMD signs:
// the same subjects, issuers and extensions, so only the root's key tells them apart.
struct ForgedChain {
  X509Ptr ark, ask, vcek;
  PkeyPtr vcek_key = p384_key_from_seed(Bytes(48, 0x66));
  ForgedChain(const RealReport& real, EVP_PKEY* ark_key, EVP_PKEY* ask_key)
      : ark(X509_dup(real.ark.get())),
        ask(X509_dup(real.ask.get())),
        vcek(X509_dup(real.vcek.get())) {
    X509_set_pubkey(ark.get(), ark_key);
    sign_rsa_pss(ark.get(), ark_key);
    X509_set_pubkey(ask.get(), ask_key);
    sign_rsa_pss(ask.get(), ark_key);
    X509_set_pubkey(vcek.get(), vcek_key.get());
    sign_rsa_pss(vcek.get(), ask_key);
  }
};

TEST(ForgedChain, AmdNamesWithoutAmdsKeyAreRefusedUnlessTrustedExplicitly) {
  const RealReport real("virtee-sev-milan");
  const ForgedChain forged(real, chain().ark_key.get(), chain().ask_key.get());
  EXPECT_EQ(subject_line(forged.ark.get()), subject_line(real.ark.get()));
  // The forged report: the real one with other REPORT_DATA, signed by the forged VCEK.
  Bytes report = real.report;
  report[0x50] ^= 0xFF;
  sign_report(report, forged.vcek_key.get());
  const CertChain certs{forged.vcek.get(), forged.ask.get(), forged.ark.get()};
  const VerifyResult v = verify_attestation(ByteSpan(report), certs, RealReport::at());
  EXPECT_EQ(v.verdict, Verdict::UntrustedRoot) << render(v);
  EXPECT_EQ(v.exit_code, kExitUntrustedRoot);
  EXPECT_EQ(v.root.kind, RootUsed::Kind::Untrusted);
  EXPECT_NE(render(v).find("is NOT one of AMD's pinned ARKs"), std::string::npos);
  // Control: everything else about the forgery is consistent; trusting its root explicitly
  // accepts it, so the refusal above is the pin's doing.
  VerifyOptions trust = RealReport::at();
  trust.trusted_ark = forged.ark.get();
  trust.trusted_ark_source = "--trust-ark forged.pem";
  const VerifyResult t = verify_attestation(ByteSpan(report), certs, trust);
  EXPECT_EQ(t.verdict, Verdict::Verified) << render(t);
  EXPECT_NE(render(t).find("root: ARK from --trust-ark forged.pem (sha256 "), std::string::npos);
  EXPECT_NE(t.summary.find("not AMD's root"), std::string::npos);
  // The forged ASK presented under AMD's real ARK: a broken link (exit 2).
  const CertChain mixed{forged.vcek.get(), forged.ask.get(), real.ark.get()};
  const VerifyResult m = verify_attestation(ByteSpan(report), mixed, RealReport::at());
  EXPECT_EQ(m.verdict, Verdict::BadSignature);
  EXPECT_TRUE(failed(m, "chain.intermediate"));
  // --trust-ark names one ARK and the chain carries another: refused.
  VerifyOptions other = RealReport::at();
  other.trusted_ark = chain().ark.get();
  EXPECT_EQ(verify_attestation(ByteSpan(report), certs, other).verdict, Verdict::UntrustedRoot);
}

// --- VCEK only
// ------------------------------------------------------------------------------------

TEST(VcekOnly, SignatureVerifiedButChainNotIsItsOwnVerdict) {
  auto& c = chain();
  const Bytes b = signed_report(Chain::base_report(), c.vcek_key.get());
  const VerifyResult v = verify_attestation(ByteSpan(b), CertChain{c.vcek.get(), nullptr, nullptr});
  EXPECT_EQ(v.verdict, Verdict::ChainNotVerified);
  EXPECT_EQ(v.exit_code, kExitChainNotVerified);
  EXPECT_EQ(v.summary, "Report signature verified; chain NOT verified (no ARK and ASK).");
  EXPECT_EQ(line(v, "signature")->status, CheckLine::Status::Pass);
  // Control: the same report with the chain (trusted root) is a full verification.
  EXPECT_EQ(verify_attestation(ByteSpan(b), c.full(), c.trust()).verdict, Verdict::Verified);
  // A tampered report with the VCEK only is a forgery, not "chain not verified".
  Bytes t = b;
  t[0x90] ^= 1;
  EXPECT_EQ(verify_attestation(ByteSpan(t), CertChain{c.vcek.get(), nullptr, nullptr}).exit_code,
            kExitBadSignature);
}

// --- Format rules
// ---------------------------------------------------------------------------------

struct FormatCase {
  const char* rule;
  size_t offset;  // byte set to `value` before signing
  uint8_t value;
  FormatSeverity severity;
};

TEST(FormatRules, EachRuleFiresOnItsByteAndTheCleanReportPasses) {
  auto& c = chain();
  const Bytes clean = signed_report(Chain::base_report(), c.vcek_key.get());
  EXPECT_TRUE(report_format_findings(clean).empty());  // control for every case below
  EXPECT_EQ(verify_attestation(ByteSpan(clean), c.full(), c.trust()).verdict, Verdict::Verified);
  const FormatCase cases[] = {
      {"mbz.0x4C", 0x4C, 1, FormatSeverity::Refuse},
      {"mbz.0x18B", 0x18B, 1, FormatSeverity::Refuse},
      {"mbz.0x18B", 0x19F, 1, FormatSeverity::Refuse},
      {"mbz.0x1EB", 0x1EB, 1, FormatSeverity::Refuse},
      {"mbz.0x1EF", 0x1EF, 1, FormatSeverity::Refuse},
      {"mbz.0x208", 0x208, 1, FormatSeverity::Refuse},
      {"mbz.0x208", 0x29F, 0x80, FormatSeverity::Refuse},
      {"policy.mbo", 0x0A, 0x01, FormatSeverity::Refuse},       // policy 0x10000: bit 17 clear
      {"policy.reserved", 0x0B, 0x04, FormatSeverity::Refuse},  // bit 26
      {"policy.reserved", 0x0F, 0x80, FormatSeverity::Refuse},  // bit 63
      {"key_info.reserved", 0x48, 0x20, FormatSeverity::Refuse},
      {"key_info.signing_key", 0x48, 0x08, FormatSeverity::Refuse},    // SIGNING_KEY 2
      {"platform_info.reserved", 0x41, 0x01, FormatSeverity::Refuse},  // bit 8
      {"vmpl.range", 0x30, 4, FormatSeverity::Refuse},
      {"platform_info.bit6", 0x40, 0x40, FormatSeverity::Warn},
      {"mit_vector.before_v5", 0x1F8, 1, FormatSeverity::Warn},
  };
  for (const auto& fc : cases) {
    SCOPED_TRACE(fmt::format("{} @0x{:X}", fc.rule, fc.offset));
    const Bytes b = signed_report(
        Chain::base_report(), [&](Bytes& x) { x[fc.offset] = fc.value; }, c.vcek_key.get());
    const auto findings = report_format_findings(b);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule, fc.rule);
    EXPECT_EQ(findings[0].severity, fc.severity);
    const VerifyResult v = verify_attestation(ByteSpan(b), c.full(), c.trust());
    if (fc.severity == FormatSeverity::Refuse) {
      EXPECT_EQ(v.verdict, Verdict::Malformed) << render(v);
      EXPECT_TRUE(failed(v, std::string("format.") + fc.rule));
    } else {
      EXPECT_EQ(v.verdict, Verdict::Verified) << render(v);
      EXPECT_EQ(line(v, std::string("format.") + fc.rule)->status, CheckLine::Status::Info);
    }
    // display warns, and still shows the report.
    const std::string d = display_report(AttestationReport::parse(b, "r"), b);
    EXPECT_NE(d.find(fmt::format("cbit: warning ({})", fc.rule)), std::string::npos);
  }
}

TEST(FormatRules, CpuidBytesAreReservedOnlyBeforeVersion3) {
  AttestationReport r = Chain::base_report();
  r.version = 2;
  Bytes v2 = r.serialize();
  v2[0x188] = 0x19;
  ASSERT_EQ(report_format_findings(v2).size(), 1u);
  EXPECT_EQ(report_format_findings(v2)[0].rule, "mbz.0x188");
  // Control: in version 3 0x188 is the CPUID family.
  EXPECT_TRUE(report_format_findings(Chain::base_report().serialize()).empty());
}

TEST(FormatRules, SignatureHighBytesAndTheTailAreRefused) {
  auto& c = chain();
  const Bytes clean = signed_report(Chain::base_report(), c.vcek_key.get());
  for (size_t off : {kReportSigROffset + 48, kReportSigROffset + 71, kReportSigSOffset + 48,
                     size_t(0x330), size_t(0x49F)}) {
    Bytes b = clean;
    b[off] = 1;
    const VerifyResult v = verify_attestation(ByteSpan(b), c.full(), c.trust());
    EXPECT_NE(v.verdict, Verdict::Verified) << std::hex << off;
    const auto findings = report_format_findings(b);
    ASSERT_EQ(findings.size(), 1u) << std::hex << off;
    EXPECT_EQ(findings[0].severity, FormatSeverity::Refuse);
  }
}

TEST(FormatRules, HostRequestedReportIsAPolicyRefusal) {
  auto& c = chain();
  AttestationReport r = Chain::base_report();
  r.vmpl = kVmplHostRequested;
  const VerifyResult v =
      verify_attestation(ByteSpan(signed_report(r, c.vcek_key.get())), c.full(), c.trust());
  EXPECT_EQ(v.verdict, Verdict::Policy) << render(v);
  EXPECT_TRUE(failed(v, "format.vmpl.host_requested"));
  r.vmpl = 3;  // control: VMPL 3 is a guest's
  EXPECT_EQ(
      verify_attestation(ByteSpan(signed_report(r, c.vcek_key.get())), c.full(), c.trust()).verdict,
      Verdict::Verified);
}

// --- Signing key
// ------------------------------------------------------------------------------------

TEST(SigningKey, UnsignedReportIsItsOwnVerdict) {
  auto& c = chain();
  AttestationReport r = Chain::base_report();
  r.key_info = 7 << 2;
  const VerifyResult v = verify_attestation(r, c.full(), c.trust());
  EXPECT_EQ(v.verdict, Verdict::Unsigned);
  EXPECT_EQ(v.exit_code, kExitUnsigned);
  EXPECT_EQ(line(v, "signature")->status, CheckLine::Status::Skip);
}

TEST(SigningKey, VlekReportNeedsTheVlekAndTheReverse) {
  auto& c = chain();
  AttestationReport vlek_report = Chain::base_report();
  vlek_report.key_info = 1 << 2;
  const Bytes vl = signed_report(vlek_report, c.vlek_key.get());
  const Bytes vc = signed_report(Chain::base_report(), c.vcek_key.get());
  // VLEK report, VCEK given; VCEK report, VLEK given: refused, naming the key wanted.
  const VerifyResult a = verify_attestation(ByteSpan(vl), c.full(false), c.trust());
  EXPECT_EQ(a.verdict, Verdict::KeyMismatch);
  EXPECT_EQ(a.exit_code, kExitKeyMismatch);
  EXPECT_NE(a.first_failure.find("says the VLEK signed this report"), std::string::npos);
  const VerifyResult b = verify_attestation(ByteSpan(vc), c.full(true), c.trust());
  EXPECT_EQ(b.verdict, Verdict::KeyMismatch);
  EXPECT_NE(b.first_failure.find("says the VCEK signed this report"), std::string::npos);
  // Controls: each with its own key verifies; the VLEK chain is labelled VLEK/ASVK.
  const VerifyResult ok = verify_attestation(ByteSpan(vl), c.full(true), c.trust());
  EXPECT_EQ(ok.verdict, Verdict::Verified) << render(ok);
  EXPECT_EQ(ok.key, EndorsementKey::Vlek);
  const std::string text = render(ok);
  EXPECT_NE(text.find("VLEK is signed by the ASVK"), std::string::npos);
  EXPECT_NE(text.find("ARK -> ASVK -> VLEK OK"), std::string::npos);
  EXPECT_EQ(text.find("VCEK"), std::string::npos);
  EXPECT_EQ(verify_attestation(ByteSpan(vc), c.full(false), c.trust()).verdict, Verdict::Verified);
}

// --- CHIP_ID binding
// ------------------------------------------------------------------------------

TEST(ChipBinding, AllZeroChipIdIsSkippedWithANoteAndAMismatchStillFails) {
  auto& c = chain();
  AttestationReport masked = Chain::base_report();
  masked.chip_id.fill(0);
  // The VCEK's hwID is the unmasked chip's.
  Bytes mb = masked.serialize();
  sign_report(mb, c.vcek_key.get());
  const VerifyResult m = verify_attestation(ByteSpan(mb), c.full(), c.trust());
  EXPECT_EQ(m.verdict, Verdict::Verified) << render(m);
  ASSERT_NE(line(m, "binding.chip_id"), nullptr);
  EXPECT_EQ(line(m, "binding.chip_id")->status, CheckLine::Status::Skip);
  EXPECT_NE(line(m, "binding.chip_id")->text.find("MASK_CHIP_ID"), std::string::npos);
  // Control: a non-zero CHIP_ID of another chip still fails the binding (exit 5).
  AttestationReport other = Chain::base_report();
  other.chip_id[0] ^= 0xFF;
  const VerifyResult o =
      verify_attestation(ByteSpan(signed_report(other, c.vcek_key.get())), c.full(), c.trust());
  EXPECT_EQ(o.verdict, Verdict::Policy);
  EXPECT_EQ(o.exit_code, kExitPolicy);
  EXPECT_TRUE(failed(o, "binding.chip_id"));
}

TEST(ProductBinding, AReportNamingAnotherProductThanTheRootIsRefused) {
  auto& c = chain();
  AttestationReport genoa = Chain::base_report();
  genoa.cpuid_mod_id = 0x11;  // family 19h model 11h: Genoa
  ASSERT_EQ(report_product(genoa), "Genoa");
  const VerifyResult v =
      verify_attestation(ByteSpan(signed_report(genoa, c.vcek_key.get())), c.full(), c.trust());
  EXPECT_EQ(v.verdict, Verdict::Policy) << render(v);
  EXPECT_TRUE(failed(v, "root.product"));
  // Control: the Milan report under the (simulated) ARK-Milan.
  const VerifyResult m = verify_attestation(
      ByteSpan(signed_report(Chain::base_report(), c.vcek_key.get())), c.full(), c.trust());
  EXPECT_EQ(line(m, "root.product")->status, CheckLine::Status::Pass);
  // A version 2 report names no product: nothing to compare (the real Milan report).
  const RealReport real("virtee-sev-milan");
  EXPECT_EQ(
      line(verify_attestation(ByteSpan(real.report), real.certs(), real.at()), "root.product"),
      nullptr);
}

// --- JSON
// -------------------------------------------------------------------------------------------

TEST(Json, VerifyAndDisplayKeysAreStable) {
  auto& c = chain();
  const Bytes b = signed_report(Chain::base_report(), c.vcek_key.get());
  const auto j = verify_result_to_json(verify_attestation(ByteSpan(b), c.full(), c.trust()));
  EXPECT_EQ(j["verdict"], "verified");
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_EQ(j["root"]["kind"], "trusted");
  EXPECT_EQ(j["signing_key"], "VCEK");
  ASSERT_TRUE(j["checks"].is_array());
  bool saw_signature = false;
  for (const auto& ch : j["checks"]) {
    EXPECT_TRUE(ch.contains("id") && ch.contains("status") && ch.contains("reason"));
    if (ch["id"] == "signature") saw_signature = ch["status"] == "pass";
  }
  EXPECT_TRUE(saw_signature);
  // Control: a forged byte changes the verdict and the failing check's status.
  Bytes t = b;
  t[0x90] ^= 1;
  const auto f = verify_result_to_json(verify_attestation(ByteSpan(t), c.full(), c.trust()));
  EXPECT_EQ(f["verdict"], "bad_signature");
  EXPECT_EQ(f["exit_code"], 2);

  AttestationReport r = Chain::base_report();
  r.platform_info = 0x1FF;  // bits 0-7 and reserved bit 8
  r.policy |= uint64_t{1} << 25;
  const auto d = report_to_json(r, r.serialize());
  EXPECT_EQ(d["platform_info"]["TIO_EN"], true);
  EXPECT_EQ(d["platform_info"]["IOMMU_WRITE_SAFE"], true);
  EXPECT_EQ(d["platform_info"]["reserved_set"], 0x100);
  EXPECT_EQ(d["policy"]["PAGE_SWAP_DISABLE"], true);
  EXPECT_EQ(d["policy"]["DEBUG"], false);
  EXPECT_EQ(d["product"], "Milan");
  EXPECT_EQ(d["format_findings"].size(), 2u);  // bit 8 refused, bit 6 warned
}

// --- display
// ----------------------------------------------------------------------------------------

TEST(Display, EveryDefinedBitAndTheReservedOnesFlagged) {
  AttestationReport r = Chain::base_report();
  const std::string clean = display_report(r, r.serialize());
  for (const char* label :
       {"  SMT Enabled:", "  TSME Enabled:", "  ECC Enabled:", "  RAPL Disabled:",
        "  Ciphertext Hiding Enabled:", "  Alias Check Complete:", "  IOMMU Write Safe:",
        "  SEV-TIO Enabled:", "  SMT Allowed:   true", "  Migrate MA:    false",
        "  Debug Allowed: false", "  Single Socket: false", "  CXL Allowed:   false",
        "  AES 256 XTS:   false", "  Page Swap Disable: false"})
    EXPECT_NE(clean.find(label), std::string::npos) << label;
  EXPECT_EQ(clean.find("Reserved bits"), std::string::npos);  // control
  EXPECT_EQ(clean.find("cbit: warning"), std::string::npos);
  r.platform_info = uint64_t{1} << 9;
  r.policy |= uint64_t{1} << 40;
  const std::string flagged = display_report(r, r.serialize());
  EXPECT_NE(flagged.find("Reserved bits 63:8 set:  0x200"), std::string::npos);
  EXPECT_NE(flagged.find("Reserved bits 63:26 set:  0x10000000000"), std::string::npos);
  r.version = 5;
  r.current_mit_vector = 0x5;
  EXPECT_NE(display_report(r).find("Current Mitigation Vector:    0x5 (bits 0,2)"),
            std::string::npos);
}

// --- certificate files
// -------------------------------------------------------------------------------

TEST(CertFiles, SnpguestVcekAndVlekLayouts) {
  auto& c = chain();
  const fs::path dir = fs::path(CBIT_TEST_CACHE_DIR) / "certs-dir-layouts";
  fs::remove_all(dir);
  fs::create_directories(dir / "vlek-only");
  fs::create_directories(dir / "both");
  auto put = [](const fs::path& p, const X509* cert) {
    write_file_atomic(p.string(), certificate_pem(cert));
  };
  put(dir / "vlek-only/vlek.pem", c.vlek.get());
  put(dir / "vlek-only/asvk.pem", c.ask.get());
  put(dir / "vlek-only/ark.pem", c.ark.get());
  CertPaths p;
  p.certs_dir = (dir / "vlek-only").string();
  const LoadedCerts l = load_certs(p, 1);
  EXPECT_NE(l.paths.leaf.find("vlek.pem"), std::string::npos);
  EXPECT_NE(l.paths.intermediate.find("asvk.pem"), std::string::npos);
  // Both layouts in one directory: the report's SIGNING_KEY picks.
  for (const char* f : {"vcek.pem", "ask.pem", "vlek.pem", "asvk.pem", "ark.pem"})
    put(dir / "both" / f, c.ark.get());
  p.certs_dir = (dir / "both").string();
  EXPECT_NE(load_certs(p, 1).paths.leaf.find("vlek.pem"), std::string::npos);
  EXPECT_NE(load_certs(p, 0).paths.leaf.find("vcek.pem"), std::string::npos);
  // A directory with neither: misuse, naming it.
  p.certs_dir = dir.string();
  EXPECT_THROW(load_certs(p, 0), InputError);
  // An ASK without an ARK, and no --trust-ark: misuse; with --trust-ark: fine.
  fs::create_directories(dir / "no-ark");
  put(dir / "no-ark/vcek.pem", c.vcek.get());
  put(dir / "no-ark/ask.pem", c.ask.get());
  p.certs_dir = (dir / "no-ark").string();
  EXPECT_THROW(load_certs(p, 0), InputError);
  put(dir / "trusted.pem", c.ark.get());
  p.trust_ark = (dir / "trusted.pem").string();
  EXPECT_NO_THROW(load_certs(p, 0));
}

}  // namespace
}  // namespace cbit::tools::report
