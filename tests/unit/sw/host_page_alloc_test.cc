// The host's page allocator: bump allocation of naturally aligned blocks, and, only when the
// frames above the bump pointer run out, the buddy system's split and merge of free frames.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cbit::sw::host
