#include "hw/cache/cache.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "common/error.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cbit::hw {

namespace {
size_t round_up64(size_t n) { return (n + 63) & ~size_t{63}; }
}  // namespace

Cache::Cache(MemoryController& mc, CacheConfig cfg)
    : mc_(mc),
      cfg_(cfg),
      sets_(cfg.ways ? cfg.lines / cfg.ways : 0),
      set_mask_(sets_ && (sets_ & (sets_ - 1)) == 0 ? sets_ - 1 : 0),
      storage_(round_up64(cfg.lines * sizeof(uint64_t)) + round_up64(cfg.lines + 16) +
               2 * round_up64(cfg.lines * sizeof(uint32_t)) + cfg.lines * sizeof(LineData)),
      run_(mc) {
  CBIT_ASSERT(cfg.ways > 0 && cfg.lines % cfg.ways == 0 && sets_ > 0 &&
              cfg.lru_renumber_at > cfg.ways);
  uint8_t* p = storage_.data();
  tags_ = reinterpret_cast<uint64_t*>(p);
  std::uninitialized_value_construct_n(tags_, cfg.lines);  // all invalid
  p += round_up64(cfg.lines * sizeof(uint64_t));
  fps_ = p;  // zeros: all invalid
  p += round_up64(cfg.lines + 16);
  lru_ = reinterpret_cast<uint32_t*>(p);  // written before read, like keys_ and data_
  p += round_up64(cfg.lines * sizeof(uint32_t));
  keys_ = reinterpret_cast<uint32_t*>(p);
  p += round_up64(cfg.lines * sizeof(uint32_t));
  data_ = reinterpret_cast<LineData*>(p);
  std::uninitialized_default_construct_n(data_, cfg.lines);  // likewise
}

template <typename Fn>
bool Cache::find_ways(size_t first, uint8_t fp, Fn&& fn) const {
  for (uint32_t w0 = 0; w0 < cfg_.ways; w0 += 16) {
    const uint8_t* f = fps_ + first + w0;
#if defined(__SSE2__)
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(f));
    // fp in all 16 bytes from a register (GCC's _mm_set1_epi8 went through a one-byte stack
    // store and a four-byte load, a store-forwarding stall on every lookup).
    const __m128i needle =
        _mm_shuffle_epi32(_mm_cvtsi32_si128(static_cast<int>(fp * 0x01010101u)), 0);
    uint32_t m = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, needle)));
#else
    uint32_t m = 0;
    for (uint32_t k = 0; k < 16; ++k) m |= uint32_t{f[k] == fp} << k;
#endif
    if (cfg_.ways - w0 < 16) m &= (1u << (cfg_.ways - w0)) - 1;  // the next set's bytes
    for (; m != 0; m &= m - 1)
      if (fn(first + w0 + static_cast<uint32_t>(__builtin_ctz(m)))) return true;
  }
  return false;
}

template <typename Fn>
void Cache::for_each_copy(uint64_t line_pa, Fn&& fn) const {
  find_ways(set_first(line_pa), fingerprint(line_pa), [&](size_t i) {
    if (holds(i, line_pa)) fn(i);
    return false;
  });
}

void Cache::write_back(size_t i) {
  if ((tags_[i] & (kValid | kDirty)) == (kValid | kDirty)) {
    mc_.write(SysPhysAddr(line_pa_of(i)), data_[i], tag_of(i));
    tags_[i] &= ~kDirty;
    ++stats_.writebacks;
  }
}

void Cache::write_back_batched(size_t i) {
  if ((tags_[i] & (kValid | kDirty)) == (kValid | kDirty)) {
    run_.add(line_pa_of(i), tag_of(i), data_[i].data());
    tags_[i] &= ~kDirty;
    ++stats_.writebacks;
  }
}

size_t Cache::lookup(uint64_t line_pa, EncTag tag, bool fill) {
  const size_t first = set_first(line_pa);
  const uint8_t fp = fingerprint(line_pa);
  // The hit, and whether another key's copy of the line is present: fingerprints first, the tag
  // only where one matches, the key only for a tag that matches.
  CBIT_ASSERT(tag.key.value < kEncrypted);
  const uint32_t key = key_word(tag);
  bool other_key_copy = false;
  size_t hit = npos;
  find_ways(first, fp, [&](size_t i) {
    if (!holds(i, line_pa)) return false;
    if (keys_[i] == key) {
      hit = i;
      return true;
    }
    other_key_copy = true;
    return false;
  });
  if (hit != npos) {
    ++stats_.hits;
    lru_[hit] = next_tick();
    return hit;
  }
  ++stats_.misses;
  if (cfg_.sme_coherent && other_key_copy) {
    // Hardware-enforced coherence across keys: the other-key copy goes first, and the victim is
    // chosen among the lines that are left.
    for_each_copy(line_pa, [&](size_t i) {
      batching_ ? write_back_batched(i) : write_back(i);
      set_line(i, 0);
      ++stats_.coherence_evictions;
    });
  }
  // The victim: the first invalid way, else the least recently used.
  size_t victim = npos;
  find_ways(first, 0, [&](size_t i) {
    victim = i;
    return true;
  });
  if (victim == npos) {
    // The set's stamps sit in one host cache line (16 ways): the oldest, the first of equals.
    const uint32_t* s = lru_ + first;
    uint32_t w_min = 0;
    for (uint32_t w = 1; w < cfg_.ways; ++w)
      if (s[w] < s[w_min]) w_min = w;
    victim = first + w_min;
  }
  batching_ ? write_back_batched(victim) : write_back(victim);
  set_line(victim, line_pa | kValid);
  lru_[victim] = next_tick();
  keys_[victim] = key;
  any_valid_ = true;
  if (fill) {
    // The fill must see memory as the line-by-line path leaves it: pending write-backs go first
    // when they could be what it reads (the same page; an aliasing DIMM; the RMP, which
    // ciphertext hiding consults, written through the cache before SNP_INIT).
    if (!run_.empty() && (run_.page() == (line_pa & kPageMask) || mc_.dimm_alias_bit() != 0 ||
                          mc_.ciphertext_hiding_active()))
      run_.flush();
    mc_.read(SysPhysAddr(line_pa), data_[victim], tag);
  }
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
  batching_ = out.size() > kCacheLineSize && may_batch();
  for_each_line(pa, out.size(), mc_.resolve(attr), false,
                [&](size_t i, size_t off, size_t done, size_t n) {
                  std::memcpy(out.data() + done, data_[i].data() + off, n);
                });
  run_.flush();
  batching_ = false;
}

void Cache::write(SysPhysAddr pa, ByteSpan in, MemAttr attr) {
  // Write-allocate: a miss fills the line first, unless the write replaces the whole line and
  // no bus observer would see the fill's read: then the fill's bytes would all be overwritten,
  // and the line, its dirty bit and what is later written back are the same either way.
  const bool unfilled = !mc_.observed();
  // The victims of a multi-line write go back as page runs (write_back_run.h).
  batching_ = in.size() > kCacheLineSize && may_batch();
  for_each_line(pa, in.size(), mc_.resolve(attr), unfilled,
                [&](size_t i, size_t off, size_t done, size_t n) {
                  std::memcpy(data_[i].data() + off, in.data() + done, n);
                  tags_[i] |= kDirty;
                });
  run_.flush();
  batching_ = false;
}

void Cache::flush_line(uint64_t line_pa) {
  for_each_copy(line_pa, [&](size_t i) {
    write_back(i);
    set_line(i, 0);
  });
}

void Cache::clflush(SysPhysAddr pa) { flush_line(pa.value & ~(kCacheLineSize - 1)); }

void Cache::clflush_lines(SysPhysAddr pa, uint64_t len) {
  if (!any_valid_ || len == 0) return;  // an empty cache has nothing to flush
  // CLFLUSH of each line in order is the snoop of a device write: every copy written back (in
  // page runs) and invalidated.
  snoop_for_dma(pa, len, true);
}

size_t Cache::sole_dirty_copy(uint64_t line_pa) const {
  size_t found = npos;
  bool more = false;
  for_each_copy(line_pa, [&](size_t i) {
    if (!(tags_[i] & kDirty)) return;
    more = found != npos;
    found = i;
  });
  return more ? npos : found;
}

// WBINVD, and a snoop of a range that covers every set, walk the lines set by set, way by way.
// Written back in that order, a 2 MiB cache full of dirty lines is 32768 memory-controller writes
// of 64 bytes. So each dirty line, met in the walk, starts a run that takes along the lines that
// follow it in its page (in the next sets) under the same key, written back as one write. Memory
// ends up the same: two writes can only disagree if they reach the same cell, that is the same
// line under two keys (the same set), and a line is taken along only while it is its line's one
// dirty copy; copies of one line are still written in way order, each when its set comes. Not
// with a bus observer, which sees each line's write in the walk's order, nor with an aliasing
// DIMM (two addresses, possibly two sets, one cell). Lines in [first, end) only; invalidate
// drops each one the walk passes.
void Cache::write_back_walk(uint64_t first, uint64_t end, bool invalidate) {
  const bool runs = may_batch() && mc_.dimm_alias_bit() == 0;
  batching_ = runs;
  for (size_t i = 0; i < cfg_.lines; ++i) {
    if (!(tags_[i] & kValid)) continue;
    const uint64_t a = line_pa_of(i);
    if (a < first || a >= end) continue;
    if (!runs) {
      write_back(i);
    } else if (tags_[i] & kDirty) {
      const EncTag tag = tag_of(i);
      write_back_batched(i);
      for (uint64_t b = a + kCacheLineSize; (b & ~kPageMask) != 0 && b < end; b += kCacheLineSize) {
        const size_t j = sole_dirty_copy(b);
        // A line whose set comes later in the walk (an earlier set's lines are all clean now).
        if (j == npos || !(tag_of(j) == tag)) break;
        write_back_batched(j);
      }
      run_.flush();
    }
    if (invalidate) set_line(i, 0);
  }
  batching_ = false;
}

// Each set's valid lines get stamps 1..n in the order of their old stamps (invalid lines' stamps
// are never read), and the counter goes on from the largest: the ways' order within every set,
// the only thing a victim choice reads, is unchanged.
void Cache::renumber_lru() {
  std::vector<uint32_t> order(cfg_.ways);
  uint32_t top = 0;
  for (size_t first = 0; first < cfg_.lines; first += cfg_.ways) {
    uint32_t n = 0;
    for (uint32_t w = 0; w < cfg_.ways; ++w)
      if (tags_[first + w] & kValid) order[n++] = w;
    std::sort(order.begin(), order.begin() + n,
              [&](uint32_t a, uint32_t b) { return lru_[first + a] < lru_[first + b]; });
    for (uint32_t k = 0; k < n; ++k) lru_[first + order[k]] = k + 1;
    top = std::max(top, n);
  }
  tick_ = top;
  ++stats_.lru_renumbers;
}

void Cache::invalidate_all() {
  std::fill_n(tags_, cfg_.lines, uint64_t{0});
  std::fill_n(fps_, cfg_.lines, uint8_t{0});
  any_valid_ = false;
}

void Cache::wbinvd() {
  if (!any_valid_) return;
  write_back_walk(0, ~uint64_t{0}, false);
  invalidate_all();
}
void Cache::wbnoinvd() {
  if (!any_valid_) return;
  write_back_walk(0, ~uint64_t{0}, false);
}
void Cache::invd() {
  if (!any_valid_) return;
  for (size_t i = 0; i < cfg_.lines; ++i)
    stats_.dropped_dirty += (tags_[i] & (kValid | kDirty)) == (kValid | kDirty);
  invalidate_all();
}

void Cache::vm_page_flush(SysPhysAddr page, Asid asid) {
  if (!any_valid_) return;
  const uint64_t base = page.value & kPageMask;
  const uint32_t key = key_word(EncTag{true, KeyId::for_asid(asid)});
  // The page's lines under one key, in address order: one run (write_back_run.h).
  batching_ = may_batch();
  for (uint64_t a = base; a < base + kPageSize; a += kCacheLineSize) {
    for_each_copy(a, [&](size_t i) {
      if (keys_[i] != key) return;
      batching_ ? write_back_batched(i) : write_back(i);
      set_line(i, 0);
    });
  }
  run_.flush();
  batching_ = false;
}

void Cache::snoop_for_dma(SysPhysAddr pa, uint64_t len, bool device_writes) {
  if (!any_valid_) return;
  const uint64_t first = pa.value & ~(kCacheLineSize - 1);
  const uint64_t end = pa.value + len;
  if ((end - first) / kCacheLineSize >= sets_ && mc_.dimm_alias_bit() == 0) {
    // A range that covers every set: each address would look at all `ways` lines of its set, so
    // visiting every line once is cheaper (for a 1 MiB DMA, 32768 looks instead of 262144).
    // Which lines are written back, with what, and each line's copies in which order, is the
    // same either way (only with an aliasing DIMM can two sets' lines share a cell).
    write_back_walk(first, end, device_writes);
    return;
  }
  // Dirty lines that follow each other in one page under one key are written back as one run:
  // one memory-controller write (one pass of the engine) instead of one per line. The bytes
  // stored, and the order of the writes to each line, are those of line-by-line write-backs; a
  // bus observer still sees each line's write on its own.
  batching_ = may_batch();
  for (uint64_t a = first; a < end; a += kCacheLineSize) {
    for_each_copy(a, [&](size_t i) {
      batching_ ? write_back_batched(i) : write_back(i);
      if (device_writes) set_line(i, 0);
    });
  }
  run_.flush();
  batching_ = false;
}

unsigned Cache::copies_of(SysPhysAddr pa) const {
  unsigned n = 0;
  for_each_copy(pa.value & ~(kCacheLineSize - 1), [&](size_t) { ++n; });
  return n;
}

}  // namespace cbit::hw
