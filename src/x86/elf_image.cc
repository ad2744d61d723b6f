#include "x86/elf_image.h"

#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "common/error.h"
#include "common/file.h"
#include "common/libelf.h"
#include "x86/guest_memory.h"

namespace cbit::x86 {
namespace {

unsigned prot_of(uint32_t p_flags) {
  unsigned prot = 0;
  if (p_flags & PF_R) prot |= static_cast<unsigned>(Prot::R);
  if (p_flags & PF_W) prot |= static_cast<unsigned>(Prot::W);
  if (p_flags & PF_X) prot |= static_cast<unsigned>(Prot::X);
  return prot;
}

void check_header(Elf* elf, const GElf_Ehdr& eh, const std::string& name) {
  const char* ident = elf_getident(elf, nullptr);
  if (!ident || ident[EI_CLASS] != ELFCLASS64)
    throw InputError(name + ": not a 64-bit ELF file (ELFCLASS64 expected)");
  if (ident[EI_DATA] != ELFDATA2LSB)
    throw InputError(name + ": not a little-endian ELF file (ELFDATA2LSB expected)");
  if (eh.e_machine != EM_X86_64)
    throw InputError(fmt::format("{}: ELF machine {} is not x86-64 (EM_X86_64 = {})", name,
                                 eh.e_machine, EM_X86_64));
  if (eh.e_type == ET_DYN)
    throw InputError(name +
                     ": position-independent executable or shared object (ET_DYN); build a "
                     "static non-PIE program (-static -no-pie)");
  if (eh.e_type != ET_EXEC)
    throw InputError(
        fmt::format("{}: ELF type {} is not an executable (ET_EXEC expected)", name, eh.e_type));
}

}  // namespace

ElfImage ElfImage::parse(ByteSpan file, const std::string& name) {
  init_libelf();
  if (file.empty()) throw InputError(name + ": empty file, not an ELF executable");
  if (file.size() > kMaxFileSize)
    throw InputError(fmt::format("{}: {} bytes is too large for a guest program (limit {} MiB)",
                                 name, file.size(), kMaxFileSize >> 20));
  if (file.size() < SELFMAG || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0)
    throw InputError(name + ": not an ELF file (no \\x7fELF magic)");
  // libelf takes a non-const pointer but only reads with ELF_C_READ semantics.
  ElfPtr elf(
      elf_memory(const_cast<char*>(reinterpret_cast<const char*>(file.data())), file.size()));
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF)
    throw InputError(name + ": not a readable ELF file (" + elf_errmsg(-1) + ")");
  GElf_Ehdr eh;
  if (!gelf_getehdr(elf.get(), &eh))
    throw InputError(name + ": damaged or truncated ELF header (" + elf_errmsg(-1) + ")");
  check_header(elf.get(), eh, name);

  size_t phnum = 0;
  if (elf_getphdrnum(elf.get(), &phnum) != 0)
    throw InputError(name + ": damaged program header count (" + elf_errmsg(-1) + ")");
  const uint64_t entsize = gelf_fsize(elf.get(), ELF_T_PHDR, 1, EV_CURRENT);
  // libelf quietly clamps the count to what fits in the file: a table cut short is an error.
  if (eh.e_phnum != phnum || eh.e_phoff > file.size() ||
      (entsize && phnum > (file.size() - eh.e_phoff) / entsize))
    throw InputError(fmt::format(
        "{}: program header table ({} entries at 0x{:x}) extends beyond the end of the file", name,
        eh.e_phnum, eh.e_phoff));
  if (phnum == 0) throw InputError(name + ": no program headers (nothing to load)");

  ElfImage img;
  img.entry = VirtAddr(eh.e_entry);
  img.phent = entsize;
  img.phnum = phnum;
  uint64_t total = 0;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf.get(), static_cast<int>(i), &ph))
      throw InputError(fmt::format("{}: program header {} unreadable", name, i));
    if (ph.p_type == PT_INTERP)
      throw InputError(name + ": dynamically linked (PT_INTERP); build with -static");
    if (ph.p_type == PT_DYNAMIC)
      throw InputError(name + ": has a dynamic section (PT_DYNAMIC); build with -static -no-pie");
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if (img.segments.size() == kMaxSegments)
      throw InputError(
          fmt::format("{}: more than {} PT_LOAD segments", name, ElfImage::kMaxSegments));
    if (ph.p_filesz > ph.p_memsz)
      throw InputError(fmt::format("{}: PT_LOAD {} has p_filesz 0x{:x} > p_memsz 0x{:x}", name, i,
                                   ph.p_filesz, ph.p_memsz));
    if (ph.p_offset > file.size() || ph.p_filesz > file.size() - ph.p_offset)
      throw InputError(fmt::format(
          "{}: PT_LOAD {} (offset 0x{:x}, size 0x{:x}) extends beyond the end of the file "
          "(0x{:x} bytes): truncated?",
          name, i, ph.p_offset, ph.p_filesz, file.size()));
    if (ph.p_vaddr >= kUserTop || ph.p_memsz > kUserTop - ph.p_vaddr || ph.p_vaddr < kPageSize)
      throw InputError(fmt::format(
          "{}: PT_LOAD {} at 0x{:x} + 0x{:x} is outside the user address space [0x1000, 0x{:x})",
          name, i, ph.p_vaddr, ph.p_memsz, kUserTop));
    if (ph.p_memsz > kMaxMemory || total + ph.p_memsz > kMaxMemory)
      throw InputError(fmt::format("{}: PT_LOAD segments need more than {} MiB of memory", name,
                                   kMaxMemory >> 20));
    total += ph.p_memsz;
    // binfmt_elf maps file pages at p_vaddr: the offsets must agree modulo the page size.
    if ((ph.p_vaddr ^ ph.p_offset) & (kPageSize - 1))
      throw InputError(fmt::format(
          "{}: PT_LOAD {} p_vaddr 0x{:x} and p_offset 0x{:x} differ modulo the page size", name, i,
          ph.p_vaddr, ph.p_offset));
    if (!img.segments.empty()) {
      const ElfSegment& prev = img.segments.back();
      if (ph.p_vaddr < prev.vaddr.value + prev.memsz)
        throw InputError(fmt::format(
            "{}: PT_LOAD {} at 0x{:x} overlaps or precedes the previous segment (0x{:x}..0x{:x}); "
            "segments must be sorted and disjoint",
            name, i, ph.p_vaddr, prev.vaddr.value, prev.vaddr.value + prev.memsz));
    }
    ElfSegment seg;
    seg.vaddr = VirtAddr(ph.p_vaddr);
    seg.memsz = ph.p_memsz;
    seg.bytes.assign(file.begin() + static_cast<std::ptrdiff_t>(ph.p_offset),
                     file.begin() + static_cast<std::ptrdiff_t>(ph.p_offset + ph.p_filesz));
    seg.prot = prot_of(ph.p_flags);
    // The program headers are visible to the process if a segment loads that part of the file.
    if (img.phdr_vaddr.value == 0 && eh.e_phoff >= ph.p_offset &&
        eh.e_phoff + phnum * entsize <= ph.p_offset + ph.p_filesz)
      img.phdr_vaddr = VirtAddr(ph.p_vaddr + (eh.e_phoff - ph.p_offset));
    img.segments.push_back(std::move(seg));
  }
  if (img.segments.empty()) throw InputError(name + ": no PT_LOAD segments (nothing to load)");

  bool entry_ok = false;
  for (const ElfSegment& s : img.segments)
    if (has(s.prot, Prot::X) && img.entry.value >= s.vaddr.value &&
        img.entry.value - s.vaddr.value < s.memsz)
      entry_ok = true;
  if (!entry_ok)
    throw InputError(
        fmt::format("{}: entry point 0x{:x} is not inside an executable (PF_X) PT_LOAD segment",
                    name, img.entry.value));
  return img;
}

ElfImage ElfImage::load(const std::string& path) {
  const Bytes file = read_file(path, kMaxFileSize);
  return parse(file, path);
}

}  // namespace cbit::x86
