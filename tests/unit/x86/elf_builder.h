// Builds small static x86-64 ELF executables in memory for the loader tests: an ELF header,
// the program headers right after it, then each segment's bytes at a page-congruent offset.
#pragma once
#include <elf.h>

#include <cstring>
#include <vector>

#include "common/bytes.h"

namespace cbit::x86::testing {

struct SegSpec {
  uint64_t vaddr;
  uint32_t flags;  // PF_R | PF_W | PF_X
  Bytes bytes;
  uint64_t memsz = 0;  // 0: bytes.size()
  uint32_t type = PT_LOAD;
};

inline Bytes build_elf(uint64_t entry, const std::vector<SegSpec>& segs) {
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_entry = entry;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = static_cast<uint16_t>(segs.size());
  Bytes out(sizeof eh + segs.size() * sizeof(Elf64_Phdr), 0);
  std::vector<Elf64_Phdr> ph(segs.size());
  for (size_t i = 0; i < segs.size(); ++i) {
    // Next offset congruent to the vaddr modulo 4 KiB.
    uint64_t off = out.size();
    const uint64_t want = segs[i].vaddr & 0xfff;
    off = (off & ~0xfffull) + want;
    if (off < out.size()) off += 0x1000;
    out.resize(off, 0);
    out.insert(out.end(), segs[i].bytes.begin(), segs[i].bytes.end());
    ph[i].p_type = segs[i].type;
    ph[i].p_flags = segs[i].flags;
    ph[i].p_offset = off;
    ph[i].p_vaddr = ph[i].p_paddr = segs[i].vaddr;
    ph[i].p_filesz = segs[i].bytes.size();
    ph[i].p_memsz = segs[i].memsz ? segs[i].memsz : segs[i].bytes.size();
    ph[i].p_align = 0x1000;
  }
  std::memcpy(out.data(), &eh, sizeof eh);
  std::memcpy(out.data() + sizeof eh, ph.data(), ph.size() * sizeof(Elf64_Phdr));
  return out;
}

}  // namespace cbit::x86::testing
