// The guest kernel's parts that need no VM: page-table building, a user program's pages, the
// GHCB page and MSR protocol encoding, the disk header parser, the swiotlb slot allocator.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <vector>

#include "sw/ghcb/ghcb.h"
#include "sw/guest/cbit_disk.h"
#include "sw/guest/ghcb_page.h"
#include "sw/guest/pgtable.h"
#include "sw/guest/swiotlb.h"
#include "sw/guest/user_mm.h"
#include "sw/hv/devices.h"
#include "x86/guest_memory.h"

namespace cbit::sw::guest {
namespace {

// Guest memory as a sparse map of entries; tables come from a bump allocator.
struct MapPteIo final : PteIo {
  uint64_t read_pte(GuestPhysAddr w) override { return mem.count(w.value) ? mem[w.value] : 0; }
  void write_pte(GuestPhysAddr w, uint64_t v) override {
    mem[w.value] = v;
    ++writes;
  }
  std::map<uint64_t, uint64_t> mem;
  uint64_t writes = 0;
};

constexpr uint64_t kC = 1ull << 51;

struct Tables {
  MapPteIo io;
  uint64_t next = 0x100000;
  GuestPageTables pgt{io, [this] { return GuestPhysAddr((next += kPageSize) - kPageSize); }, kC};
};

TEST(GuestPgtable, DirectMapUsesLargePagesAndCBitEverywhere) {
  Tables t;
  t.pgt.map(VirtAddr(PAGE_OFFSET), GuestPhysAddr(0), 8ull << 20, __PAGE_KERNEL | kC);
  EXPECT_EQ(t.pgt.tables_allocated(), 3u);  // PGD, PUD, PMD: four 2 MiB entries, no PTE table
  const auto e = t.pgt.lookup_address(VirtAddr(PAGE_OFFSET + 0x345678));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->level, PgLevel::Pmd);
  EXPECT_EQ(t.pgt.entry_addr(e->value), 0x200000u);
  EXPECT_TRUE(e->value & kC);
  EXPECT_TRUE(e->value & _PAGE_NX);
  // Every table pointer carries the C-bit (the walker reads the next table as private).
  for (const auto& [where, v] : t.io.mem) {
    if (v & _PAGE_PRESENT) {
      EXPECT_TRUE(v & kC) << std::hex << where;
    }
  }
  EXPECT_EQ(t.pgt.cr3(), t.pgt.pgd().value | kC);
  EXPECT_FALSE(t.pgt.lookup_address(VirtAddr(PAGE_OFFSET + (8ull << 20))).has_value());
}

TEST(GuestPgtable, SplitKeepsAttributesAndFlipsOnePage) {
  Tables t;
  t.pgt.map(VirtAddr(PAGE_OFFSET), GuestPhysAddr(0), 2ull << 20, __PAGE_KERNEL | kC);
  const VirtAddr va(PAGE_OFFSET + 0x5000);
  auto pmd = *t.pgt.lookup_address(va);
  const auto pte = t.pgt.split_large_page(pmd, va);
  EXPECT_EQ(pte.level, PgLevel::Pte);
  EXPECT_EQ(t.pgt.entry_addr(pte.value), 0x5000u);
  EXPECT_EQ(pte.value & ~0x000ffffffffff000ull, (__PAGE_KERNEL | kC) & ~0x000ffffffffff000ull);
  t.pgt.set_entry(pte.where, pte.value & ~kC);  // set_memory_decrypted's flip
  EXPECT_FALSE(t.pgt.lookup_address(va)->value & kC);
  EXPECT_TRUE(t.pgt.lookup_address(va + kPageSize)->value & kC);  // the neighbours stay private
  EXPECT_TRUE(t.pgt.lookup_address(va + (-kPageSize))->value & kC);
}

TEST(GuestPgtable, UserMappingsGetUserTablePointers) {
  Tables t;
  t.pgt.map(VirtAddr(0x400000), GuestPhysAddr(0x800000), kPageSize, _PAGE_PRESENT | _PAGE_USER | kC,
            false, _PAGE_TABLE);
  GuestPhysAddr table = t.pgt.pgd();
  for (int level = 4; level > 1; --level) {
    const uint64_t e = t.io.read_pte(table + ((0x400000ull >> (12 + 9 * (level - 1))) & 511) * 8);
    EXPECT_TRUE(e & _PAGE_USER) << "level " << level;
    table = GuestPhysAddr(t.pgt.entry_addr(e));
  }
  // The kernel's mappings do not (control).
  t.pgt.map(VirtAddr(PAGE_OFFSET), GuestPhysAddr(0), kPageSize, __PAGE_KERNEL | kC, false);
  EXPECT_FALSE(t.pgt.pgd_entry(VirtAddr(PAGE_OFFSET)) & _PAGE_USER);
}

// A user program's pages (user_mm.h): the frame stays under PROT_NONE with P clear, D is kept
// across it, munmap clears the entry and frees the frame, each change of a mapped page flushes
// its translation.
TEST(GuestUserMm, ProtNoneKeepsTheFrameUnmapFreesIt) {
  Tables t;
  uint64_t next_frame = 0x800000;
  std::vector<GuestPhysAddr> freed;
  std::vector<uint64_t> flushed;
  UserMm mm(t.pgt, UserMm::Ops{[&] { return GuestPhysAddr((next_frame += kPageSize) - kPageSize); },
                               [&](GuestPhysAddr pa) { freed.push_back(pa); },
                               [&](VirtAddr v) { flushed.push_back(v.value); }});
  const VirtAddr va(0x7f0000000000ull);
  mm.map(va, 2 * kPageSize, x86::Prot::R | x86::Prot::W);
  ASSERT_EQ(mm.pages().size(), 2u);
  const auto e = *t.pgt.lookup_address(va);
  EXPECT_EQ(t.pgt.entry_addr(e.value), 0x800000u);
  EXPECT_TRUE(e.value & _PAGE_RW);
  EXPECT_TRUE(e.value & kC);                        // private
  EXPECT_TRUE(flushed.empty());                     // nothing was mapped there before
  t.pgt.set_entry(e.where, e.value | _PAGE_DIRTY);  // the CPU wrote the page

  mm.map(va, kPageSize, 0);                            // PROT_NONE
  EXPECT_FALSE(t.pgt.lookup_address(va).has_value());  // not present: every access faults
  const uint64_t none = t.io.read_pte(e.where);
  EXPECT_EQ(none & (_PAGE_PRESENT | _PAGE_PROTNONE), _PAGE_PROTNONE);
  EXPECT_EQ(t.pgt.entry_addr(none), 0x800000u);
  EXPECT_EQ(flushed, std::vector<uint64_t>{va.value});
  mm.map(va, kPageSize,
         static_cast<unsigned>(x86::Prot::R));  // back: the same frame, D kept, no RW
  const auto back = *t.pgt.lookup_address(va);
  EXPECT_EQ(t.pgt.entry_addr(back.value), 0x800000u);
  EXPECT_TRUE(back.value & _PAGE_DIRTY);
  EXPECT_FALSE(back.value & _PAGE_RW);
  EXPECT_TRUE(freed.empty());

  mm.unmap(va, 3 * kPageSize);  // the third page was never mapped: skipped
  EXPECT_EQ(t.io.read_pte(e.where), 0u);
  EXPECT_FALSE(t.pgt.lookup_address(va + kPageSize).has_value());
  EXPECT_EQ(freed, (std::vector<GuestPhysAddr>{GuestPhysAddr(0x800000), GuestPhysAddr(0x801000)}));
  EXPECT_TRUE(mm.pages().empty());
  // Mapped again: a new frame, not the freed one's old entry.
  mm.map(va, kPageSize, static_cast<unsigned>(x86::Prot::R));
  EXPECT_EQ(t.pgt.entry_addr(t.pgt.lookup_address(va)->value), 0x802000u);
}

TEST(GuestGhcb, ValidBitsFollowTheFieldsSet) {
  GhcbPage g;
  g.set(ghcb::off::kRax, 0x8000001f);
  g.set(ghcb::off::kRcx, 0);
  g.set_cpl(0);
  EXPECT_TRUE(g.is_valid(ghcb::off::kRax));
  EXPECT_TRUE(g.is_valid(ghcb::off::kRcx));
  EXPECT_TRUE(g.is_valid(ghcb::off::kCpl));
  EXPECT_FALSE(g.is_valid(ghcb::off::kRbx));
  // RAX is the quadword at 0x1F8: bit 63 of the bitmap; CPL (0xCB) shares bit 25 with 0xC8.
  EXPECT_EQ(g.bytes()[ghcb::off::kValidBitmap + 7], 0x80);
  EXPECT_EQ(g.bytes()[ghcb::off::kValidBitmap + 3], 0x02);
  EXPECT_EQ(g.get(ghcb::off::kRax), 0x8000001fu);
  g.set(ghcb::off::kSwExitCode, 0x72);
  g.invalidate();
  EXPECT_FALSE(g.is_valid(ghcb::off::kRax));
  EXPECT_FALSE(g.is_valid(ghcb::off::kSwExitCode));
  EXPECT_EQ(g.get(ghcb::off::kSwExitCode), 0u);
  g.set_protocol(2);
  EXPECT_EQ(load_le<uint16_t>(g.bytes().data() + ghcb::off::kProtocolVersion), 2);
}

// The copy moves lines, not the page: a set() changes its field's line and the bitmap's; after
// reload() a line is loaded from the shared page when read, once, and a line not read is never
// loaded (the hypervisor's other writes stay in the page, as with Linux's in-place accessors).
TEST(GuestGhcb, MovesOnlyTheLinesItChangesAndReads) {
  std::array<uint8_t, ghcb::kGhcbSize> shared{};  // the shared page
  std::vector<unsigned> loads;
  GhcbPage g;
  g.attach([&](unsigned line, MutByteSpan out) {
    loads.push_back(line);
    std::copy_n(shared.begin() + line * 64, 64, out.begin());
  });
  g.invalidate();
  g.set(ghcb::off::kRax, 0x41);                        // 0x1F8: line 7
  g.set(ghcb::off::kSwExitCode, ghcb::vmgexit::kPsc);  // 0x390: line 14; the bitmap: line 15
  g.set_protocol(2);                                   // 0xFFA: line 63
  const uint64_t dirty = g.take_dirty();
  EXPECT_EQ(dirty, (1ull << 7) | (1ull << 14) | (1ull << 15) | (1ull << 63));
  EXPECT_EQ(g.take_dirty(), 0u);  // taken
  EXPECT_TRUE(loads.empty());     // a fresh page: nothing to load
  ghcb::for_each_line_run(dirty, [&](unsigned first, unsigned n) {
    std::copy_n(g.bytes().begin() + first * 64, n * 64, shared.begin() + first * 64);
  });
  // The hypervisor answers in the save area (RBX at 0x318: line 12) and writes SW_EXITINFO1.
  store_le<uint64_t>(shared.data() + ghcb::off::kRbx, 0x1234);
  store_le<uint64_t>(shared.data() + ghcb::off::kSwExitInfo1, 1);
  shared[ghcb::off::kValidBitmap + ghcb::off::kRbx / 64] |= 1u << ((ghcb::off::kRbx / 8) % 8);
  EXPECT_EQ(g.get(ghcb::off::kRbx), 0u);  // control: not reloaded yet, the copy's old value
  g.reload((1ull << 16) - 1);
  EXPECT_EQ(g.get(ghcb::off::kRbx), 0x1234u);
  EXPECT_TRUE(g.is_valid(ghcb::off::kRbx));
  EXPECT_EQ(g.get(ghcb::off::kSwExitInfo1), 1u);
  EXPECT_EQ(g.get(ghcb::off::kRbx), 0x1234u);
  EXPECT_EQ(loads, (std::vector<unsigned>{12, 15, 14}));  // each read line once; RAX's never
  // A changed line not yet stored survives reload(): it is the guest's newest.
  g.set(ghcb::off::kRcx, 7);  // 0x308: line 12
  g.reload((1ull << 16) - 1);
  EXPECT_EQ(g.get(ghcb::off::kRcx), 7u);
}

// line_mask: the lines a byte range covers; for_each_line_run: the runs of set bits, lowest
// first, including one that ends at bit 63.
TEST(GuestGhcb, LineRuns) {
  EXPECT_EQ(ghcb::line_mask(ghcb::off::kValidBitmap, 16), 1ull << 15);
  EXPECT_EQ(ghcb::line_mask(0x3C, 8), 0b11ull);  // straddles lines 0 and 1
  EXPECT_EQ(ghcb::line_mask(ghcb::off::kProtocolVersion, 2), 1ull << 63);
  EXPECT_EQ(ghcb::line_mask(0, ghcb::kGhcbSize), ~0ull);
  EXPECT_EQ(ghcb::line_mask(0, 0x400), 0xFFFFull);
  std::vector<std::pair<unsigned, unsigned>> runs;
  ghcb::for_each_line_run(0b1101ull | (3ull << 62),
                          [&](unsigned f, unsigned n) { runs.emplace_back(f, n); });
  EXPECT_EQ(runs, (std::vector<std::pair<unsigned, unsigned>>{{0, 1}, {2, 2}, {62, 2}}));
  runs.clear();
  ghcb::for_each_line_run(~0ull, [&](unsigned f, unsigned n) { runs.emplace_back(f, n); });
  EXPECT_EQ(runs, (std::vector<std::pair<unsigned, unsigned>>{{0, 64}}));
}

TEST(GuestGhcb, MsrProtocolAnswers) {
  const auto info = decode_sev_info(ghcb::msr_proto::sev_info(2, 1, 51));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->max, 2);
  EXPECT_EQ(info->min, 1);
  EXPECT_EQ(info->cbit, 51u);
  EXPECT_EQ(negotiate_protocol(*info), std::optional<uint16_t>(2));
  EXPECT_EQ(negotiate_protocol({5, 3, 51}), std::nullopt);  // the hypervisor is too new
  EXPECT_EQ(negotiate_protocol({0, 0, 51}), std::nullopt);  // or too old
  EXPECT_EQ(negotiate_protocol({1, 1, 51}), std::optional<uint16_t>(1));
  EXPECT_FALSE(decode_sev_info(ghcb::msr_proto::cpuid_resp(7)).has_value());
  EXPECT_EQ(decode_cpuid_resp(ghcb::msr_proto::cpuid_resp(0x1234abcd)),
            std::optional<uint32_t>(0x1234abcd));
  EXPECT_FALSE(decode_cpuid_resp(ghcb::msr_proto::sev_info(2, 1, 51)).has_value());
}

TEST(GuestDisk, HeaderOfTheHypervisorsImage) {
  const Bytes file(1000, 0xab);
  const Bytes img = hv::make_cbit_disk(file, "secret.elf");
  std::string why;
  const auto h = parse_disk_header(img, &why);
  ASSERT_TRUE(h.has_value()) << why;
  EXPECT_EQ(h->name, "secret.elf");
  EXPECT_EQ(h->file_size, 1000u);
  EXPECT_EQ(h->file_sectors(), 2u);
}

TEST(GuestDisk, BadHeadersAreRefusedWithAReason) {
  Bytes img = hv::make_cbit_disk(Bytes(10, 1), "a");
  std::string why;
  Bytes bad = img;
  bad[0] = 'X';
  EXPECT_FALSE(parse_disk_header(bad, &why));
  EXPECT_EQ(why, "no CBITDISK magic");
  bad = img;
  store_le<uint64_t>(bad.data() + 8, DiskHeader::kMaxFileSize + 1);
  EXPECT_FALSE(parse_disk_header(bad, &why));
  bad = img;
  std::fill(bad.begin() + 16, bad.begin() + 48, 'n');
  EXPECT_FALSE(parse_disk_header(bad, &why));
  EXPECT_EQ(why, "file name not NUL-terminated");
  bad = img;
  bad[16] = 0;
  EXPECT_FALSE(parse_disk_header(bad, &why));
  bad = img;
  bad[16] = '\n';
  EXPECT_FALSE(parse_disk_header(bad, &why));
  EXPECT_FALSE(parse_disk_header(ByteSpan(img.data(), 40), &why));
  EXPECT_TRUE(parse_disk_header(img, &why));  // control
}

TEST(GuestDisk, RequestDescriptorLayout) {
  const BlkRequest r{0x1122334455667788ull, 64, 0xff, 0x123000};
  uint8_t d[BlkRequest::kSize];
  r.encode(d);
  EXPECT_EQ(load_le<uint64_t>(d), 0x1122334455667788ull);
  EXPECT_EQ(load_le<uint32_t>(d + 8), 64u);
  EXPECT_EQ(load_le<uint32_t>(d + 12), 0xffu);
  EXPECT_EQ(load_le<uint64_t>(d + 16), 0x123000u);
  const auto back = BlkRequest::decode(d);
  EXPECT_EQ(back.sector, r.sector);
  EXPECT_EQ(back.buffer_gpa, r.buffer_gpa);
}

TEST(GuestSwiotlb, SlotsRotateAndStayBounded) {
  SwiotlbPool pool(GuestPhysAddr(0x200000), 64 * 1024);  // 32 slots
  EXPECT_EQ(pool.nslabs(), 32u);
  const auto a = pool.map(4096);  // 2 slots
  ASSERT_TRUE(a);
  EXPECT_EQ(a->value, 0x200000u);
  pool.unmap(*a, 4096);
  // The next mapping does not reuse the slots just freed: the index moved on (as in Linux),
  // so earlier bounce data stays in the pool.
  const auto b = pool.map(512);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->value, 0x200000u + 2 * IO_TLB_SIZE);
  EXPECT_EQ(pool.used(), 1u);
  EXPECT_FALSE(pool.map(64 * 1024));  // larger than what is free
  EXPECT_FALSE(pool.map((IO_TLB_SEGSIZE + 1) * IO_TLB_SIZE));
  const auto c = pool.map(29 * IO_TLB_SIZE);
  ASSERT_TRUE(c);
  EXPECT_FALSE(pool.map(4 * IO_TLB_SIZE));  // full (two slots left, not contiguous with c)
  EXPECT_TRUE(pool.contains(*c));
  EXPECT_FALSE(pool.contains(GuestPhysAddr(0x200000 + 64 * 1024)));
}

}  // namespace
}  // namespace cbit::sw::guest
