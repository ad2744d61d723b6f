// The Reverse Map Table in simulated DRAM (APM §15.36.4-5; SNP-FACTS.md §1.1, §1.6).
//
// The BIOS reserves it ("SNP Memory Coverage") and puts its bounds in RMP_BASE / RMP_END
// (0xC0010132 / 0xC0010133, RMP_END = the address of its last byte). Its first 16 KiB are the
// processor's bookkeeping: ASPFW rmp_asid_counters_t, one u64 count of assigned pages per ASID
// (2048 of them), which SNP_ACTIVATE reads. Then one 16-byte entry per 4 KiB page from SPA 0:
// entry(spa) = RMP_BASE + 0x4000 + (spa >> 12) * 16. Memory it does not cover is permanently
// hypervisor-owned.
//
// Zen 5's segmented RMP (RMP_CFG.SegRmpEn): after the bookkeeping, a 4 KiB RMP Segment Table of
// 512 u64 entries (bits 19:0 covered size in GiB, 51:20 the segment's RMP base >> 20); segment
// i covers SPA [i << seg_shift, ...), its entries at SegRmpBase + ((spa & (seg - 1)) >> 12) * 16.
//
// Entries are stored as plaintext in DRAM (a model choice: the hardware's own accesses to the
// table carry no guest key; docs/snp.md) and read and written here without the cache, which is
// why software must WBINVD after zeroing the table (Linux snp_rmptable_init). What sits in DRAM
// is what a cold-boot dump or a BadRAM alias sees.
#pragma once
#include <cstdint>
#include <optional>
#include <span>

#include "common/addr.h"
#include "hw/rmp/rmp_entry.h"

namespace cbit::hw {
class Dram;
}

namespace cbit::hw::rmp {

inline constexpr uint64_t kBookkeepingSize = 0x4000;  // 16 KiB
inline constexpr uint32_t kAsidCounters = 2048;       // ASPFW RMP_NUM_ASID_COUNTERS
inline constexpr uint64_t kSegmentTableSize = 0x1000;
inline constexpr unsigned kMaxSegments = 512;
inline constexpr uint64_t k2MiB = 2ull << 20;
inline constexpr uint64_t kPagesPer2MiB = 512;

struct RmpBounds {
  uint64_t base = 0;  // RMP_BASE
  uint64_t end = 0;   // RMP_END: last byte (0 with the segmented RMP)
  bool segmented = false;
  unsigned segment_shift = 0;  // RMP_CFG[13:8]: each segment covers 1 << shift bytes
  constexpr bool operator==(const RmpBounds&) const = default;
};

// The size of a contiguous RMP covering `memory_bytes` of SPA from 0, rounded up to 1 MiB as the
// SNP firmware requires (ASPFW get_rmp_bounds).
uint64_t rmp_table_size(uint64_t memory_bytes);

class RmpTable {
 public:
  RmpTable(Dram& dram, const RmpBounds& bounds);

  const RmpBounds& bounds() const { return bounds_; }
  // SPA covered by an entry (segmented: the segment's covered size), else hypervisor-owned.
  bool covers(SysPhysAddr spa) const;
  // The DRAM address of spa's entry; nullopt when not covered.
  std::optional<SysPhysAddr> entry_address(SysPhysAddr spa) const;
  // Whether [pa, pa+len) overlaps the table itself (bookkeeping, segment table, entries).
  bool overlaps_table(SysPhysAddr pa, uint64_t len) const;

  // The entry of the 4 KiB page holding spa (an uncovered page reads as all-zero: hypervisor).
  RmpEntry read(SysPhysAddr spa) const;
  // Hardware / firmware only (RMPUPDATE, PSMASH, the SNP firmware): no checks here.
  void write(SysPhysAddr spa, const RmpEntry& e);
  // The entries of the consecutive 4 KiB pages from spa, as write() of each in turn (SNP_INIT
  // building the table): with a contiguous table, the entries of up to 256 pages (one 4 KiB run
  // of the table) reach DRAM in one write instead of 256.
  void write_run(SysPhysAddr spa, std::span<const RmpEntry> entries);

  // The entries of the consecutive 4 KiB pages from spa, as read() of each in turn: with a
  // contiguous table, up to 256 entries come from DRAM in one read (KVM's teardown scanning a
  // guest's memory for the pages it must give back).
  void read_run(SysPhysAddr spa, std::span<RmpEntry> out) const;

  // Bookkeeping: assigned pages per ASID (ASPFW rmp_asid_counters_t).
  uint64_t asid_count(uint32_t asid) const;
  void set_asid_count(uint32_t asid, uint64_t n);

  // Segmented RMP: fills the segment table (SNP_INIT's job on real parts: the BIOS writes it).
  void write_segment(unsigned index, uint64_t covered_gib, uint64_t seg_rmp_base);

 private:
  Dram& dram_;
  RmpBounds bounds_;
};

}  // namespace cbit::hw::rmp
