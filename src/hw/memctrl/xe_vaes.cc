// XE on VAES: C = E_K1(P ^ T), P = D_K1(C) ^ T, T = page_tweak ^ offset_tweaks[block]. The tweak
// rides on the first (encrypt) or last (decrypt) round key's XOR, so it costs one ternary XOR.
// GCC 12's AVX-512 intrinsics pass a self-initialised "undefined" vector as the merge operand,
// which -Wuninitialized flags once inlined here; the value is never read (full-mask forms).
#pragma GCC diagnostic ignored "-Wuninitialized"
#ifndef __clang__  // clang has no such warning (and -Werror refuses an unknown one)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "hw/memctrl/xts_vaes.h"
#include "hw/memctrl/xts_vaes_kernel.h"

namespace cbit::hw::vaes {

using namespace kernel;

namespace {

template <int NR, bool ENC>
CBIT_VAES_TARGET void xe_kernel(const RoundKeys& key, const uint8_t* page_tweak, const uint8_t* off,
                                const uint8_t* in, uint8_t* out, size_t n) {
  const Keys512<NR> k = broadcast<NR>(ENC ? key.enc : key.dec);
  const __m512i page = bcast128(page_tweak);
  // Encrypt: whitening key ^ page tweak. Decrypt: plain whitening key, and the final key carries
  // the tweak.
  const __m512i first = ENC ? _mm512_xor_si512(k.k[0], page) : k.k[0];
  const __m512i final_key = ENC ? k.k[NR] : _mm512_xor_si512(k.k[NR], page);
  for (; n >= 16; n -= 16, in += 256, out += 256, off += 256) {
    prefetch_for_write(out + 512);  // two iterations ahead (kernel.h)
    __m512i x0, x1, x2, x3;
    if (ENC) {
      x0 = xor3(_mm512_loadu_si512(in), _mm512_loadu_si512(off), first);
      x1 = xor3(_mm512_loadu_si512(in + 64), _mm512_loadu_si512(off + 64), first);
      x2 = xor3(_mm512_loadu_si512(in + 128), _mm512_loadu_si512(off + 128), first);
      x3 = xor3(_mm512_loadu_si512(in + 192), _mm512_loadu_si512(off + 192), first);
    } else {
      x0 = _mm512_xor_si512(_mm512_loadu_si512(in), first);
      x1 = _mm512_xor_si512(_mm512_loadu_si512(in + 64), first);
      x2 = _mm512_xor_si512(_mm512_loadu_si512(in + 128), first);
      x3 = _mm512_xor_si512(_mm512_loadu_si512(in + 192), first);
    }
#pragma GCC unroll 16
    for (int r = 1; r < NR; ++r) {
      x0 = ENC ? _mm512_aesenc_epi128(x0, k.k[r]) : _mm512_aesdec_epi128(x0, k.k[r]);
      x1 = ENC ? _mm512_aesenc_epi128(x1, k.k[r]) : _mm512_aesdec_epi128(x1, k.k[r]);
      x2 = ENC ? _mm512_aesenc_epi128(x2, k.k[r]) : _mm512_aesdec_epi128(x2, k.k[r]);
      x3 = ENC ? _mm512_aesenc_epi128(x3, k.k[r]) : _mm512_aesdec_epi128(x3, k.k[r]);
    }
    if (ENC) {
      _mm512_storeu_si512(out, last<ENC>(x0, final_key));
      _mm512_storeu_si512(out + 64, last<ENC>(x1, final_key));
      _mm512_storeu_si512(out + 128, last<ENC>(x2, final_key));
      _mm512_storeu_si512(out + 192, last<ENC>(x3, final_key));
    } else {
      _mm512_storeu_si512(out, last<ENC>(x0, _mm512_xor_si512(final_key, _mm512_loadu_si512(off))));
      _mm512_storeu_si512(out + 64,
                          last<ENC>(x1, _mm512_xor_si512(final_key, _mm512_loadu_si512(off + 64))));
      _mm512_storeu_si512(
          out + 128, last<ENC>(x2, _mm512_xor_si512(final_key, _mm512_loadu_si512(off + 128))));
      _mm512_storeu_si512(
          out + 192, last<ENC>(x3, _mm512_xor_si512(final_key, _mm512_loadu_si512(off + 192))));
    }
  }
  while (n > 0) {
    const size_t m = n < 4 ? n : 4;
    const __mmask8 mask = block_mask(m);
    const __m512i t = _mm512_maskz_loadu_epi64(mask, off);
    __m512i x = _mm512_maskz_loadu_epi64(mask, in);
    x = ENC ? xor3(x, t, first) : _mm512_xor_si512(x, first);
    x = rounds<NR, ENC>(x, k);
    x = last<ENC>(x, ENC ? final_key : _mm512_xor_si512(final_key, t));
    _mm512_mask_storeu_epi64(out, mask, x);
    n -= m;
    in += 64;
    out += 64;
    off += 64;
  }
}

}  // namespace

void xe(const RoundKeys& k1, const uint8_t* page_tweak, const uint8_t* offset_tweaks,
        const uint8_t* in, uint8_t* out, size_t nblocks, bool enc) {
  if (k1.rounds == 10) {
    enc ? xe_kernel<10, true>(k1, page_tweak, offset_tweaks, in, out, nblocks)
        : xe_kernel<10, false>(k1, page_tweak, offset_tweaks, in, out, nblocks);
  } else {
    enc ? xe_kernel<14, true>(k1, page_tweak, offset_tweaks, in, out, nblocks)
        : xe_kernel<14, false>(k1, page_tweak, offset_tweaks, in, out, nblocks);
  }
}

}  // namespace cbit::hw::vaes
