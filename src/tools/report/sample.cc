#include "tools/report/sample.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "common/file.h"
#include "crypto/drbg.h"
#include "psp/certs/cert_io.h"
#include "psp/certs/sim_chain.h"
#include "psp/certs/sim_chip.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"

namespace cbit::tools::report {

using namespace cbit::psp;

namespace {

constexpr uint32_t kSigningKeyVlek = 1;
// The CSP_ID of the sample's VLEK certificate (AMD's carry the provider's name).
constexpr const char* kSampleCspId = "cbit-sample-csp (simulated, not AMD)";

// Plausible TCBs per product (security version numbers of the kind real reports carry).
TcbVersion sample_tcb(const ChipProduct& p) {
  TcbVersion t;
  if (p.layout == TcbLayout::Turin) {
    t.fmc = 1;  // distinct values, so a byte-order mix-up shows
    t.bootloader = 2;
    t.tee = 3;
    t.snp = 4;
    t.microcode = 0x45;
  } else {
    t.bootloader = 3;
    t.tee = 0;
    t.snp = p.cpuid_model >= 0x10 ? 14 : 8;
    t.microcode = p.cpuid_model >= 0x10 ? 72 : 115;
  }
  return t;
}

PkeyPtr rsa_key(const SampleOptions& opt, const ChipProduct& p, const char* role) {
  if (opt.key_cache.empty()) return generate_rsa4096();
  const std::string tag = opt.seed ? fmt::format("seed-{}", *opt.seed) : "default";
  std::string product(p.name);
  std::transform(product.begin(), product.end(), product.begin(), ::tolower);
  return load_or_generate_rsa4096(
      (std::filesystem::path(opt.key_cache) / fmt::format("{}-{}-{}.key.pem", role, product, tag))
          .string());
}

}  // namespace

Sample make_sample(const SampleOptions& opt) {
  const ChipProduct& product = chip_product(opt.product);
  if (opt.report_data.size() > 64)
    throw InputError(fmt::format("--report-data: {} bytes, at most 64", opt.report_data.size()));
  if (!opt.mismatch.empty() && opt.mismatch != "tcb" && opt.mismatch != "chip-id")
    throw InputError("--mismatch: '" + opt.mismatch + "' is not one of tcb, chip-id");
  if (opt.vlek && opt.mismatch == "chip-id")
    throw InputError("--mismatch chip-id: a VLEK names no chip (use tcb with --vlek)");
  crypto::Drbg rng(opt.seed);

  AttestationReport r;
  r.version = 3;
  r.policy = (1u << 17) | (1u << 16);  // reserved-must-be-one, SMT allowed
  r.signature_algo = kSigAlgoEcdsaP384Sha384;
  const TcbVersion tcb = sample_tcb(product);
  r.current_tcb = r.reported_tcb = r.committed_tcb = r.launch_tcb = tcb.encode(product.layout);
  r.platform_info = 1;                               // SMT enabled
  r.key_info = opt.vlek ? kSigningKeyVlek << 2 : 0;  // SIGNING_KEY: 0 VCEK, 1 VLEK
  std::copy(opt.report_data.begin(), opt.report_data.end(), r.report_data.begin());
  rng.generate("sample-measurement", r.measurement);
  rng.generate("sample-report-id", r.report_id);
  r.report_id_ma.fill(0xFF);  // no migration agent, as real reports show
  r.cpuid_fam_id = product.cpuid_family;
  r.cpuid_mod_id = product.cpuid_model;
  r.cpuid_step = product.cpuid_stepping;
  // Turin's CHIP_ID uses 8 bytes (virtee/sev chip_id_is_turin_like); earlier parts all 64.
  std::array<uint8_t, 64> chip_id{};
  rng.generate("sample-chip-id",
               std::span(chip_id.data(), product.layout == TcbLayout::Turin ? 8 : 64));
  std::array<uint8_t, 48> chip_secret{};
  rng.generate("sample-chip-secret", chip_secret);
  // The ASVK is signed by the same ARK: keep a copy of the ARK's key for it.
  PkeyPtr ark_key = rsa_key(opt, product, "ark");
  ossl_check(EVP_PKEY_up_ref(ark_key.get()) == 1, "ARK key");
  const SimulatedChip chip(product, chip_id, chip_secret, PkeyPtr(ark_key.get()),
                           rsa_key(opt, product, "ask"));
  r.chip_id = chip.chip_id();
  r.current_major = r.committed_major = 1;
  r.current_minor = r.committed_minor = 55;
  r.current_build = r.committed_build = 21;

  Sample s;
  s.vlek = opt.vlek;
  s.ark.reset(X509_dup(chip.ark()));
  TcbVersion cert_tcb = tcb;
  if (opt.vlek) {
    // A cloud provider's VLEK secret; the KDS stand-in holds the VLEK of this chip at this TCB
    // (the key SNP_VLEK_LOAD's wrapped VLEK unwraps to) and the ASVK certifies it.
    std::array<uint8_t, 48> csp_secret{};
    rng.generate("sample-csp-vlek-secret", csp_secret);
    s.vcek_key = chip.vlek_key(tcb, csp_secret);
    OPENSSL_cleanse(csp_secret.data(), csp_secret.size());
    PkeyPtr asvk_key = rsa_key(opt, product, "asvk");
    s.ask = make_asvk_cert(asvk_key.get(), chip.ark(), ark_key.get(), product);
    if (opt.mismatch == "tcb") cert_tcb.snp = static_cast<uint8_t>(cert_tcb.snp + 1);
    s.vcek = make_vlek_cert(s.vcek_key.get(), s.ask.get(), asvk_key.get(),
                            vlek_extensions_for(product, cert_tcb, kSampleCspId));
    s.report = r.serialize();
    sign_report(s.report, s.vcek_key.get());
    return s;
  }
  s.vcek_key = chip.vcek_key(tcb);  // the key firmware derives for REPORTED_TCB
  s.ask.reset(X509_dup(chip.ask()));
  Bytes hwid(r.chip_id.begin(), r.chip_id.end());
  if (opt.mismatch == "tcb") cert_tcb.snp = static_cast<uint8_t>(cert_tcb.snp + 1);
  if (opt.mismatch == "chip-id") hwid[0] ^= 0xFF;
  // The certificate certifies the REPORTED_TCB key; only its extensions are made to lie.
  s.vcek = chip.vcek_cert(tcb, vcek_extensions_for(product, cert_tcb, hwid));

  s.report = r.serialize();
  sign_report(s.report, s.vcek_key.get());
  return s;
}

void write_sample(const Sample& s, const std::string& out_dir, bool der) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw InputError(fmt::format("--out-dir {}: {}", out_dir, ec.message()));
  const std::filesystem::path dir(out_dir);
  write_file_atomic((dir / "report.bin").string(), ByteSpan(s.report));
  const std::pair<const char*, const X509*> certs[] = {{"ark", s.ark.get()},
                                                       {s.vlek ? "asvk" : "ask", s.ask.get()},
                                                       {s.vlek ? "vlek" : "vcek", s.vcek.get()}};
  for (const auto& [name, cert] : certs) {
    if (der)
      write_file_atomic((dir / (std::string(name) + ".der")).string(),
                        ByteSpan(certificate_der(cert)));
    else
      write_file_atomic((dir / (std::string(name) + ".pem")).string(), certificate_pem(cert));
  }
}

}  // namespace cbit::tools::report
