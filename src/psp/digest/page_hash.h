// SHA-384 for many small inputs: one fetched OpenSSL EVP_MD and one reused context per hasher,
// so hashing a 4 KiB page or a 0x70-byte PAGE_INFO costs no per-call setup. Not thread-safe:
// one PageHasher per thread. sha384_pages spreads independent pages over threads.
#pragma once
#include <memory>
#include <span>

#include "common/bytes.h"
#include "crypto/hash.h"

namespace cbit::psp::digest {

class PageHasher {
 public:
  PageHasher();
  ~PageHasher();
  PageHasher(const PageHasher&) = delete;
  PageHasher& operator=(const PageHasher&) = delete;
  crypto::Sha384Digest sha384(ByteSpan data);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// out[i] = SHA-384(data[i*4096 .. (i+1)*4096)); data.size() == out.size() * 4096.
// threads == 0: use the machine's cores (at most 2 per the project's budget, see docs).
void sha384_pages(ByteSpan data, std::span<crypto::Sha384Digest> out, unsigned threads = 0);

}  // namespace cbit::psp::digest
