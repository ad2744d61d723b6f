// The CPU's write-back cache, lines tagged with {physical address, key} (SPEC-FACTS.md
// "Caches"; Linux set_memory.c, kvm/svm/sev.c).
//
// Without SME_COHERENT the same physical line may sit in the cache under two keys (C=1 and
// C=0, or two ASIDs): software must flush before it changes a page's C-bit, or a later
// write-back of the stale line overwrites memory with data encrypted under the old key. With
// SME_COHERENT (CPUID Fn8000_001F EAX[10]) the hardware evicts the other-key copy first.
// Device DMA is I/O-coherent: it snoops every key's copy of a line.
#pragma once
#include <array>
#include <cstdint>

#include "common/huge_block.h"
#include "hw/cache/write_back_run.h"
#include "hw/mem_port.h"
#include "hw/memctrl/memory_controller.h"

namespace cbit::hw {

struct CacheConfig {
  uint32_t lines = 32768;  // 2 MiB of 64-byte lines
  uint32_t ways = 16;
  bool sme_coherent = false;
  // The LRU stamps are 32-bit: when the access counter reaches this, every set's stamps are
  // renumbered by age (the order, and so every later eviction, stays the same). Tests lower it.
  uint32_t lru_renumber_at = 0xFFFFFFF0u;
};

struct CacheStats {
  uint64_t hits = 0, misses = 0, writebacks = 0, dropped_dirty = 0, coherence_evictions = 0;
  uint64_t lru_renumbers = 0;  // CacheConfig::lru_renumber_at
};

class Cache final : public PhysMemPort, public CacheControl {
 public:
  Cache(MemoryController& mc, CacheConfig cfg);

  void read(SysPhysAddr pa, MutByteSpan out, MemAttr attr) override;
  void write(SysPhysAddr pa, ByteSpan in, MemAttr attr) override;

  void clflush(SysPhysAddr pa) override;
  void clflush_lines(SysPhysAddr pa, uint64_t len) override;
  void wbinvd() override;
  void wbnoinvd() override;
  void invd() override;
  void vm_page_flush(SysPhysAddr page, Asid asid) override;

  // I/O coherence for device DMA: write back every dirty copy of the lines in the range
  // (under any key) and, for device writes, invalidate them.
  void snoop_for_dma(SysPhysAddr pa, uint64_t len, bool device_writes);

  // How many valid copies of the line holding pa the cache holds (one per key).
  unsigned copies_of(SysPhysAddr pa) const;
  const CacheStats& stats() const { return stats_; }
  const CacheConfig& config() const { return cfg_; }

 private:
  // Each line's state lives in five arrays indexed by set * ways + way, so that the searches of a
  // lookup, CLFLUSH or DMA snoop read 16 bytes of one set and touch no line data, and the choice
  // of a victim reads one host cache line (a set's 16 LRU stamps):
  //   fps_[i]:  a one-byte fingerprint of the line's address, 0x80 | 7 hash bits (0: invalid).
  //             A search compares the set's 16 fingerprints at once and reads the tag only of
  //             the ways that match (1 in 128 by chance), so a miss reads no tag at all.
  //   tags_[i]: the line's physical address | kValid | kDirty (0: invalid). Line addresses are
  //             64-byte aligned, so the two flags sit in the low bits.
  //   lru_[i]:  its LRU stamp, the access counter at its last use (valid lines only).
  //   keys_[i]: the key the line was cached under, kEncrypted if it was encrypted (valid only).
  //   data_[i]: its 64 bytes (valid lines only).
  static constexpr uint64_t kValid = 1, kDirty = 2;
  static constexpr size_t npos = ~size_t{0};
  static constexpr uint32_t kEncrypted = 0x80000000u;  // in keys_; key ids are smaller
  using LineData = std::array<uint8_t, kCacheLineSize>;

  size_t set_first(uint64_t line_pa) const {
    const uint64_t n = line_pa / kCacheLineSize;
    return static_cast<size_t>(set_mask_ ? n & set_mask_ : n % sets_) * cfg_.ways;
  }
  static uint8_t fingerprint(uint64_t line_pa) {
    return static_cast<uint8_t>(0x80 | ((line_pa / kCacheLineSize) * 0x9E3779B97F4A7C15ull) >> 57);
  }
  void set_line(size_t i, uint64_t tag_word) {
    tags_[i] = tag_word;
    fps_[i] = tag_word ? fingerprint(tag_word & ~(kCacheLineSize - 1)) : 0;
  }
  // Calls fn(index) for the ways of the set at `first` whose fingerprint is fp, in way order,
  // until fn returns true; returns whether it did.
  template <typename Fn>
  bool find_ways(size_t first, uint8_t fp, Fn&& fn) const;
  // Calls fn(index) for each valid line holding line_pa (under any key), in way order.
  template <typename Fn>
  void for_each_copy(uint64_t line_pa, Fn&& fn) const;
  bool holds(size_t i, uint64_t line_pa) const {
    return (tags_[i] & ~kDirty) == (line_pa | kValid);
  }
  uint64_t line_pa_of(size_t i) const { return tags_[i] & ~(kCacheLineSize - 1); }
  static uint32_t key_word(EncTag tag) { return tag.key.value | (tag.encrypted ? kEncrypted : 0); }
  EncTag tag_of(size_t i) const {
    return EncTag{(keys_[i] & kEncrypted) != 0, KeyId(keys_[i] & ~kEncrypted)};
  }
  // The next LRU stamp; renumbers the stamps when the counter reaches cfg_.lru_renumber_at.
  uint32_t next_tick() {
    if (tick_ >= cfg_.lru_renumber_at) [[unlikely]]
      renumber_lru();
    return ++tick_;
  }
  void renumber_lru();

  // The index of the line holding {line_pa, tag}, filled on a miss unless fill is false (the
  // caller overwrites the whole line, so a miss need not read it from memory).
  size_t lookup(uint64_t line_pa, EncTag tag, bool fill = true);
  // whole_lines_unfilled: pieces that cover a whole line skip the fill on a miss.
  template <typename Fn>
  void for_each_line(SysPhysAddr pa, size_t len, EncTag tag, bool whole_lines_unfilled, Fn&& fn);
  void write_back(size_t i);
  // As write_back, into run_ (write_back_run.h) when batching_ says the caller flushes it.
  void write_back_batched(size_t i);
  // Writes back (if dirty) and invalidates every copy of the line, under any key.
  void flush_line(uint64_t line_pa);
  // Writes back every dirty line in [first, end), page runs at a time, in a walk over all
  // lines, invalidating each if asked (cache.cc).
  void write_back_walk(uint64_t first, uint64_t end, bool invalidate);
  // The index of the one dirty copy of line_pa (any key), or npos when there are none or more.
  size_t sole_dirty_copy(uint64_t line_pa) const;
  void invalidate_all();
  // Whether write-backs may be gathered into runs: no bus observer wants each line's write.
  bool may_batch() const { return !mc_.observed(); }

  MemoryController& mc_;
  CacheConfig cfg_;
  uint32_t sets_;
  uint64_t set_mask_;  // sets_ - 1 when sets_ is a power of two, else 0 (then a division)
  // The five arrays in one block of zeroed memory advised for huge pages (common/huge_block.h):
  // a launch touches the whole 2.6 MiB, a handful of page faults instead of ~650. The tags and
  // fingerprints start as zeros (all lines invalid); stamps, keys and data are never cleared: a
  // line's are written (filled from memory or wholly overwritten) before it is valid, and only
  // valid lines' are read.
  HugeBlock storage_;
  uint64_t* tags_ = nullptr;
  uint8_t* fps_ = nullptr;  // lines + 16 bytes: a set's 16-byte compare may read past the last
  uint32_t* lru_ = nullptr;
  uint32_t* keys_ = nullptr;
  LineData* data_ = nullptr;
  uint32_t tick_ = 0;
  // Dirty lines written back during an operation (victims of a page-sized write, a snoop, a
  // CLFLUSH of a range) gather here while batching_ is set; the operation flushes the run before
  // it returns and before a fill could read a line of it.
  WriteBackRun run_;
  bool batching_ = false;
  // False after a WBINVD/INVD emptied the cache and until a line is filled again: flushing an
  // empty cache (Linux's wbinvd_on_all_cpus runs it once per core) walks nothing.
  bool any_valid_ = false;
  CacheStats stats_;
};

}  // namespace cbit::hw
