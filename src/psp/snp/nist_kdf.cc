#include "psp/snp/nist_kdf.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "crypto/hash.h"

namespace cbit::psp::snp {

void snp_nist_kdf(MutByteSpan out, ByteSpan key, ByteSpan label, ByteSpan context) {
  const uint32_t bits = static_cast<uint32_t>(out.size() * 8);
  Bytes msg(4 + label.size() + 1 + context.size() + 4);
  std::copy(label.begin(), label.end(), msg.begin() + 4);
  msg[4 + label.size()] = 0;
  std::copy(context.begin(), context.end(), msg.begin() + 4 + label.size() + 1);
  store_le<uint32_t>(msg.data() + msg.size() - 4, bits);
  size_t off = 0;
  for (uint32_t i = 1; off < out.size(); ++i) {
    store_le<uint32_t>(msg.data(), i);
    crypto::Sha256Digest block = crypto::hmac_sha256(key, msg);
    const size_t n = std::min(block.size(), out.size() - off);
    std::copy_n(block.begin(), n, out.begin() + static_cast<ptrdiff_t>(off));
    off += n;
    OPENSSL_cleanse(block.data(), block.size());
  }
  OPENSSL_cleanse(msg.data(), msg.size());
}

}  // namespace cbit::psp::snp
