// Shared inline pieces of the VAES kernels (xts_vaes.cc, xe_vaes.cc). Every function carries the
// target attribute, so the rest of the program still runs on CPUs without AVX-512.
#pragma once
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "hw/memctrl/xts_vaes.h"

#define CBIT_VAES_TARGET __attribute__((target("aes,vaes,vpclmulqdq,avx512f,avx512bw,avx512vl")))

namespace cbit::hw::vaes::kernel {

// One 128-bit value in all four lanes. (The all-ones mask form avoids GCC 12's false
// -Wuninitialized on _mm512_broadcast_i32x4, whose pass-through operand is undefined.)
CBIT_VAES_TARGET inline __m512i bcast128(const uint8_t* p) {
  return _mm512_maskz_broadcast_i32x4(static_cast<__mmask16>(0xffff),
                                      _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Round keys broadcast to all four 128-bit lanes.
template <int NR>
struct Keys512 {
  __m512i k[NR + 1];
};

template <int NR>
CBIT_VAES_TARGET inline Keys512<NR> broadcast(const uint8_t (*rk)[16]) {
  Keys512<NR> out;
  for (int i = 0; i <= NR; ++i) {
    out.k[i] = bcast128(rk[i]);
  }
  return out;
}

CBIT_VAES_TARGET inline __m512i xor3(__m512i a, __m512i b, __m512i c) {
  return _mm512_ternarylogic_epi64(a, b, c, 0x96);
}

// The middle rounds (1..NR-1) on one register.
template <int NR, bool ENC>
CBIT_VAES_TARGET inline __m512i rounds(__m512i x, const Keys512<NR>& k) {
#pragma GCC unroll 16
  for (int r = 1; r < NR; ++r) {
    x = ENC ? _mm512_aesenc_epi128(x, k.k[r]) : _mm512_aesdec_epi128(x, k.k[r]);
  }
  return x;
}

template <bool ENC>
CBIT_VAES_TARGET inline __m512i last(__m512i x, __m512i key) {
  return ENC ? _mm512_aesenclast_epi128(x, key) : _mm512_aesdeclast_epi128(x, key);
}

// Asks for the four lines at `p` in a writable state (PREFETCHW) ahead of their stores. The
// memory controller's page path writes straight into DRAM pages that are mostly out of the
// cache; without it each store's read-for-ownership stalls the kernel (measured: the encrypted
// page write at 0.8x of the engine on a hot buffer, 0.95x with it). On a hot buffer it costs
// nothing; a prefetch past the end of a buffer is harmless (it never faults).
inline void prefetch_for_write(const uint8_t* p) {
  for (int i = 0; i < 4; ++i) __builtin_prefetch(p + 64 * i, 1, 3);
}

// Mask for the first m (1..4) blocks of a 512-bit register, in 64-bit elements.
inline __mmask8 block_mask(size_t m) { return static_cast<__mmask8>((1u << (2 * m)) - 1); }

}  // namespace cbit::hw::vaes::kernel
