#include "tools/scan/dump_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include "common/error.h"
#include "common/libelf.h"

namespace cbit::tools::scan {
namespace {

bool starts_with(ByteSpan head, std::string_view magic) {
  return head.size() >= magic.size() && std::memcmp(head.data(), magic.data(), magic.size()) == 0;
}

DumpLayout layout_from_elf(Elf* elf, uint64_t file_size, const std::string& name) {
  if (!elf || elf_kind(elf) != ELF_K_ELF)
    throw InputError(name + ": not a readable ELF file (" + elf_errmsg(-1) + ")");
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(elf, &ehdr)) throw InputError(name + ": damaged ELF header");
  if (ehdr.e_type != ET_CORE)
    throw InputError(fmt::format("{}: ELF file but not a core dump (e_type {}, expected ET_CORE)",
                                 name, ehdr.e_type));
  DumpLayout layout;
  layout.format = DumpFormat::ElfCore;
  layout.elf_class = gelf_getclass(elf) == ELFCLASS32 ? 32 : 64;
  layout.file_size = file_size;
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) != 0)
    throw InputError(name + ": damaged ELF program header count (" + elf_errmsg(-1) + ")");
  // libelf quietly clamps the count to what fits in the file; a dump cut short inside its
  // program headers must be reported, not read as "fewer segments".
  const uint64_t declared = ehdr.e_phnum == PN_XNUM ? phnum : ehdr.e_phnum;
  // QEMU writes one PT_LOAD per RAM block, tens of them; libelf would allocate the whole table
  // (56 bytes an entry) for whatever count a damaged or hostile header claims.
  constexpr uint64_t kMaxPhnum = uint64_t(1) << 20;
  if (declared > kMaxPhnum)
    throw InputError(fmt::format("{}: {} program headers, more than the {} a dump can have", name,
                                 declared, kMaxPhnum));
  const uint64_t entsize = gelf_fsize(elf, ELF_T_PHDR, 1, EV_CURRENT);
  if (declared != phnum || ehdr.e_phoff > file_size ||
      (entsize && declared > (file_size - ehdr.e_phoff) / entsize))
    throw InputError(
        fmt::format("{}: program header table ({} entries at 0x{:x}) extends beyond "
                    "the end of the file: truncated dump?",
                    name, declared, ehdr.e_phoff));
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf, static_cast<int>(i), &ph))
      throw InputError(
          fmt::format("{}: program header {} unreadable (table beyond end of file?)", name, i));
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if (ph.p_filesz > ph.p_memsz)
      throw InputError(fmt::format("{}: PT_LOAD {} has p_filesz 0x{:x} > p_memsz 0x{:x}", name, i,
                                   ph.p_filesz, ph.p_memsz));
    if (ph.p_paddr + ph.p_memsz < ph.p_paddr)
      throw InputError(
          fmt::format("{}: PT_LOAD {} wraps around the address space (p_paddr "
                      "0x{:x}, p_memsz 0x{:x})",
                      name, i, ph.p_paddr, ph.p_memsz));
    // QEMU writes p_filesz = 0 (and an arbitrary offset) for blocks it did not store.
    if (ph.p_filesz && (ph.p_offset > file_size || ph.p_filesz > file_size - ph.p_offset))
      throw InputError(fmt::format(
          "{}: PT_LOAD {} (GPA 0x{:x}) extends beyond the end of the file (offset 0x{:x} + size "
          "0x{:x} > file size 0x{:x}): truncated dump?",
          name, i, ph.p_paddr, ph.p_offset, ph.p_filesz, file_size));
    layout.segments.push_back({ph.p_paddr, ph.p_filesz ? ph.p_offset : 0, ph.p_filesz, ph.p_memsz});
  }
  if (layout.segments.empty())
    throw InputError(name + ": ELF core has no PT_LOAD segments (no guest memory in it)");
  return layout;
}

}  // namespace

uint64_t DumpLayout::memory_bytes() const {
  uint64_t n = 0;
  for (const auto& s : segments) n += s.mem_size;
  return n;
}

uint64_t DumpLayout::present_bytes() const {
  uint64_t n = 0;
  for (const auto& s : segments) n += s.file_size;
  return n;
}

std::string DumpLayout::describe() const {
  if (format == DumpFormat::Raw) return "raw image";
  return fmt::format("ELF{} core, {} PT_LOAD segment{}", elf_class, segments.size(),
                     segments.size() == 1 ? "" : "s");
}

void refuse_unsupported_format(ByteSpan head, const std::string& name) {
  // Signatures: QEMU include/sysemu/dump.h (KDUMP_SIGNATURE "KDUMP   ", makedumpfile's
  // "makedumpfile" flattened header, Windows "PAGEDU64"), QEMU migration "QEVM", libvirt
  // save images "LibvirtQemudSave"/"LibvirtQemudPart".
  if (starts_with(head, "KDUMP   "))
    throw InputError(name +
                     ": kdump-compressed dump (dump-guest-memory -z/-l/-s) is not "
                     "supported; write an ELF core (dump-guest-memory without a format "
                     "flag, or virsh dump --memory-only --format elf)");
  if (starts_with(head, "makedumpfile"))
    throw InputError(name +
                     ": makedumpfile flattened dump is not supported; convert it with "
                     "'makedumpfile -R' or write an ELF core");
  if (starts_with(head, "PAGEDU64") || starts_with(head, "PAGEDUMP"))
    throw InputError(name +
                     ": Windows crash dump (dump-guest-memory -w) is not supported; "
                     "write an ELF core");
  if (starts_with(head, "QEVM") || starts_with(head, "LibvirtQemudSave") ||
      starts_with(head, "LibvirtQemudPart"))
    throw InputError(name +
                     ": QEMU migration stream / libvirt save image, not a memory dump; "
                     "use 'virsh dump --memory-only' or 'dump-guest-memory'");
}

DumpLayout parse_elf_core(ByteSpan image, const std::string& name) {
  init_libelf();
  if (image.empty()) throw InputError(name + ": empty file");
  // libelf takes a non-const pointer but only reads with ELF_C_READ semantics.
  ElfPtr elf(
      elf_memory(const_cast<char*>(reinterpret_cast<const char*>(image.data())), image.size()));
  return layout_from_elf(elf.get(), image.size(), name);
}

DumpLayout read_dump_layout(const std::string& path, uint64_t raw_base) {
  DumpFile file(path);
  struct stat st {};
  if (fstat(file.fd(), &st) != 0) throw InputError(path + ": cannot stat: " + std::strerror(errno));
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size == 0) throw InputError(path + ": empty file, no guest memory in it");
  uint8_t head[16] = {};
  const size_t head_len = size < sizeof head ? size : sizeof head;
  file.read_at(0, {head, head_len});
  refuse_unsupported_format({head, head_len}, path);
  if (head_len >= 4 && std::memcmp(head, ELFMAG, SELFMAG) == 0) {
    init_libelf();
    ElfPtr elf(elf_begin(file.fd(), ELF_C_READ, nullptr));
    return layout_from_elf(elf.get(), size, path);
  }
  if (raw_base + size < raw_base)
    throw InputError(path + ": --base plus the file size wraps around the address space");
  DumpLayout layout;
  layout.format = DumpFormat::Raw;
  layout.file_size = size;
  layout.segments.push_back({raw_base, 0, size, size});
  return layout;
}

DumpFile::DumpFile(const std::string& path) : path_(path) {
  // O_NONBLOCK: open(2) of a FIFO would wait for a writer; it is refused below instead. A dump
  // is read by position, in chunks (scanner.cc), so only a regular file will do.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd_ < 0) throw InputError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    const bool dir = S_ISDIR(st.st_mode);
    const char* what = S_ISFIFO(st.st_mode)  ? "a FIFO or pipe"
                       : S_ISCHR(st.st_mode) ? "a character device"
                       : S_ISBLK(st.st_mode) ? "a block device"
                                             : "not a regular file";
    ::close(fd_);
    fd_ = -1;
    throw InputError(path +
                     (dir ? std::string(": is a directory, not a dump file")
                          : fmt::format(": {}; a dump is read by position, give a file", what)));
  }
  (void)::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
#ifdef POSIX_FADV_SEQUENTIAL
  (void)posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

DumpFile::~DumpFile() {
  if (fd_ >= 0) ::close(fd_);
}

void DumpFile::read_at(uint64_t offset, MutByteSpan out) const {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InputError(path_ + ": read failed: " + std::strerror(errno));
    if (n == 0)
      throw InputError(fmt::format("{}: file ended at 0x{:x} while reading (changed during scan?)",
                                   path_, offset + done));
    done += static_cast<size_t>(n);
  }
}

std::vector<DumpFile::Range> DumpFile::holes(uint64_t offset, uint64_t len) const {
  std::vector<Range> out;
  const uint64_t end = offset + len;
  for (uint64_t pos = offset; pos < end;) {
    const off_t h = ::lseek(fd_, static_cast<off_t>(pos), SEEK_HOLE);
    if (h < 0 || static_cast<uint64_t>(h) >= end) break;  // ENXIO: pos at or past the end
    const off_t d = ::lseek(fd_, h, SEEK_DATA);
    if (d < 0 && errno != ENXIO) break;
    // No data after the hole (ENXIO): it runs to the end of the file.
    const uint64_t hole_end = d < 0 ? end : std::min(end, static_cast<uint64_t>(d));
    if (hole_end <= static_cast<uint64_t>(h)) break;
    out.push_back({static_cast<uint64_t>(h), hole_end});
    pos = hole_end;
  }
  return out;
}

}  // namespace cbit::tools::scan
