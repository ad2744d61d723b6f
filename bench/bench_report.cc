// Attestation-report verification cost: cbit's path (parse the 0x4A0 bytes, R,S little-endian
// -> DER, ECDSA P-384 verify through EVP) against the baseline of OpenSSL verifying an
// already-DER signature over the same bytes, in the same run.
//
// And the whole `cbit report verify` library path (tools/report/verify.h: format rules, pinned
// root, AMD's signature parameters, path validation, report signature, TCB/chip binding) on a
// real Milan report and AMD's chain (tests/data/report/virtee-sev-milan), against plain OpenSSL
// doing the same cryptography: ECDSA verify of the report, the two RSA-PSS link verifications
// (ASK by ARK, VCEK by ASK) and an X509_verify_cert path validation. Issue 10 §5: within 1.2x.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <string>

#include "common/file.h"
#include "psp/certs/cert_io.h"
#include "psp/certs/sim_chain.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"
#include "tools/report/verify.h"

namespace {

using namespace cbit::psp;

struct Fixture {
  PkeyPtr key;
  cbit::Bytes report;
  cbit::Bytes der;
  Fixture() {
    std::array<uint8_t, 48> seed;
    seed.fill(0x42);
    key = p384_key_from_seed(seed);
    AttestationReport r;
    r.version = 3;
    r.signature_algo = 1;
    report = r.serialize();
    sign_report(report, key.get());
    der = report_signature_der(report);
  }
};
Fixture& fx() {
  static Fixture f;
  return f;
}

void BM_ReportParse(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(AttestationReport::parse(fx().report, "r"));
}
BENCHMARK(BM_ReportParse);

void BM_ReportVerify_Cbit(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(verify_report_signature(fx().report, fx().key.get()));
}
BENCHMARK(BM_ReportVerify_Cbit);

// Baseline: plain OpenSSL, signature already DER.
void BM_ReportVerify_OpenSslBaseline(benchmark::State& state) {
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, EVP_sha384(), nullptr, fx().key.get());
    benchmark::DoNotOptimize(EVP_DigestVerify(ctx, fx().der.data(), fx().der.size(),
                                              fx().report.data(), kReportSignedSize));
    EVP_MD_CTX_free(ctx);
  }
}
BENCHMARK(BM_ReportVerify_OpenSslBaseline);

struct RealChain {
  cbit::Bytes report;
  X509Ptr vcek, ask, ark;
  cbit::Bytes der;  // the report's signature as DER, for the baseline
  static cbit::Bytes load(const char* name) {
    return cbit::read_file(
        std::string(CBIT_SOURCE_DIR) + "/tests/data/report/virtee-sev-milan/" + name,
        uint64_t{1} << 20);
  }
  RealChain()
      : report(load("report.bin")),
        vcek(parse_certificate(load("vcek.der"), "vcek")),
        ask(parse_certificate(load("ask.pem"), "ask")),
        ark(parse_certificate(load("ark.pem"), "ark")),
        der(report_signature_der(report)) {}
};
RealChain& real() {
  static RealChain c;
  return c;
}

void BM_ReportVerifyChain_Cbit(benchmark::State& state) {
  auto& c = real();
  const cbit::tools::report::CertChain certs{c.vcek.get(), c.ask.get(), c.ark.get()};
  for (auto _ : state) {
    auto v = cbit::tools::report::verify_attestation(cbit::ByteSpan(c.report), certs);
    if (v.verdict != cbit::tools::report::Verdict::Verified) {
      state.SkipWithError("the real report did not verify");
      break;
    }
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_ReportVerifyChain_Cbit);

// Baseline: the same cryptography with plain OpenSSL, signature already DER.
void BM_ReportVerifyChain_OpenSslBaseline(benchmark::State& state) {
  auto& c = real();
  for (auto _ : state) {
    bool ok = X509_verify(c.ask.get(), X509_get0_pubkey(c.ark.get())) == 1 &&
              X509_verify(c.vcek.get(), X509_get0_pubkey(c.ask.get())) == 1;
    X509_STORE* store = X509_STORE_new();
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    STACK_OF(X509)* untrusted = sk_X509_new_null();
    X509_STORE_add_cert(store, c.ark.get());
    sk_X509_push(untrusted, c.ask.get());
    ok = ok && X509_STORE_CTX_init(ctx, store, c.vcek.get(), untrusted) == 1 &&
         X509_verify_cert(ctx) == 1;
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    ok = ok &&
         EVP_DigestVerifyInit(md, nullptr, EVP_sha384(), nullptr, X509_get0_pubkey(c.vcek.get())) ==
             1 &&
         EVP_DigestVerify(md, c.der.data(), c.der.size(), c.report.data(), kReportSignedSize) == 1;
    EVP_MD_CTX_free(md);
    if (!ok) {
      state.SkipWithError("OpenSSL did not verify the real report");
      break;
    }
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_ReportVerifyChain_OpenSslBaseline);

}  // namespace
