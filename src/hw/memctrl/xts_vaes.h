// The fast backend of the AES engine: AES-NI key expansion and VAES/AVX-512 kernels that keep
// four 512-bit registers (16 AES blocks) in flight. Tested bit for bit against OpenSSL
// (tests/unit/hw/aes_engine_test.cc); only called when cpu_supported() says so.
#pragma once
#include <cstddef>
#include <cstdint>

#include "hw/memctrl/key_material.h"

namespace cbit::hw::vaes {

// Expanded keys: encryption round keys, and decryption round keys for the equivalent inverse
// cipher (FIPS 197, 5.3.5): dec[0] = enc[Nr], dec[i] = InvMixColumns(enc[Nr - i]), dec[Nr] =
// enc[0].
struct alignas(64) RoundKeys {
  uint8_t enc[15][16];
  uint8_t dec[15][16];
  unsigned rounds = 0;  // 10 (AES-128) or 14 (AES-256)
};

// VAES, VPCLMULQDQ, AVX-512F/BW/VL and AES-NI, with the OS saving the 512-bit state.
bool cpu_supported();

void expand_key(KeyLength len, const uint8_t* key, RoundKeys& out);

// out = E_K(in) for one block.
void encrypt_block(const RoundKeys& k, const uint8_t* in, uint8_t* out);

// XTS on blocks first..first+nblocks-1 (first < 256) of the data unit with sector number `iv`
// (16 bytes, little-endian): T_j = E_K2(iv) * alpha^j, C = E_K1(P ^ T_j) ^ T_j.
void xex(const RoundKeys& k1, const RoundKeys& k2, const uint8_t* iv, unsigned first,
         const uint8_t* in, uint8_t* out, size_t nblocks, bool enc);

// XE: block i uses tweak page_tweak ^ offset_tweaks[i]; C = E_K1(P ^ T), P = D_K1(C) ^ T.
void xe(const RoundKeys& k1, const uint8_t* page_tweak, const uint8_t* offset_tweaks,
        const uint8_t* in, uint8_t* out, size_t nblocks, bool enc);

}  // namespace cbit::hw::vaes
