#include "hw/cache/cache.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "common/error.h"

namespace cbit::hw {

namespace {
size_t round_up64(size_t n) { return (n + 63) & ~size_t{63}; }
}  // namespace

Cache::Cache(MemoryController& mc, CacheConfig cfg)
    : mc_(mc),
      cfg_(cfg),
      sets_(cfg.ways ? cfg.lines / cfg.ways : 0),
      storage_(round_up64(cfg.lines * sizeof(uint64_t)) + round_up64(cfg.lines * sizeof(Meta)) +
               cfg.lines * sizeof(LineData)) {
  CBIT_ASSERT(cfg.ways > 0 && cfg.lines % cfg.ways == 0 && sets_ > 0);
  uint8_t* p = storage_.data();
  tags_ = reinterpret_cast<uint64_t*>(p);
  std::uninitialized_value_construct_n(tags_, cfg.lines);  // all invalid
  p += round_up64(cfg.lines * sizeof(uint64_t));
  meta_ = reinterpret_cast<Meta*>(p);
  std::uninitialized_default_construct_n(meta_, cfg.lines);  // trivial: writes nothing
  p += round_up64(cfg.lines * sizeof(Meta));
  data_ = reinterpret_cast<LineData*>(p);
  std::uninitialized_default_construct_n(data_, cfg.lines);  // likewise
}

void Cache::write_back(size_t i) {
  if ((tags_[i] & (kValid | kDirty)) == (kValid | kDirty)) {
    mc_.write(SysPhysAddr(line_pa_of(i)), data_[i], meta_[i].tag());
    tags_[i] &= ~kDirty;
    ++stats_.writebacks;
  }
}

size_t Cache::lookup(uint64_t line_pa, EncTag tag, bool fill) {
  const size_t first = set_first(line_pa);
  const uint64_t* t = tags_ + first;
  const uint64_t want = line_pa | kValid;
  // The hit, and whether another key's copy of the line is present: tags first, the key only
  // for a tag that matches.
  bool other_key_copy = false;
  for (uint32_t w = 0; w < cfg_.ways; ++w) {
    if ((t[w] & ~kDirty) != want) continue;
    Meta& m = meta_[first + w];
    if (m.encrypted == tag.encrypted && m.key == tag.key.value) {
      ++stats_.hits;
      m.lru = ++tick_;
      return first + w;
    }
    other_key_copy = true;
  }
  ++stats_.misses;
  if (cfg_.sme_coherent && other_key_copy) {
    // Hardware-enforced coherence across keys: the other-key copy goes first, and the victim is
    // chosen among the lines that are left.
    for (uint32_t w = 0; w < cfg_.ways; ++w) {
      if (!holds(first + w, line_pa)) continue;
      write_back(first + w);
      tags_[first + w] = 0;
      ++stats_.coherence_evictions;
    }
  }
  // The victim: the first invalid way, else the least recently used.
  size_t victim = first + cfg_.ways;
  for (uint32_t w = 0; w < cfg_.ways; ++w) {
    if (!(t[w] & kValid)) {
      victim = first + w;
      break;
    }
  }
  if (victim == first + cfg_.ways) {
    victim = first;
    for (uint32_t w = 1; w < cfg_.ways; ++w)
      if (meta_[first + w].lru < meta_[victim].lru) victim = first + w;
  }
  write_back(victim);
  tags_[victim] = want;
  meta_[victim] = Meta{++tick_, tag.key.value, tag.encrypted};
  any_valid_ = true;
  if (fill) mc_.read(SysPhysAddr(line_pa), data_[victim], tag);
  return victim;
}

// Splits [pa, pa+len) at line boundaries and hands each piece's line to fn(line index, offset in
// the line, offset in the buffer, length).
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
                [&](size_t i, size_t off, size_t done, size_t n) {
                  std::memcpy(out.data() + done, data_[i].data() + off, n);
                });
}

void Cache::write(SysPhysAddr pa, ByteSpan in, MemAttr attr) {
  // Write-allocate: a miss fills the line first, unless the write replaces the whole line and
  // no bus observer would see the fill's read: then the fill's bytes would all be overwritten,
  // and the line, its dirty bit and what is later written back are the same either way.
  const bool unfilled = !mc_.observed();
  for_each_line(pa, in.size(), mc_.resolve(attr), unfilled,
                [&](size_t i, size_t off, size_t done, size_t n) {
                  std::memcpy(data_[i].data() + off, in.data() + done, n);
                  tags_[i] |= kDirty;
                });
}

template <typename Pred>
void Cache::flush_if(Pred&& pred, bool write_back_dirty, bool invalidate) {
  for (size_t i = 0; i < cfg_.lines; ++i) {
    if (!(tags_[i] & kValid) || !pred(i)) continue;
    if (write_back_dirty) {
      write_back(i);
    } else if (tags_[i] & kDirty) {
      ++stats_.dropped_dirty;
    }
    if (invalidate) tags_[i] = 0;
  }
}

void Cache::flush_line(uint64_t line_pa) {
  const size_t first = set_first(line_pa);
  for (uint32_t w = 0; w < cfg_.ways; ++w) {
    if (holds(first + w, line_pa)) {
      write_back(first + w);
      tags_[first + w] = 0;
    }
  }
}

void Cache::clflush(SysPhysAddr pa) { flush_line(pa.value & ~(kCacheLineSize - 1)); }

void Cache::clflush_lines(SysPhysAddr pa, uint64_t len) {
  if (!any_valid_) return;  // an empty cache has nothing to flush
  for (uint64_t a = pa.value & ~(kCacheLineSize - 1); a < pa.value + len; a += kCacheLineSize)
    flush_line(a);
}

void Cache::wbinvd() {
  if (!any_valid_) return;
  flush_if([](size_t) { return true; }, true, true);
  any_valid_ = false;
}
void Cache::wbnoinvd() {
  if (!any_valid_) return;
  flush_if([](size_t) { return true; }, true, false);
}
void Cache::invd() {
  if (!any_valid_) return;
  flush_if([](size_t) { return true; }, false, true);
  any_valid_ = false;
}

void Cache::vm_page_flush(SysPhysAddr page, Asid asid) {
  const uint64_t base = page.value & kPageMask;
  const uint32_t key = KeyId::for_asid(asid).value;
  for (uint64_t a = base; a < base + kPageSize; a += kCacheLineSize) {
    const size_t first = set_first(a);
    for (uint32_t w = 0; w < cfg_.ways; ++w) {
      const size_t i = first + w;
      if (holds(i, a) && meta_[i].encrypted && meta_[i].key == key) {
        write_back(i);
        tags_[i] = 0;
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
    for (size_t i = 0; i < cfg_.lines; ++i) {
      if (!(tags_[i] & kValid)) continue;
      const uint64_t a = line_pa_of(i);
      if (a < first || a >= end) continue;
      write_back(i);
      if (device_writes) tags_[i] = 0;
    }
    return;
  }
  // Dirty lines that follow each other in one page under one key are written back as one run:
  // one memory-controller write (one pass of the engine) instead of one per line. The bytes
  // stored, and the order of the writes to each line, are those of line-by-line write-backs; a
  // bus observer still sees each line's write on its own.
  const bool merge = !mc_.observed();
  alignas(64) uint8_t run[kPageSize];
  uint64_t run_pa = 0;
  size_t run_len = 0;
  EncTag run_tag;
  auto flush_run = [&] {
    if (run_len) mc_.write(SysPhysAddr(run_pa), ByteSpan(run, run_len), run_tag);
    run_len = 0;
  };
  for (uint64_t a = first; a < end; a += kCacheLineSize) {
    const size_t s = set_first(a);
    for (uint32_t w = 0; w < cfg_.ways; ++w) {
      const size_t i = s + w;
      if (!holds(i, a)) continue;
      if (!merge) {
        write_back(i);
      } else if (tags_[i] & kDirty) {
        const EncTag tag = meta_[i].tag();
        if (run_len && (run_pa + run_len != a || !(run_tag == tag) || (a & ~kPageMask) == 0))
          flush_run();
        if (!run_len) {
          run_pa = a;
          run_tag = tag;
        }
        std::memcpy(run + run_len, data_[i].data(), kCacheLineSize);
        run_len += kCacheLineSize;
        tags_[i] &= ~kDirty;
        ++stats_.writebacks;
      }
      if (device_writes) tags_[i] = 0;
    }
  }
  flush_run();
}

unsigned Cache::copies_of(SysPhysAddr pa) const {
  const uint64_t line_pa = pa.value & ~(kCacheLineSize - 1);
  const size_t first = set_first(line_pa);
  unsigned n = 0;
  for (uint32_t w = 0; w < cfg_.ways; ++w) n += holds(first + w, line_pa);
  return n;
}

}  // namespace cbit::hw
