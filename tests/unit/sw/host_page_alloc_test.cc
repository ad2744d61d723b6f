// The host's page allocator: bump allocation of naturally aligned blocks, and, only when the
// frames above the bump pointer run out, the buddy system's split and merge of free frames.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "sw/host/page_alloc.h"

namespace cbit::sw::host {
namespace {

TEST(PageAllocator, AlignedBlocksFromTheBumpPointer) {
  PageAllocator a(Pfn(1), Pfn(64));
  EXPECT_EQ(a.alloc_pages(0)->value, 1u);
  EXPECT_EQ(a.alloc_pages(3)->value, 8u);  // frames 2..7 are the alignment gap
  EXPECT_EQ(a.alloc_pages(0)->value, 7u);  // from the gap, before the bump pointer
  EXPECT_EQ(a.free_frames(), 63u - 1 - 8 - 1);
}

// The gap an aligned block leaves is merged into a block once nothing above is left.
TEST(PageAllocator, AGapIsMergedWhenTheTopRunsOut) {
  PageAllocator a(Pfn(4), Pfn(32));
  EXPECT_EQ(a.alloc_pages(4)->value, 16u);  // 4..15 go to the free lists
  EXPECT_EQ(a.alloc_pages(2)->value, 4u);   // the top is used up: 4..7 merged
  EXPECT_EQ(a.alloc_pages(3)->value, 8u);   // and 8..15
  EXPECT_EQ(a.free_frames(), 0u);
  EXPECT_FALSE(a.alloc_pages(0));
}

// Control: free frames that hold no aligned run of the size asked for are not merged.
TEST(PageAllocator, FramesWithoutAnAlignedRunAreNotMerged) {
  PageAllocator a(Pfn(0), Pfn(8));
  EXPECT_EQ(a.alloc_pages(3)->value, 0u);
  for (uint64_t p : {1, 2, 3, 5}) a.free_pages(Pfn(p), 0);  // 4 frees, no aligned 4 of them
  EXPECT_FALSE(a.alloc_pages(2));
  EXPECT_EQ(a.alloc_pages(1)->value, 2u);  // 2..3 is an aligned pair
  EXPECT_EQ(a.free_frames(), 2u);
}

TEST(PageAllocator, AFreedLargerBlockIsSplit) {
  PageAllocator a(Pfn(0), Pfn(16));
  const auto big = a.alloc_pages(4);
  ASSERT_TRUE(big);
  EXPECT_FALSE(a.alloc_pages(0));
  a.free_pages(*big, 4);
  EXPECT_EQ(a.alloc_pages(2)->value, 0u);
  EXPECT_EQ(a.free_frames(), 12u);
}

// The allocator as it was written first (every free frame listed and sorted for a merge), kept
// here as the reference the bitmap search must agree with.
class ReferenceAllocator {
 public:
  ReferenceAllocator(uint64_t first, uint64_t last) : next_(first), end_(last) {}
  std::optional<uint64_t> alloc(unsigned order) {
    auto& list = free_[order];
    if (!list.empty()) {
      const uint64_t pfn = list.back();
      list.pop_back();
      return pfn;
    }
    const uint64_t n = 1ull << order;
    const uint64_t start = (next_ + n - 1) & ~(n - 1);
    if (start + n > end_) return merge(order);
    for (uint64_t p = next_; p < start; ++p) free_[0].push_back(p);
    next_ = start + n;
    return start;
  }
  void free(uint64_t pfn, unsigned order) { free_[order].push_back(pfn); }

 private:
  std::optional<uint64_t> merge(unsigned order) {
    const uint64_t n = 1ull << order;
    for (auto& [o, list] : free_) {
      if (o <= order || list.empty()) continue;
      const uint64_t pfn = list.back();
      list.pop_back();
      for (uint64_t p = pfn + n; p < pfn + (1ull << o); p += n) free_[order].push_back(p);
      return pfn;
    }
    std::vector<uint64_t> frames;
    for (const auto& [o, list] : free_)
      if (o < order)
        for (uint64_t b : list)
          for (uint64_t p = b; p < b + (1ull << o); ++p) frames.push_back(p);
    std::sort(frames.begin(), frames.end());
    for (size_t i = 0; i < frames.size(); ++i) {
      const uint64_t start = frames[i];
      if (start % n != 0 || i + n > frames.size() || frames[i + n - 1] != start + n - 1) continue;
      for (auto& [o, list] : free_)
        if (o < order)
          list.erase(std::remove_if(list.begin(), list.end(),
                                    [&](uint64_t b) { return b >= start && b < start + n; }),
                     list.end());
      ++merges;
      return start;
    }
    return std::nullopt;
  }

 public:
  unsigned merges = 0;  // runs merged from lower orders' frames

 private:
  uint64_t next_, end_;
  std::map<unsigned, std::vector<uint64_t>> free_;
};

// Random allocations and frees (orders 0 to 7, on 1024 frames, the top used up early) give the
// same frames as the reference, merges included; the control is that merges happen at all.
TEST(PageAllocator, MergesAgreeWithTheReference) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    PageAllocator a(Pfn(3), Pfn(1024));
    ReferenceAllocator ref(3, 1024);
    std::vector<std::pair<uint64_t, unsigned>> held;
    for (int step = 0; step < 400; ++step) {
      if (!held.empty() && rng() % 3 == 0) {
        const size_t i = rng() % held.size();
        a.free_pages(Pfn(held[i].first), held[i].second);
        ref.free(held[i].first, held[i].second);
        held.erase(held.begin() + std::ptrdiff_t(i));
        continue;
      }
      const unsigned order = rng() % 8;
      const auto got = a.alloc_pages(order);
      const auto want = ref.alloc(order);
      ASSERT_EQ(got.has_value(), want.has_value()) << trial << "/" << step;
      if (!got) continue;
      ASSERT_EQ(got->value, *want) << trial << "/" << step << " order " << order;
      held.push_back({got->value, order});
    }
    EXPECT_GT(ref.merges, 0u) << trial;
  }
}

}  // namespace
}  // namespace cbit::sw::host
