// Attestation-report verification cost: cbit's path (parse the 0x4A0 bytes, R,S little-endian
// -> DER, ECDSA P-384 verify through EVP) against the baseline of OpenSSL verifying an
// already-DER signature over the same bytes, in the same run.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <array>

#include "psp/certs/sim_chain.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"

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

}  // namespace
