#include "psp/digest/page_hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "common/huge_block.h"
#include "psp/digest/page_memo.h"

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

namespace {

constexpr size_t kPageBytes = 4096;

// A cheap key (words 512 bytes apart, mixed); equality is decided by comparing every byte.
uint64_t page_key(ByteSpan page) {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (size_t off = 0; off < kPageBytes; off += 512) {
    uint64_t w;
    std::memcpy(&w, page.data() + off, sizeof w);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  return h;
}

// The remembered pages' bytes sit in 2 MiB blocks of 512 (common/huge_block.h): one page fault
// per block instead of a heap allocation, an mprotect() of the thread's arena and a page fault
// for each page.
struct PageMemo {
  static constexpr size_t kPagesPerBlock = HugeBlock::kAlign / kPageBytes;
  std::mutex mu;
  std::unordered_map<uint64_t, std::vector<uint32_t>> by_key;  // key -> indices
  std::vector<HugeBlock> blocks;
  std::vector<crypto::Sha384Digest> digests;  // by index
  const uint8_t* bytes(uint32_t i) const {
    return blocks[i / kPagesPerBlock].data() + size_t(i % kPagesPerBlock) * kPageBytes;
  }
  std::optional<uint32_t> find(uint64_t key, ByteSpan page) const {
    const auto it = by_key.find(key);
    if (it == by_key.end()) return std::nullopt;
    for (uint32_t i : it->second)
      if (std::memcmp(bytes(i), page.data(), kPageBytes) == 0) return i;
    return std::nullopt;
  }
};

PageMemo& memo() {
  static PageMemo m;
  return m;
}

}  // namespace

void remember_page_digest(ByteSpan page, const crypto::Sha384Digest& d) {
  if (page.size() != kPageBytes) return;
  const uint64_t key = page_key(page);
  PageMemo& m = memo();
  std::lock_guard lock(m.mu);
  if (m.find(key, page) || m.digests.size() >= kRememberedPages) return;
  const auto i = static_cast<uint32_t>(m.digests.size());
  if (i % PageMemo::kPagesPerBlock == 0) m.blocks.emplace_back(HugeBlock::kAlign);
  std::memcpy(const_cast<uint8_t*>(m.bytes(i)), page.data(), kPageBytes);
  m.digests.push_back(d);
  m.by_key[key].push_back(i);
}

std::optional<crypto::Sha384Digest> remembered_page_digest(ByteSpan page) {
  if (page.size() != kPageBytes) return std::nullopt;
  const uint64_t key = page_key(page);
  PageMemo& m = memo();
  std::lock_guard lock(m.mu);
  if (const auto i = m.find(key, page)) return m.digests[*i];
  return std::nullopt;
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
    for (size_t i = lo; i < hi; ++i) {
      const ByteSpan page = data.subspan(i * kPage, kPage);
      out[i] = h.sha384(page);
      remember_page_digest(page, out[i]);
    }
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
