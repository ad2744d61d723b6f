// dump-guest-memory leaves out what is zero (sw/hv/dump.h): pages never faulted in and pages
// that read as all zeros are holes in a regular file, zero bytes in a stream. The file reads
// back byte for byte as a full write of the hypervisor's view does; the control is the same
// dump written through a FIFO, which has no holes. The scan of the sparse file (tools/scan reads
// around its holes and skips zero runs where that is exact) reports what the scan of a full
// copy reports: every page class, every match, at the same GPAs.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <tuple>

#include "hv_sev_rig.h"
#include "sw/hv/dump.h"
#include "sw/hv/vm_memory.h"
#include "tools/scan/dump_reader.h"
#include "tools/scan/scanner.h"

namespace cbit::sw::hv::test {
namespace {

constexpr uint64_t kRamSize = 8ull << 20;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(HvDumpSparse, ZeroPagesAreHolesAndTheFileReadsAsAFullWrite) {
  HostRig r;
  VmMemory mem(r.k);
  mem.add_slot("pc.ram", GuestPhysAddr(0), kRamSize, false, VmMemory::Fault::kOnFirstTouch);
  // A prefaulted slot with an image in its last pages (the rest cleared: present, all zeros).
  Bytes image(3 * kPageSize + 100, 0x5a);
  mem.add_slot_with_contents("pc.bios", GuestPhysAddr((1ull << 32) - (1ull << 20)), 1ull << 20,
                             image, (1ull << 20) - image.size());
  mem.write(GuestPhysAddr(0x3000), as_bytes("page three"));      // one page of data
  mem.write(GuestPhysAddr(0x10000), Bytes(kPageSize, 0));        // present, all zeros
  mem.write(GuestPhysAddr(0x20ff0), Bytes(40, 0x77));            // across two pages
  mem.write(GuestPhysAddr(kRamSize - 8), as_bytes("the end!"));  // the slot's last bytes
  EXPECT_TRUE(mem.present(GuestPhysAddr(0x10000)));
  EXPECT_TRUE(mem.reads_as_zero(GuestPhysAddr(0x11000)));

  TempDir d;
  const std::string file = d.path + "/guest.core", fifo = d.path + "/fifo";
  dump_guest_memory(mem, file);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto reader = std::async(std::launch::async, [&] { return slurp(fifo); });
  dump_guest_memory(mem, fifo);
  const std::string streamed = reader.get();
  const std::string whole = slurp(file);
  // The same bytes as the stream (which writes every zero).
  ASSERT_EQ(whole.size(), streamed.size());
  EXPECT_TRUE(whole == streamed);
  // Each PT_LOAD holds the hypervisor's whole view of its slot.
  const auto layout = tools::scan::read_dump_layout(file);
  ASSERT_EQ(layout.segments.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const MemSlot& s = mem.slots()[i];
    Bytes want(s.size);
    mem.read(s.gpa, want);
    ASSERT_EQ(layout.segments[i].file_size, s.size);
    EXPECT_TRUE(std::equal(want.begin(), want.end(),
                           whole.begin() + std::ptrdiff_t(layout.segments[i].file_offset)))
        << s.name;
  }
  // ...and the file system stores a few pages of it: the rest are holes.
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_GT(uint64_t(st.st_size), kRamSize);
  EXPECT_LT(uint64_t(st.st_blocks) * 512, 256u << 10) << st.st_blocks << " blocks";
  tools::scan::DumpFile f(file);
  uint64_t holes = 0;
  for (const auto& h : f.holes(0, uint64_t(st.st_size))) holes += h.end - h.begin;
  EXPECT_GT(holes, kRamSize - (256u << 10));
}

struct Found {
  tools::scan::ScanTotals totals;
  std::vector<std::tuple<uint32_t, uint64_t, uint64_t, int, std::string>> matches;
  std::vector<std::tuple<uint64_t, uint64_t, int>> ranges;
};

Found scan(const std::string& path, std::vector<tools::scan::Pattern> pats) {
  struct Sink : tools::scan::ScanSink {
    Found* f;
    void on_range(const tools::scan::PageRange& r) override {
      f->ranges.emplace_back(r.gpa, r.pages, int(r.cls));
    }
    void on_match(const tools::scan::Match& m) override {
      f->matches.emplace_back(m.pattern, m.gpa, m.length, int(m.page_class), m.bytes);
    }
  };
  Found f;
  Sink sink;
  sink.f = &f;
  const auto layout = tools::scan::read_dump_layout(path);
  const tools::scan::DumpFile file(path);
  const tools::scan::Matcher matcher(std::move(pats));
  tools::scan::ScanOptions opt;
  opt.chunk_size = 64 << 10;  // chunks that begin and end inside holes and data
  opt.threads = 1;
  f.totals = tools::scan::scan_dump(file, layout, matcher, {}, opt, sink);
  return f;
}

TEST(HvDumpSparse, ScanOfTheSparseDumpEqualsTheScanOfAFullCopy) {
  HostRig r;
  VmMemory mem(r.k);
  mem.add_slot("pc.ram", GuestPhysAddr(0), kRamSize, false, VmMemory::Fault::kOnFirstTouch);
  // Needles at the edges of untouched memory: "needle" ending where an untouched page starts,
  // the UTF-16LE form of "ab" whose last (zero) byte is the first byte of one, "ba" right after
  // untouched pages; "Z" and "Y" around 64 KiB of untouched pages for a regex over the zeros.
  mem.write(GuestPhysAddr(0x5000 - 6), as_bytes("needle"));
  mem.write(GuestPhysAddr(0x9000 - 3), Bytes{'a', 0, 'b'});
  mem.write(GuestPhysAddr(0x40000), as_bytes("ba"));
  mem.write(GuestPhysAddr(0x80000 - 1), as_bytes("Z"));
  mem.write(GuestPhysAddr(0x90000), as_bytes("Y"));
  mem.write(GuestPhysAddr(0x200000), Bytes(3 * kPageSize, 0x41));  // plaintext-like pages
  TempDir d;
  const std::string sparse = d.path + "/sparse.core", full = d.path + "/full.core";
  dump_guest_memory(mem, sparse);
  {
    const std::string bytes = slurp(sparse);
    std::ofstream out(full, std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size()));  // every byte written: no holes
  }
  ASSERT_FALSE(tools::scan::DumpFile(sparse).holes(0, kRamSize).empty());
  ASSERT_TRUE(tools::scan::DumpFile(full).holes(0, kRamSize).empty());

  using tools::scan::parse_hex;
  using tools::scan::parse_literal;
  using tools::scan::parse_literal_utf16le;
  using tools::scan::parse_regex;
  // Literal and hex only: the holes are skipped. With a zero pattern or a regex they are fed.
  // (A hole starts and ends at a file-system block, and the segment's data is not block-aligned
  // in the file: QEMU's layout is headers, notes, memory. So pages next to data are partly hole;
  // scan_scanner_test.cc has needles that reach into holes.)
  const std::vector<std::vector<tools::scan::Pattern>> sets = {
      {parse_literal("needle"), parse_literal_utf16le("ab"), parse_literal("ba"),
       parse_hex("41 41 ?? 41")},
      {parse_literal("needle"), parse_hex("00 00 00 00 00 00 00 00")},
      {parse_regex("Z\\x00+Y"), parse_literal_utf16le("ab")},
  };
  for (size_t k = 0; k < sets.size(); ++k) {
    const Found a = scan(sparse, sets[k]), b = scan(full, sets[k]);
    EXPECT_EQ(a.matches, b.matches) << "set " << k;
    EXPECT_EQ(a.ranges, b.ranges) << "set " << k;
    EXPECT_EQ(a.totals.matches_per_pattern, b.totals.matches_per_pattern) << "set " << k;
    EXPECT_EQ(a.totals.pages_total(), kRamSize / kPageSize);
    for (int c = 0; c < tools::scan::kPageClassCount; ++c)
      EXPECT_EQ(a.totals.pages_of_class(tools::scan::PageClass(c)),
                b.totals.pages_of_class(tools::scan::PageClass(c)))
          << "set " << k << " class " << c;
  }
  // What the needles give (so the equality above is not of two empty results).
  const Found first = scan(sparse, sets[0]);
  EXPECT_EQ(first.totals.matches_per_pattern, (std::vector<uint64_t>{1, 1, 1, 3 * kPageSize - 3}));
  const Found zeros = scan(sparse, sets[1]);
  EXPECT_GT(zeros.totals.matches_per_pattern[1], kRamSize - 4 * (4 * kPageSize));
  const Found regex = scan(sparse, sets[2]);
  ASSERT_EQ(regex.totals.matches_per_pattern, (std::vector<uint64_t>{1, 1}));
  const auto z = std::find_if(regex.matches.begin(), regex.matches.end(),
                              [](const auto& m) { return std::get<0>(m) == 0; });
  ASSERT_NE(z, regex.matches.end());
  EXPECT_EQ(std::get<1>(*z), 0x80000u - 1);
  EXPECT_EQ(std::get<2>(*z), 0x10000u + 2);
}

}  // namespace
}  // namespace cbit::sw::hv::test
