// The AES engine in the memory controller (APM Vol. 2, 15.34; SPEC-FACTS.md "The encryption").
//
// Each 16-byte block at system physical address p (C-bit excluded) is transformed with a tweak
// derived from p, so the same plaintext at two addresses gives two ciphertexts (AMD's white
// paper, APM). Public research gives the structure, not the tweak function (docs/aes-engine.md):
//  - XEX (Zen 2 and later; SEVurity, S&P 2020: C = E(P ^ T(p)) ^ T(p)). The tweak derivation is
//    the model's choice: AES-XTS with 4 KiB data units and the page frame number as the 128-bit
//    little-endian sector number, T = E_K2(pfn) * alpha^j for block j of the page,
//    C = E_K1(P ^ T) ^ T, so a whole page equals OpenSSL's aes-{128,256}-xts with
//    iv = le128(pfn) and the tests check the engine against it. No public source says the
//    parts do exactly this.
//  - XE (Zen 1, Du et al. 2017): C = E_K1(P ^ T(p)), T linear in the address bits: T(p) = XOR
//    over set bits i >= 4 of p of t_i; the model's t_i = E_K2(le128(i)) (the parts' are not
//    published).
// Deterministic, no integrity. Any 16-byte-aligned sub-range of a page transforms on its own.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <memory>

#include "common/addr.h"
#include "common/bytes.h"
#include "hw/memctrl/key_material.h"

namespace cbit::hw {

enum class CipherMode : uint8_t { Xe, Xex };

// Which implementation computes the transform; both give identical bytes. Auto takes the
// VAES/AVX-512 path when the CPU has it, else Portable (OpenSSL EVP). Tests force Portable to check
// it against OpenSSL as well.
enum class AesBackend : uint8_t { Auto, Portable, Vaes };
const char* aes_backend_name(AesBackend b);  // "Auto", "Portable", "Vaes"
// aes_backend_name(b), also gtest's print of an AesBackend in every file that sees the enum (a
// printer in one test file only would make gtest's printers differ between files: ODR).
std::ostream& operator<<(std::ostream& os, AesBackend b);

class AesEngine {
 public:
  AesEngine(CipherMode mode, const KeyMaterial& key);
  // As above with a chosen backend; Vaes on a CPU without VAES/AVX-512 is a simulator bug.
  AesEngine(CipherMode mode, const KeyMaterial& key, AesBackend backend);
  ~AesEngine();
  AesEngine(const AesEngine&) = delete;
  AesEngine& operator=(const AesEngine&) = delete;

  // `pa` and the size are multiples of 16; the range does not cross a 4 KiB page.
  // `in` and `out` may be the same buffer.
  void encrypt(SysPhysAddr pa, ByteSpan in, MutByteSpan out) const;
  void decrypt(SysPhysAddr pa, ByteSpan in, MutByteSpan out) const;

  CipherMode mode() const { return mode_; }
  // The backend in use (Portable or Vaes, never Auto).
  AesBackend backend() const;
  // Whether this CPU can run the Vaes backend.
  static bool vaes_available();

 private:
  struct Impl;
  void crypt(SysPhysAddr pa, ByteSpan in, MutByteSpan out, bool enc) const;
  CipherMode mode_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cbit::hw
