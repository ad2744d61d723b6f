// AES engine throughput on 4 KiB pages, against OpenSSL EVP aes-128-xts on the same data in the
// same run (the baseline). Ratios go in the report, not in tests.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <random>

#include "common/addr.h"
#include "common/bytes.h"
#include "hw/memctrl/aes_engine.h"

namespace {

using cbit::Bytes;
using cbit::kPageSize;
using cbit::SysPhysAddr;
using cbit::hw::AesBackend;
using cbit::hw::AesEngine;
using cbit::hw::CipherMode;
using cbit::hw::KeyLength;
using cbit::hw::KeyMaterial;

Bytes random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

KeyMaterial make_key(KeyLength len) {
  const size_t n = len == KeyLength::Aes128 ? 16 : 32;
  return KeyMaterial(len, random_bytes(n, 1), random_bytes(n, 2));
}

// Walks 64 pages so the tweak changes between calls, as in the simulator.
void run_engine(benchmark::State& state, CipherMode mode, KeyLength len, AesBackend backend,
                bool enc) {
  if (backend == AesBackend::Vaes && !AesEngine::vaes_available()) {
    state.SkipWithError("CPU lacks VAES/AVX-512");
    return;
  }
  const AesEngine e(mode, make_key(len), backend);
  const Bytes in = random_bytes(kPageSize, 3);
  Bytes out(kPageSize);
  uint64_t pfn = 0x100000;
  for (auto _ : state) {
    const SysPhysAddr pa((pfn++ & 0x10003f) << 12);
    if (enc) {
      e.encrypt(pa, in, out);
    } else {
      e.decrypt(pa, in, out);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPageSize));
}

void BM_OpenSslXts128_4K(benchmark::State& state, bool enc) {
  const Bytes key = random_bytes(32, 1);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_CipherInit_ex(ctx, EVP_aes_128_xts(), nullptr, key.data(), nullptr, enc ? 1 : 0);
  const Bytes in = random_bytes(kPageSize, 3);
  Bytes out(kPageSize);
  uint64_t pfn = 0x100000;
  for (auto _ : state) {
    uint8_t iv[16] = {};
    cbit::store_le<uint64_t>(iv, pfn++ & 0x10003f);
    EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, iv, -1);
    int outl = 0;
    EVP_CipherUpdate(ctx, out.data(), &outl, in.data(), static_cast<int>(kPageSize));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  EVP_CIPHER_CTX_free(ctx);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPageSize));
}

BENCHMARK_CAPTURE(BM_OpenSslXts128_4K, encrypt_baseline, true);
BENCHMARK_CAPTURE(BM_OpenSslXts128_4K, decrypt_baseline, false);
BENCHMARK_CAPTURE(run_engine, xex128_encrypt_4K, CipherMode::Xex, KeyLength::Aes128,
                  AesBackend::Auto, true);
BENCHMARK_CAPTURE(run_engine, xex128_decrypt_4K, CipherMode::Xex, KeyLength::Aes128,
                  AesBackend::Auto, false);
BENCHMARK_CAPTURE(run_engine, xex256_encrypt_4K, CipherMode::Xex, KeyLength::Aes256,
                  AesBackend::Auto, true);
BENCHMARK_CAPTURE(run_engine, xex256_decrypt_4K, CipherMode::Xex, KeyLength::Aes256,
                  AesBackend::Auto, false);
BENCHMARK_CAPTURE(run_engine, xe128_encrypt_4K, CipherMode::Xe, KeyLength::Aes128, AesBackend::Auto,
                  true);
BENCHMARK_CAPTURE(run_engine, xe128_decrypt_4K, CipherMode::Xe, KeyLength::Aes128, AesBackend::Auto,
                  false);
BENCHMARK_CAPTURE(run_engine, xex128_encrypt_4K_portable, CipherMode::Xex, KeyLength::Aes128,
                  AesBackend::Portable, true);
BENCHMARK_CAPTURE(run_engine, xe128_encrypt_4K_portable, CipherMode::Xe, KeyLength::Aes128,
                  AesBackend::Portable, true);

// One 64-byte cache line, as the memory controller moves them.
void BM_EngineXex128_CacheLine(benchmark::State& state) {
  const AesEngine e(CipherMode::Xex, make_key(KeyLength::Aes128));
  const Bytes in = random_bytes(64, 3);
  Bytes out(64);
  uint64_t line = 0;
  for (auto _ : state) {
    e.encrypt(SysPhysAddr(0x12345000 + ((line++ & 63) << 6)), in, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 64));
}
BENCHMARK(BM_EngineXex128_CacheLine);

}  // namespace
