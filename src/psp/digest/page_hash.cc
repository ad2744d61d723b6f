#include "psp/digest/page_hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "common/error.h"

namespace cbit::psp::digest {

struct PageHasher::Impl {
  EVP_MD* md = nullptr;
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

PageHasher::PageHasher() : impl_(std::make_unique<Impl>()) {
  impl_->md = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  impl_->ctx = EVP_MD_CTX_new();
  CBIT_ASSERT(impl_->md && impl_->ctx);
}
PageHasher::~PageHasher() = default;

crypto::Sha384Digest PageHasher::sha384(ByteSpan data) {
  crypto::Sha384Digest out{};
  unsigned int len = 0;
  CBIT_ASSERT(EVP_DigestInit_ex2(impl_->ctx, impl_->md, nullptr) == 1);
  CBIT_ASSERT(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) == 1);
  CBIT_ASSERT(EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) == 1);
  CBIT_ASSERT(len == out.size());
  return out;
}

void sha384_pages(ByteSpan data, std::span<crypto::Sha384Digest> out, unsigned threads) {
  constexpr size_t kPage = 4096;
  CBIT_ASSERT(data.size() == out.size() * kPage);
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 2u);
  const size_t n = out.size();
  // Below ~64 pages a thread costs more than it saves.
  if (n < 64) threads = 1;
  auto work = [&](size_t lo, size_t hi) {
    PageHasher h;
    for (size_t i = lo; i < hi; ++i) out[i] = h.sha384(data.subspan(i * kPage, kPage));
  };
  std::vector<std::thread> pool;
  const size_t per = (n + threads - 1) / threads;
  for (unsigned t = 1; t < threads; ++t) {
    const size_t lo = std::min(n, t * per), hi = std::min(n, lo + per);
    if (lo < hi) pool.emplace_back(work, lo, hi);
  }
  work(0, std::min(n, per));
  for (auto& t : pool) t.join();
}

}  // namespace cbit::psp::digest
