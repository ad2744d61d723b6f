#include "hw/cache/cache.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace cbit::hw {

Cache::Cache(MemoryController& mc, CacheConfig cfg)
    : mc_(mc),
      cfg_(cfg),
      sets_(cfg.lines / cfg.ways),
      lines_(cfg.lines),
      data_(new LineData[cfg.lines]) {
  CBIT_ASSERT(cfg.ways > 0 && cfg.lines % cfg.ways == 0 && sets_ > 0);
}

void Cache::write_back(Line& l) {
  if (l.valid && l.dirty) {
    mc_.write(SysPhysAddr(l.line_pa), data_of(l), l.tag);
    l.dirty = false;
    ++stats_.writebacks;
  }
}

Cache::Line& Cache::lookup(uint64_t line_pa, EncTag tag, bool fill) {
  Line* set = set_begin(line_pa);
  // One pass over the set finds a hit, the victim (the first invalid way, else the least
  // recently used) and whether another key's copy of the line is present.
  Line* victim = nullptr;
  bool other_key_copy = false;
  for (uint32_t w = 0; w < cfg_.ways; ++w) {
    Line& l = set[w];
    if (l.valid && l.line_pa == line_pa) {
      if (l.tag == tag) {
        ++stats_.hits;
        l.lru = ++tick_;
        return l;
      }
      other_key_copy = true;
    }
    if (victim && !victim->valid) continue;
    if (!l.valid || !victim || l.lru < victim->lru) victim = &l;
  }
  ++stats_.misses;
  if (cfg_.sme_coherent && other_key_copy) {
    // Hardware-enforced coherence across keys: the other-key copy goes first, and the victim is
    // chosen again among the lines that are left.
    victim = nullptr;
    for (uint32_t w = 0; w < cfg_.ways; ++w) {
      Line& l = set[w];
      if (l.valid && l.line_pa == line_pa) {
        write_back(l);
        l.valid = false;
        ++stats_.coherence_evictions;
      }
    }
    for (uint32_t w = 0; w < cfg_.ways; ++w) {
      Line& l = set[w];
      if (!l.valid) {
        victim = &l;
        break;
      }
      if (!victim || l.lru < victim->lru) victim = &l;
    }
  }
  write_back(*victim);
  victim->valid = true;
  victim->dirty = false;
  victim->line_pa = line_pa;
  victim->tag = tag;
  victim->lru = ++tick_;
  any_valid_ = true;
  if (fill) mc_.read(SysPhysAddr(line_pa), data_of(*victim), tag);
  return *victim;
}

// Splits [pa, pa+len) at line boundaries and hands each piece's line to fn(line, offset in the
// line, offset in the buffer, length).
template <typename Fn>
void Cache::for_each_line(SysPhysAddr pa, size_t len, EncTag tag, bool whole_lines_unfilled,
                          Fn&& fn) {
  size_t done = 0;
  while (done < len) {
    const uint64_t a = pa.value + done;
    const uint64_t line_pa = a & ~(kCacheLineSize - 1);
    const size_t off = a - line_pa;
    const size_t n = std::min<size_t>(kCacheLineSize - off, len - done);
    fn(lookup(line_pa, tag, !(whole_lines_unfilled && n == kCacheLineSize)), off, done, n);
    done += n;
  }
}

void Cache::read(SysPhysAddr pa, MutByteSpan out, MemAttr attr) {
  for_each_line(pa, out.size(), mc_.resolve(attr), false,
                [&](Line& l, size_t off, size_t done, size_t n) {
                  std::memcpy(out.data() + done, data_of(l).data() + off, n);
                });
}

void Cache::write(SysPhysAddr pa, ByteSpan in, MemAttr attr) {
  // Write-allocate: a miss fills the line first, unless the write replaces the whole line and
  // no bus observer would see the fill's read: then the fill's bytes would all be overwritten,
  // and the line, its dirty bit and what is later written back are the same either way.
  const bool unfilled = !mc_.observed();
  for_each_line(pa, in.size(), mc_.resolve(attr), unfilled,
                [&](Line& l, size_t off, size_t done, size_t n) {
                  std::memcpy(data_of(l).data() + off, in.data() + done, n);
                  l.dirty = true;
                });
}

template <typename Pred>
void Cache::flush_if(Pred&& pred, bool write_back_dirty, bool invalidate) {
  for (Line& l : lines_) {
    if (!l.valid || !pred(l)) continue;
    if (write_back_dirty) {
      write_back(l);
    } else if (l.dirty) {
      ++stats_.dropped_dirty;
    }
    if (invalidate) {
      l.valid = false;
      l.dirty = false;
    }
  }
}

void Cache::clflush(SysPhysAddr pa) {
  const uint64_t line_pa = pa.value & ~(kCacheLineSize - 1);
  Line* set = set_begin(line_pa);
  for (uint32_t w = 0; w < cfg_.ways; ++w) {
    Line& l = set[w];
    if (l.valid && l.line_pa == line_pa) {
      write_back(l);
      l.valid = false;
    }
  }
}

void Cache::wbinvd() {
  if (!any_valid_) return;
  flush_if([](const Line&) { return true; }, true, true);
  any_valid_ = false;
}
void Cache::wbnoinvd() {
  if (!any_valid_) return;
  flush_if([](const Line&) { return true; }, true, false);
}
void Cache::invd() {
  if (!any_valid_) return;
  flush_if([](const Line&) { return true; }, false, true);
  any_valid_ = false;
}

void Cache::vm_page_flush(SysPhysAddr page, Asid asid) {
  const uint64_t base = page.value & kPageMask;
  for (uint64_t a = base; a < base + kPageSize; a += kCacheLineSize) {
    Line* set = set_begin(a);
    for (uint32_t w = 0; w < cfg_.ways; ++w) {
      Line& l = set[w];
      if (l.valid && l.line_pa == a && l.tag.encrypted && l.tag.key == KeyId::for_asid(asid)) {
        write_back(l);
        l.valid = false;
      }
    }
  }
}

void Cache::snoop_for_dma(SysPhysAddr pa, uint64_t len, bool device_writes) {
  if (!any_valid_) return;
  const uint64_t first = pa.value & ~(kCacheLineSize - 1);
  const uint64_t end = pa.value + len;
  if ((end - first) / kCacheLineSize >= sets_) {
    // A range that covers every set: each address would look at all `ways` lines of its set, so
    // visiting every line once is cheaper (for a 1 MiB DMA, 32768 looks instead of 262144).
    // Which lines are written back, and with what, is the same either way.
    for (Line& l : lines_) {
      if (l.valid && l.line_pa >= first && l.line_pa < end) {
        write_back(l);
        if (device_writes) l.valid = false;
      }
    }
    return;
  }
  for (uint64_t a = first; a < end; a += kCacheLineSize) {
    Line* set = set_begin(a);
    for (uint32_t w = 0; w < cfg_.ways; ++w) {
      Line& l = set[w];
      if (l.valid && l.line_pa == a) {
        write_back(l);
        if (device_writes) l.valid = false;
      }
    }
  }
}

unsigned Cache::copies_of(SysPhysAddr pa) const {
  const uint64_t line_pa = pa.value & ~(kCacheLineSize - 1);
  const Line* set = &lines_[(line_pa / kCacheLineSize % sets_) * cfg_.ways];
  unsigned n = 0;
  for (uint32_t w = 0; w < cfg_.ways; ++w) n += set[w].valid && set[w].line_pa == line_pa;
  return n;
}

}  // namespace cbit::hw
