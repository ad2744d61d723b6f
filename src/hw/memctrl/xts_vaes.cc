#include "hw/memctrl/xts_vaes.h"

// GCC 12's AVX-512 intrinsics pass a self-initialised "undefined" vector as the merge operand,
// which -Wuninitialized flags once inlined here; the value is never read (full-mask forms).
#pragma GCC diagnostic ignored "-Wuninitialized"
#ifndef __clang__  // clang has no such warning (and -Werror refuses an unknown one)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <cpuid.h>
#include <immintrin.h>

#include "common/error.h"
#include "hw/memctrl/xts_tweak.h"
#include "hw/memctrl/xts_vaes_kernel.h"

namespace cbit::hw::vaes {

using namespace kernel;

namespace {

// FIPS 197, 5.2: one step of the key schedule. `assist` is AESKEYGENASSIST of the previous word
// group; `Shuffle` picks RotWord(SubWord(w))^Rcon (0xff) or SubWord(w) (0xaa, AES-256 odd steps).
template <int Shuffle>
CBIT_VAES_TARGET inline __m128i schedule_step(__m128i prev, __m128i assist) {
  assist = _mm_shuffle_epi32(assist, Shuffle);
  prev = _mm_xor_si128(prev, _mm_slli_si128(prev, 4));
  prev = _mm_xor_si128(prev, _mm_slli_si128(prev, 4));
  prev = _mm_xor_si128(prev, _mm_slli_si128(prev, 4));
  return _mm_xor_si128(prev, assist);
}

CBIT_VAES_TARGET void expand128(const uint8_t* key, __m128i* rk) {
  rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
#define CBIT_K128(i, rcon) \
  rk[i] = schedule_step<0xff>(rk[i - 1], _mm_aeskeygenassist_si128(rk[i - 1], rcon))
  CBIT_K128(1, 0x01);
  CBIT_K128(2, 0x02);
  CBIT_K128(3, 0x04);
  CBIT_K128(4, 0x08);
  CBIT_K128(5, 0x10);
  CBIT_K128(6, 0x20);
  CBIT_K128(7, 0x40);
  CBIT_K128(8, 0x80);
  CBIT_K128(9, 0x1b);
  CBIT_K128(10, 0x36);
#undef CBIT_K128
}

CBIT_VAES_TARGET void expand256(const uint8_t* key, __m128i* rk) {
  rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  rk[1] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key + 16));
#define CBIT_K256(i, rcon)                                                              \
  rk[i] = schedule_step<0xff>(rk[i - 2], _mm_aeskeygenassist_si128(rk[i - 1], rcon));   \
  if (i + 1 <= 14) {                                                                    \
    rk[i + 1] = schedule_step<0xaa>(rk[i - 1], _mm_aeskeygenassist_si128(rk[i], 0x00)); \
  }
  CBIT_K256(2, 0x01);
  CBIT_K256(4, 0x02);
  CBIT_K256(6, 0x04);
  CBIT_K256(8, 0x08);
  CBIT_K256(10, 0x10);
  CBIT_K256(12, 0x20);
  CBIT_K256(14, 0x40);
#undef CBIT_K256
}

CBIT_VAES_TARGET void expand(KeyLength len, const uint8_t* key, RoundKeys& out) {
  __m128i rk[16];
  const unsigned nr = len == KeyLength::Aes128 ? 10 : 14;
  if (nr == 10) {
    expand128(key, rk);
  } else {
    expand256(key, rk);
  }
  out.rounds = nr;
  for (unsigned i = 0; i <= nr; ++i) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out.enc[i]), rk[i]);
    const __m128i d = (i == 0 || i == nr) ? rk[nr - i] : _mm_aesimc_si128(rk[nr - i]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out.dec[i]), d);
  }
  // Wipe the stack copy (volatile stores, which the compiler may not drop).
  volatile __m128i* v = rk;
  for (unsigned i = 0; i < 16; ++i) v[i] = _mm_setzero_si128();
}

CBIT_VAES_TARGET void encrypt_one(const RoundKeys& k, const uint8_t* in, uint8_t* out) {
  __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
  x = _mm_xor_si128(x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(k.enc[0])));
  for (unsigned r = 1; r < k.rounds; ++r) {
    x = _mm_aesenc_si128(x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(k.enc[r])));
  }
  x = _mm_aesenclast_si128(x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(k.enc[k.rounds])));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), x);
}

// Each 128-bit lane times x^K in GF(2^128), 1 <= K <= 56 (IEEE 1619-2007, 5.2): shift the lane
// left by K, and fold the K bits that leave the top back in as (bits * 0x87) by carry-less
// multiply.
template <int K>
CBIT_VAES_TARGET inline __m512i mul_x(__m512i t) {
  const __m512i poly = _mm512_set_epi64(0, 0x87, 0, 0x87, 0, 0x87, 0, 0x87);
  const __m512i carry = _mm512_srli_epi64(t, 64 - K);      // top K bits of each qword
  const __m512i lo_to_hi = _mm512_bslli_epi128(carry, 8);  // low qword's into the high one
  const __m512i top = _mm512_bsrli_epi128(carry, 8);       // high qword's, to be reduced
  const __m512i red = _mm512_clmulepi64_epi128(top, poly, 0x00);
  return xor3(_mm512_slli_epi64(t, K), lo_to_hi, red);
}

// Each lane times x^(8*B) for B <= 7: a byte shift of the lane moves bits across its two qwords
// at once, and the B bytes leaving the top fold back as (bytes * 0x87). Four operations.
template <int B>
CBIT_VAES_TARGET inline __m512i mul_x_bytes(__m512i t) {
  const __m512i poly = _mm512_set_epi64(0, 0x87, 0, 0x87, 0, 0x87, 0, 0x87);
  const __m512i top = _mm512_bsrli_epi128(t, 16 - B);
  return _mm512_xor_si512(_mm512_bslli_epi128(t, B), _mm512_clmulepi64_epi128(top, poly, 0x00));
}

// Lane l times x^c_l, with the count c_l (0..56) in both qwords of the lane; as mul_x. A count
// of 0 shifts right by 64, which gives 0 (no carry), as it should.
CBIT_VAES_TARGET inline __m512i mul_x_var(__m512i t, __m512i c) {
  const __m512i poly = _mm512_set_epi64(0, 0x87, 0, 0x87, 0, 0x87, 0, 0x87);
  const __m512i carry = _mm512_srlv_epi64(t, _mm512_sub_epi64(_mm512_set1_epi64(64), c));
  const __m512i lo_to_hi = _mm512_bslli_epi128(carry, 8);
  const __m512i top = _mm512_bsrli_epi128(carry, 8);
  const __m512i red = _mm512_clmulepi64_epi128(top, poly, 0x00);
  return xor3(_mm512_sllv_epi64(t, c), lo_to_hi, red);
}

// The first 4W tweaks of a range starting at block `first`: T0 = E_K2(iv) on one block, then
// t[i] lane l = T0 * x^(first + 4i + l), each straight from T0 so no product waits on another.
template <int NR, int W>
CBIT_VAES_TARGET inline void first_tweaks(const RoundKeys& tkey, const uint8_t* iv, unsigned first,
                                          __m512i* t) {
  static_assert(4 * W - 1 + 15 <= 56);
  __m128i s = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(iv)),
                            _mm_loadu_si128(reinterpret_cast<const __m128i*>(tkey.enc[0])));
#pragma GCC unroll 16
  for (int r = 1; r < NR; ++r) {
    s = _mm_aesenc_si128(s, _mm_loadu_si128(reinterpret_cast<const __m128i*>(tkey.enc[r])));
  }
  s = _mm_aesenclast_si128(s, _mm_loadu_si128(reinterpret_cast<const __m128i*>(tkey.enc[NR])));
  // T0 * x^(first & ~15) on scalar registers (at most five shift steps, shorter latency than
  // vector ones), the rest of the power in the lane shifts below (at most 30 bits).
  xts::Tweak t0{static_cast<uint64_t>(_mm_cvtsi128_si64(s)),
                static_cast<uint64_t>(_mm_extract_epi64(s, 1))};
  t0 = xts::mul_x_pow(t0, first & ~15u);
  const __m512i tb = _mm512_set4_epi64(static_cast<int64_t>(t0.hi), static_cast<int64_t>(t0.lo),
                                       static_cast<int64_t>(t0.hi), static_cast<int64_t>(t0.lo));
  const __m512i base =
      _mm512_add_epi64(_mm512_set1_epi64(first & 15), _mm512_set_epi64(3, 3, 2, 2, 1, 1, 0, 0));
#pragma GCC unroll 8
  for (int i = 0; i < W; ++i) {
    t[i] = mul_x_var(tb, _mm512_add_epi64(base, _mm512_set1_epi64(4 * i)));
  }
}

// W registers (4W blocks) in flight, enough to cover the VAES latency with independent work.
template <int NR, bool ENC, int W>
CBIT_VAES_TARGET void xex_kernel(const RoundKeys& key, const RoundKeys& tkey, const uint8_t* iv,
                                 unsigned first, const uint8_t* in, uint8_t* out, size_t n) {
  static_assert(W >= 2 && W <= 4 && W % 2 == 0);
  // t[i] holds the tweaks of blocks b+4i..b+4i+3.
  __m512i t[W];
  first_tweaks<NR, W>(tkey, iv, first, t);
  const Keys512<NR> k = broadcast<NR>(ENC ? key.enc : key.dec);
  for (; n >= 4 * W; n -= 4 * W, in += 64 * W, out += 64 * W) {
    prefetch_for_write(out + 64 * W * 2);  // two iterations ahead (W = 4: 512 bytes)
    __m512i x[W];
#pragma GCC unroll 8
    for (int i = 0; i < W; ++i) x[i] = xor3(_mm512_loadu_si512(in + 64 * i), t[i], k.k[0]);
#pragma GCC unroll 16
    for (int r = 1; r < NR; ++r) {
#pragma GCC unroll 8
      for (int i = 0; i < W; ++i) {
        x[i] = ENC ? _mm512_aesenc_epi128(x[i], k.k[r]) : _mm512_aesdec_epi128(x[i], k.k[r]);
      }
    }
    // The last round's key XOR also applies the output tweak: last(x, k ^ T) = last(x, k) ^ T.
#pragma GCC unroll 8
    for (int i = 0; i < W; ++i) {
      _mm512_storeu_si512(out + 64 * i, last<ENC>(x[i], _mm512_xor_si512(k.k[NR], t[i])));
      t[i] = mul_x_bytes<W / 2>(t[i]);  // next group: 4W blocks on, times x^(4W)
    }
  }
  // Fewer than 4W blocks remain; their tweaks are t[0], t[1], ... in order.
  for (int i = 0; n > 0; ++i) {
    const size_t m = n < 4 ? n : 4;
    const __mmask8 mask = block_mask(m);
    __m512i x = xor3(_mm512_maskz_loadu_epi64(mask, in), t[i], k.k[0]);
    x = rounds<NR, ENC>(x, k);
    _mm512_mask_storeu_epi64(out, mask, last<ENC>(x, _mm512_xor_si512(k.k[NR], t[i])));
    n -= m;
    in += 64;
    out += 64;
  }
}

}  // namespace

bool cpu_supported() {
  static const bool ok = [] {
    __builtin_cpu_init();
    // clang 14's __builtin_cpu_supports does not know "vaes": CPUID leaf 7 ECX[9] (Intel SDM
    // Vol. 2A CPUID; AMD APM Vol. 3 Fn0000_0007_ECX_x0). The AVX-512 checks cover the OS's XCR0.
    unsigned eax, ebx, ecx = 0, edx;
    const bool vaes = __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ecx >> 9 & 1);
    return __builtin_cpu_supports("aes") && vaes && __builtin_cpu_supports("vpclmulqdq") &&
           __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
  }();
  return ok;
}

void expand_key(KeyLength len, const uint8_t* key, RoundKeys& out) {
  CBIT_ASSERT(cpu_supported());
  expand(len, key, out);
}

void encrypt_block(const RoundKeys& k, const uint8_t* in, uint8_t* out) { encrypt_one(k, in, out); }

// Four registers in flight measured as fast as six or eight on Zen 5 (15 GB/s for AES-128 pages),
// leave AES-256's fifteen round keys in registers, and keep first_tweaks' lane shifts within 56.
constexpr int kW = 4;

void xex(const RoundKeys& k1, const RoundKeys& k2, const uint8_t* iv, unsigned first,
         const uint8_t* in, uint8_t* out, size_t nblocks, bool enc) {
  CBIT_ASSERT(k1.rounds == k2.rounds);
  if (k1.rounds == 10) {
    enc ? xex_kernel<10, true, kW>(k1, k2, iv, first, in, out, nblocks)
        : xex_kernel<10, false, kW>(k1, k2, iv, first, in, out, nblocks);
  } else {
    enc ? xex_kernel<14, true, kW>(k1, k2, iv, first, in, out, nblocks)
        : xex_kernel<14, false, kW>(k1, k2, iv, first, in, out, nblocks);
  }
}

}  // namespace cbit::hw::vaes
