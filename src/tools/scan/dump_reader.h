// Reading a guest memory dump: where each stretch of guest-physical memory lies in the file.
//
// Two formats are read:
//  - raw: the file is guest memory from guest-physical address `raw_base` (default 0) on, as
//    written by `dump-guest-memory` on some tools, `dd` of a memory file, or the simulator.
//  - ELF core (ET_CORE), as written by QEMU's `dump-guest-memory` and by `virsh dump
//    --memory-only`: one PT_NOTE with CPU state, then one PT_LOAD per guest RAM block, where
//    p_paddr is the guest-physical address. p_filesz < p_memsz means the rest of the block is not
//    in the file (QEMU writes p_filesz = 0 for blocks it did not store); such bytes are "absent".
//    32- and 64-bit ELF are both read (QEMU writes ELFCLASS32 for i386 guests), through libelf,
//    which also handles e_phnum = PN_XNUM for more than 65535 segments.
// Formats that look like memory dumps but are not readable as such are refused with a line that
// says what they are: QEMU's kdump-compressed output (`dump-guest-memory -z/-l/-s`, signature
// "KDUMP   "), makedumpfile's flattened format, Windows crash dumps (`-w`), and QEMU migration
// streams / libvirt save images (`virsh dump` without --memory-only).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace cbit::tools::scan {

enum class DumpFormat { Raw, ElfCore };

struct Segment {
  uint64_t gpa = 0;          // guest-physical address of the first byte (PT_LOAD p_paddr)
  uint64_t file_offset = 0;  // where the bytes start in the file (p_offset)
  uint64_t file_size = 0;    // bytes present in the file (p_filesz)
  uint64_t mem_size = 0;     // bytes of guest memory covered (p_memsz >= p_filesz)
};

struct DumpLayout {
  DumpFormat format = DumpFormat::Raw;
  int elf_class = 0;  // 32 or 64 for ELF cores
  uint64_t file_size = 0;
  std::vector<Segment> segments;  // in program-header order

  uint64_t memory_bytes() const;   // sum of mem_size
  uint64_t present_bytes() const;  // sum of file_size: what a scan reads
  std::string describe() const;    // "ELF64 core, 3 PT_LOAD segments" / "raw image"
};

// Reads the layout of the dump at `path`. Throws InputError (naming the path) for a missing,
// empty, non-regular or unreadable file, a refused format, or an ELF whose headers are damaged
// or whose PT_LOAD segments point beyond the end of the file.
DumpLayout read_dump_layout(const std::string& path, uint64_t raw_base = 0);

// The same, for an ELF core image held in memory (tests and the fuzz target). `name` is used in
// error messages.
DumpLayout parse_elf_core(ByteSpan image, const std::string& name);

// Throws InputError if the first bytes of a file show a format that is refused (see above).
void refuse_unsupported_format(ByteSpan head, const std::string& name);

// An open dump file for positional reads; closes on destruction.
class DumpFile {
 public:
  explicit DumpFile(const std::string& path);
  ~DumpFile();
  DumpFile(const DumpFile&) = delete;
  DumpFile& operator=(const DumpFile&) = delete;

  // Reads exactly out.size() bytes at `offset`; throws InputError if the file got shorter.
  void read_at(uint64_t offset, MutByteSpan out) const;
  // The holes of a sparse file inside [offset, offset+len), as [begin, end) file offsets in
  // order (lseek SEEK_HOLE / SEEK_DATA): bytes the file system stores no data for, which read as
  // zeros. A file system without hole tracking reports none (the whole file is data), so this
  // is only ever a subset of the zero bytes.
  struct Range {
    uint64_t begin = 0, end = 0;
  };
  std::vector<Range> holes(uint64_t offset, uint64_t len) const;
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace cbit::tools::scan
