// Reading dumps: QEMU-like ELF cores (64- and 32-bit, non-contiguous PT_LOADs, p_filesz <
// p_memsz), raw images, and bad files that must give one clear error line.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/error.h"
#include "tools/scan/dump_reader.h"
#include "unit/tools/scan_test_util.h"

namespace cbit::tools::scan {
namespace {

using namespace testing;

// One line, naming the file, containing `what`.
void expect_error(const std::string& path, const std::string& what) {
  try {
    (void)read_dump_layout(path);
    ADD_FAILURE() << path << ": no error, expected '" << what << "'";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

std::vector<LoadSpec> qemu_like_loads() {
  // Low RAM at 0 and a block above a hole at 1 MiB whose last page is not stored.
  Bytes low = text_bytes(4 * 4096);
  Bytes high = aes_xts_pages(Bytes(2 * 4096, 0), 0x100);
  const std::string secret = "SECRET-PASSPHRASE";
  std::copy(secret.begin(), secret.end(), high.begin() + 0xff8);  // ends in the next page
  return {{0x0, low, 0}, {0x100000, high, 3 * 4096}};
}

TEST(ScanDumpReader, QemuLikeElf64CoreTwoLoadsAtTheirGpas) {
  const auto path = write_elf_core("core64.elf", qemu_like_loads());
  const DumpLayout l = read_dump_layout(path);
  EXPECT_EQ(l.format, DumpFormat::ElfCore);
  EXPECT_EQ(l.elf_class, 64);
  ASSERT_EQ(l.segments.size(), 2u);  // the PT_NOTE is not memory
  EXPECT_EQ(l.segments[0].gpa, 0x0u);
  EXPECT_EQ(l.segments[1].gpa, 0x100000u);
  EXPECT_EQ(l.segments[1].file_size, 2u * 4096);
  EXPECT_EQ(l.segments[1].mem_size, 3u * 4096);
  EXPECT_EQ(l.memory_bytes(), 7u * 4096);

  auto r = scan_path(path, {parse_literal("SECRET-PASSPHRASE")});
  ASSERT_EQ(r.got.matches.size(), 1u);
  EXPECT_EQ(r.got.matches[0].gpa, 0x100ff8u);  // GPA, not file offset
  EXPECT_EQ(r.got.matches[0].file_offset, l.segments[1].file_offset + 0xff8);
  EXPECT_EQ(r.totals.pages_of_class(PageClass::Plaintext), 4u);
  EXPECT_EQ(r.totals.pages_of_class(PageClass::HighEntropy), 2u);
  EXPECT_EQ(r.totals.pages_of_class(PageClass::Absent), 1u);
  // Control: the planted string in the low segment's text is not there, so no match at GPA 0.
  auto none = scan_path(path, {parse_literal("NOT-PLANTED-ANYWHERE")});
  EXPECT_EQ(none.totals.matches_total, 0u);
}

TEST(ScanDumpReader, Elf32CoreReadsTheSame) {
  const auto path = write_elf_core("core32.elf", qemu_like_loads(), ELFCLASS32);
  const DumpLayout l = read_dump_layout(path);
  EXPECT_EQ(l.elf_class, 32);
  ASSERT_EQ(l.segments.size(), 2u);
  auto r = scan_path(path, {parse_literal("SECRET-PASSPHRASE")});
  ASSERT_EQ(r.got.matches.size(), 1u);
  EXPECT_EQ(r.got.matches[0].gpa, 0x100ff8u);
}

TEST(ScanDumpReader, SegmentNotStoredHasFileSizeZero) {
  // QEMU writes p_filesz = 0 for a block it did not store; all of it is absent.
  const auto path =
      write_elf_core("nostore.elf", {{0x0, text_bytes(4096), 0}, {0x200000, {}, 16 * 4096}});
  auto r = scan_path(path, {});
  EXPECT_EQ(r.totals.pages_of_class(PageClass::Absent), 16u);
  EXPECT_EQ(r.totals.pages_of_class(PageClass::Plaintext), 1u);
}

TEST(ScanDumpReader, RawImageWithBase) {
  const Bytes data = text_bytes(3 * 4096);
  const auto path = write_temp("raw.bin", data);
  const DumpLayout l = read_dump_layout(path, 0x40000000);
  EXPECT_EQ(l.format, DumpFormat::Raw);
  ASSERT_EQ(l.segments.size(), 1u);
  EXPECT_EQ(l.segments[0].gpa, 0x40000000u);
  EXPECT_EQ(l.segments[0].file_size, data.size());
}

TEST(ScanDumpReader, BadFilesGiveOneClearLine) {
  const auto good = write_elf_core("good.elf", qemu_like_loads());
  Bytes image;
  {
    std::ifstream in(good, std::ios::binary);
    image.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Truncated inside the ELF header.
  expect_error(write_temp("trunc-hdr.elf", {image.data(), 40}), "ELF");
  // Truncated inside the program headers.
  expect_error(write_temp("trunc-ph.elf", {image.data(), 64 + 20}), "program header");
  // Truncated inside the last PT_LOAD's data.
  expect_error(write_temp("trunc-seg.elf", {image.data(), image.size() - 100}),
               "beyond the end of the file");
  expect_error(write_temp("empty.bin", {}), "empty");
  expect_error(temp_dir().string(), "directory");
  expect_error((temp_dir() / "does-not-exist").string(), "cannot open");
  const std::string kdump = "KDUMP   \x06\x00\x00\x00";
  expect_error(write_temp("kdump.bin", as_bytes(kdump)), "kdump-compressed");
  expect_error(write_temp("qevm.bin", as_bytes("QEVM\x00\x00\x00\x03")), "migration stream");
  expect_error(write_elf_core("exec.elf", qemu_like_loads(), ELFCLASS64, ET_EXEC),
               "not a core dump");
  expect_error(write_elf_core("noload.elf", {}), "no PT_LOAD");
  // Control: the untouched image reads.
  EXPECT_NO_THROW(read_dump_layout(write_temp("copy.elf", image)));
}

TEST(ScanDumpReader, ParseElfCoreFromMemory) {
  const auto path = write_elf_core("mem.elf", qemu_like_loads());
  std::ifstream in(path, std::ios::binary);
  const Bytes image{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(parse_elf_core(image, "mem").segments.size(), 2u);
  EXPECT_THROW(parse_elf_core({image.data(), 100}, "mem"), InputError);
  EXPECT_THROW(parse_elf_core({}, "mem"), InputError);
}

}  // namespace
}  // namespace cbit::tools::scan
