#include "hw/rmp/rmp_table.h"

#include <algorithm>
#include <array>

#include "common/bytes.h"
#include "hw/dram/dram.h"

namespace cbit::hw::rmp {
namespace {
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
constexpr uint64_t kCoveredMask = (1ull << 20) - 1;  // RST bits 19:0
constexpr uint64_t kSegBaseMask = ((1ull << 52) - 1) & ~((1ull << 20) - 1);
}  // namespace

uint64_t rmp_table_size(uint64_t memory_bytes) {
  const uint64_t pages = (memory_bytes + kPageSize - 1) / kPageSize;
  const uint64_t bytes = kBookkeepingSize + pages * kRmpEntrySize;
  return (bytes + kMiB - 1) / kMiB * kMiB;
}

RmpTable::RmpTable(Dram& dram, const RmpBounds& bounds) : dram_(dram), bounds_(bounds) {}

std::optional<SysPhysAddr> RmpTable::entry_address(SysPhysAddr spa) const {
  const uint64_t pfn = spa.value >> kPageShift;
  if (!bounds_.segmented) {
    if (bounds_.end < bounds_.base + kBookkeepingSize) return std::nullopt;
    const uint64_t entries = (bounds_.end + 1 - bounds_.base - kBookkeepingSize) / kRmpEntrySize;
    if (pfn >= entries) return std::nullopt;
    return SysPhysAddr(bounds_.base + kBookkeepingSize + pfn * kRmpEntrySize);
  }
  const uint64_t seg = spa.value >> bounds_.segment_shift;
  if (seg >= kMaxSegments) return std::nullopt;
  uint8_t raw[8];
  const SysPhysAddr slot(bounds_.base + kBookkeepingSize + seg * 8);
  if (!dram_.contains(slot, 8)) return std::nullopt;
  dram_.read(slot, raw);
  const uint64_t rst = load_le<uint64_t>(raw);
  const uint64_t seg_size = 1ull << bounds_.segment_shift;
  const uint64_t covered = std::min((rst & kCoveredMask) * kGiB, seg_size);
  const uint64_t off = spa.value & (seg_size - 1);
  if (off >= covered) return std::nullopt;
  return SysPhysAddr((rst & kSegBaseMask) + (off >> kPageShift) * kRmpEntrySize);
}

bool RmpTable::covers(SysPhysAddr spa) const {
  const auto a = entry_address(spa);
  return a && dram_.contains(*a, kRmpEntrySize);
}

bool RmpTable::overlaps_table(SysPhysAddr pa, uint64_t len) const {
  const auto hits = [&](uint64_t lo, uint64_t hi) { return pa.value < hi && lo < pa.value + len; };
  if (!bounds_.segmented) return hits(bounds_.base, bounds_.end + 1);
  if (hits(bounds_.base, bounds_.base + kBookkeepingSize + kSegmentTableSize)) return true;
  for (unsigned i = 0; i < kMaxSegments; ++i) {
    uint8_t raw[8];
    const SysPhysAddr slot(bounds_.base + kBookkeepingSize + i * 8ull);
    if (!dram_.contains(slot, 8)) break;
    dram_.read(slot, raw);
    const uint64_t rst = load_le<uint64_t>(raw);
    const uint64_t covered = rst & kCoveredMask;
    if (!covered) continue;
    const uint64_t base = rst & kSegBaseMask;
    if (hits(base, base + covered * (kGiB / kPageSize) * kRmpEntrySize)) return true;
  }
  return false;
}

RmpEntry RmpTable::read(SysPhysAddr spa) const {
  const auto a = entry_address(spa);
  if (!a || !dram_.contains(*a, kRmpEntrySize)) return RmpEntry{};
  RawRmpEntry raw;
  dram_.read(*a, raw);
  return RmpEntry::decode(raw);
}

void RmpTable::write(SysPhysAddr spa, const RmpEntry& e) {
  const auto a = entry_address(spa);
  if (!a || !dram_.contains(*a, kRmpEntrySize)) return;  // uncovered: always hypervisor-owned
  const RawRmpEntry raw = e.encode();
  dram_.write(*a, raw);
}

namespace {
// t.entry_address(spa), when the entry lies inside the DRAM.
std::optional<SysPhysAddr> entry_in(const RmpTable& t, const Dram& dram, SysPhysAddr spa) {
  auto a = t.entry_address(spa);
  if (a && !dram.contains(*a, kRmpEntrySize)) a.reset();
  return a;
}

// The entries of t (a contiguous table in dram) for `count` consecutive pages from spa, in runs:
// fn(i, address, m) for the m entries of pages i..i+m-1 that follow each other in DRAM within
// one 4 KiB of the table (page p's entry follows page p-1's, as far as the table and the DRAM
// go); uncovered(i) for a page no entry in the DRAM covers.
template <typename Run, typename Uncovered>
void for_each_entry_run(const RmpTable& t, const Dram& dram, SysPhysAddr spa, size_t count,
                        Run&& fn, Uncovered&& uncovered) {
  constexpr size_t kRun = kPageSize / kRmpEntrySize;
  for (size_t i = 0; i < count;) {
    const auto a = entry_in(t, dram, spa + i * kPageSize);
    if (!a) {
      uncovered(i++);
      continue;
    }
    const uint64_t table_left = (t.bounds().end + 1 - a->value) / kRmpEntrySize;
    const uint64_t dram_left = (dram.size() - a->value) / kRmpEntrySize;
    const size_t m =
        static_cast<size_t>(std::min<uint64_t>({kRun, count - i, table_left, dram_left}));
    fn(i, *a, m);
    i += m;
  }
}
}  // namespace

void RmpTable::read_run(SysPhysAddr spa, std::span<RmpEntry> out) const {
  if (bounds_.segmented) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = read(spa + i * kPageSize);
    return;
  }
  std::array<uint8_t, kPageSize> buf;
  for_each_entry_run(
      *this, dram_, spa, out.size(),
      [&](size_t i, SysPhysAddr a, size_t m) {
        dram_.read(a, MutByteSpan(buf.data(), m * kRmpEntrySize));
        for (size_t k = 0; k < m; ++k) {
          RawRmpEntry raw;
          std::copy_n(buf.begin() + k * kRmpEntrySize, kRmpEntrySize, raw.begin());
          out[i + k] = RmpEntry::decode(raw);
        }
      },
      [&](size_t i) { out[i] = RmpEntry{}; });  // uncovered: hypervisor-owned, as read()
}

void RmpTable::write_run(SysPhysAddr spa, std::span<const RmpEntry> entries) {
  if (bounds_.segmented) {  // a segment's entries need not follow each other: one at a time
    for (size_t i = 0; i < entries.size(); ++i) write(spa + i * kPageSize, entries[i]);
    return;
  }
  std::array<uint8_t, kPageSize> buf;
  for_each_entry_run(
      *this, dram_, spa, entries.size(),
      [&](size_t i, SysPhysAddr a, size_t m) {
        for (size_t k = 0; k < m; ++k) {
          const RawRmpEntry raw = entries[i + k].encode();
          std::copy(raw.begin(), raw.end(), buf.begin() + k * kRmpEntrySize);
        }
        dram_.write(a, ByteSpan(buf.data(), m * kRmpEntrySize));
      },
      [](size_t) {});  // uncovered: dropped, as write() does
}

uint64_t RmpTable::asid_count(uint32_t asid) const {
  const SysPhysAddr slot(bounds_.base + asid * 8ull);
  if (asid >= kAsidCounters || !dram_.contains(slot, 8)) return 0;
  uint8_t raw[8];
  dram_.read(slot, raw);
  return load_le<uint64_t>(raw);
}

void RmpTable::set_asid_count(uint32_t asid, uint64_t n) {
  const SysPhysAddr slot(bounds_.base + asid * 8ull);
  if (asid >= kAsidCounters || !dram_.contains(slot, 8)) return;
  uint8_t raw[8];
  store_le<uint64_t>(raw, n);
  dram_.write(slot, raw);
}

void RmpTable::write_segment(unsigned index, uint64_t covered_gib, uint64_t seg_rmp_base) {
  const SysPhysAddr slot(bounds_.base + kBookkeepingSize + index * 8ull);
  if (index >= kMaxSegments || !dram_.contains(slot, 8)) return;
  uint8_t raw[8];
  store_le<uint64_t>(raw, (covered_gib & kCoveredMask) | (seg_rmp_base & kSegBaseMask));
  dram_.write(slot, raw);
}

}  // namespace cbit::hw::rmp
