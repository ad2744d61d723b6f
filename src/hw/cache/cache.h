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
#include <memory>
#include <vector>

#include "hw/mem_port.h"
#include "hw/memctrl/memory_controller.h"

namespace cbit::hw {

struct CacheConfig {
  uint32_t lines = 32768;  // 2 MiB of 64-byte lines
  uint32_t ways = 16;
  bool sme_coherent = false;
};

struct CacheStats {
  uint64_t hits = 0, misses = 0, writebacks = 0, dropped_dirty = 0, coherence_evictions = 0;
};

class Cache final : public PhysMemPort, public CacheControl {
 public:
  Cache(MemoryController& mc, CacheConfig cfg);

  void read(SysPhysAddr pa, MutByteSpan out, MemAttr attr) override;
  void write(SysPhysAddr pa, ByteSpan in, MemAttr attr) override;

  void clflush(SysPhysAddr pa) override;
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
  struct Line {
    uint64_t line_pa = 0;
    EncTag tag;
    bool valid = false;
    bool dirty = false;
    uint64_t lru = 0;
  };
  // The lines' data live apart from their tags (data_[i] belongs to lines_[i]), so the tag
  // compares of a lookup or a DMA snoop touch 16 small entries, not 16 lines of data.
  using LineData = std::array<uint8_t, kCacheLineSize>;
  LineData& data_of(const Line& l) { return data_[static_cast<size_t>(&l - lines_.data())]; }

  // fill = false: the caller overwrites the whole line, so a miss need not read it from memory.
  Line& lookup(uint64_t line_pa, EncTag tag, bool fill = true);
  // whole_lines_unfilled: pieces that cover a whole line skip the fill on a miss.
  template <typename Fn>
  void for_each_line(SysPhysAddr pa, size_t len, EncTag tag, bool whole_lines_unfilled, Fn&& fn);
  Line* set_begin(uint64_t line_pa) {
    return &lines_[(line_pa / kCacheLineSize % sets_) * cfg_.ways];
  }
  void write_back(Line& l);
  template <typename Pred>
  void flush_if(Pred&& pred, bool write_back_dirty, bool invalidate);

  MemoryController& mc_;
  CacheConfig cfg_;
  uint32_t sets_;
  std::vector<Line> lines_;
  // Not cleared: a line's data is filled from memory (or wholly overwritten) before it is valid,
  // and only valid lines' data is read. (A 2 MiB cache's data would otherwise be zeroed at every
  // machine's construction, a tenth of a launch.)
  std::unique_ptr<LineData[]> data_;
  uint64_t tick_ = 0;
  // False after a WBINVD/INVD emptied the cache and until a line is filled again: flushing an
  // empty cache (Linux's wbinvd_on_all_cpus runs it once per core) walks nothing.
  bool any_valid_ = false;
  CacheStats stats_;
};

}  // namespace cbit::hw
