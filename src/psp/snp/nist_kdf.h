// The key-derivation function of the SNP firmware: NIST SP 800-108 in counter mode with
// HMAC-SHA-256 as the PRF (AMD-ASPFW nist_kdf.c `nist_kdf`, used by `kdf_derive` for the VCEK
// and VLEK and directly for MSG_KEY_REQ; SNP-FACTS.md §3.3, §4).
//
// Block i (i = 1, 2, ...) = HMAC-SHA-256(key, [i]_32 || label || 0x00 || context || [L]_32), with
// L the output length in bits, and the output the blocks' concatenation cut to length. The two
// 32-bit integers are written in the Secure Processor's native little-endian order (ASPFW hashes
// the bytes of a uint32_t on the ARM core); SP 800-108 and OpenSSL's EVP_KDF "KBKDF" write them
// big-endian, so KBKDF would give other bytes and is not used here.
#pragma once
#include <cstddef>

#include "common/bytes.h"

namespace cbit::psp::snp {

// `out.size()` bytes of key material (any length; 0 writes nothing).
void snp_nist_kdf(MutByteSpan out, ByteSpan key, ByteSpan label, ByteSpan context);

}  // namespace cbit::psp::snp
