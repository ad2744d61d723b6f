#include "sw/hv/dump.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>

#include "common/bytes.h"
#include "common/error.h"
#include "common/libelf.h"
#include "common/output_file.h"
#include "common/trace.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv {

namespace {

void put_note(Bytes& out, std::string_view name, uint32_t type, ByteSpan desc) {
  auto pad4 = [](size_t n) { return (n + 3) & ~size_t(3); };
  const size_t at = out.size();
  out.resize(at + 12 + pad4(name.size() + 1) + pad4(desc.size()), 0);
  store_le(out.data() + at, static_cast<uint32_t>(name.size() + 1));  // n_namesz (with NUL)
  store_le(out.data() + at + 4, static_cast<uint32_t>(desc.size()));  // n_descsz
  store_le(out.data() + at + 8, type);                                // n_type
  std::memcpy(out.data() + at + 12, name.data(), name.size());
  std::memcpy(out.data() + at + 12 + pad4(name.size() + 1), desc.data(), desc.size());
}

// struct user_regs_struct, in order (arch/x86/include/asm/user_64.h).
constexpr size_t kUserRegs = 27;
enum UserReg : size_t {
  R15,
  R14,
  R13,
  R12,
  RBP,
  RBX,
  R11,
  R10,
  R9,
  R8,
  RAX,
  RCX,
  RDX,
  RSI,
  RDI,
  ORIG_RAX,
  RIP,
  CS,
  EFLAGS,
  RSP,
  SS,
  FS_BASE,
  GS_BASE,
  DS,
  ES,
  FS,
  GS
};
static_assert(kPrstatusRegOffset + kUserRegs * 8 + 8 == kX86_64PrstatusSize);

Bytes prstatus(const hw::GprFile& r, uint32_t pid) {
  Bytes d(kX86_64PrstatusSize, 0);
  store_le(d.data() + kPrstatusPidOffset, pid);
  uint64_t regs[kUserRegs] = {};
  regs[R15] = r.r15, regs[R14] = r.r14, regs[R13] = r.r13, regs[R12] = r.r12;
  regs[RBP] = r.rbp, regs[RBX] = r.rbx, regs[R11] = r.r11, regs[R10] = r.r10;
  regs[R9] = r.r9, regs[R8] = r.r8, regs[RAX] = r.rax, regs[RCX] = r.rcx, regs[RDX] = r.rdx;
  regs[RSI] = r.rsi, regs[RDI] = r.rdi, regs[RIP] = r.rip, regs[EFLAGS] = r.rflags;
  regs[RSP] = r.rsp;
  for (size_t i = 0; i < kUserRegs; ++i) store_le(d.data() + kPrstatusRegOffset + 8 * i, regs[i]);
  return d;
}

}  // namespace

namespace {

// The ELF header and program headers, made by libelf. libelf writes through a descriptor, and
// may seek while it does, so it writes into an anonymous memory file; the bytes then go to the
// output in file order with everything else, and a FIFO or stdout takes the core as well as a
// regular file does.
Bytes core_headers(const std::vector<MemSlot>& slots, uint64_t notes_size,
                   const std::string& path) {
  const size_t phnum = 1 + slots.size();
  const int mfd = ::memfd_create("cbit-core-headers", MFD_CLOEXEC);
  if (mfd < 0) throw InputError(fmt::format("{}: memfd_create: {}", path, std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{mfd};
  {
    ElfPtr e(elf_begin(mfd, ELF_C_WRITE, nullptr));
    if (!e) throw InputError(fmt::format("{}: libelf: {}", path, elf_errmsg(-1)));
    Elf64_Ehdr* eh = elf64_newehdr(e.get());
    if (!eh) throw InputError(fmt::format("{}: libelf: {}", path, elf_errmsg(-1)));
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
    eh->e_type = ET_CORE;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    // The layout is QEMU's, not libelf's: headers, notes, then memory, back to back.
    elf_flagelf(e.get(), ELF_C_SET, ELF_F_LAYOUT);
    Elf64_Phdr* ph = elf64_newphdr(e.get(), phnum);
    if (!ph) throw InputError(fmt::format("{}: libelf: {}", path, elf_errmsg(-1)));
    const uint64_t note_off = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
    ph[0] = {};
    ph[0].p_type = PT_NOTE;
    ph[0].p_offset = note_off;
    ph[0].p_filesz = ph[0].p_memsz = notes_size;
    uint64_t off = note_off + notes_size;
    for (size_t i = 0; i < slots.size(); ++i) {
      Elf64_Phdr& p = ph[i + 1];
      p = {};
      p.p_type = PT_LOAD;
      p.p_offset = off;
      p.p_paddr = slots[i].gpa.value;
      p.p_vaddr = 0;  // paging=false: no guest-virtual mapping
      p.p_filesz = p.p_memsz = slots[i].size;
      off += slots[i].size;
    }
    elf_flagphdr(e.get(), ELF_C_SET, ELF_F_DIRTY);
    if (elf_update(e.get(), ELF_C_WRITE) < 0)
      throw InputError(fmt::format("{}: libelf: {}", path, elf_errmsg(-1)));
  }
  Bytes headers(sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr));
  if (::pread(mfd, headers.data(), headers.size(), 0) != static_cast<ssize_t>(headers.size()))
    throw InputError(fmt::format("{}: reading back the ELF headers failed", path));
  return headers;
}

bool all_zero(const uint8_t* p, size_t n) {
  static const uint8_t zeros[kPageSize] = {};
  for (size_t at = 0; at < n; at += kPageSize)
    if (std::memcmp(p + at, zeros, std::min(kPageSize, n - at)) != 0) return false;
  return true;
}

// One memslot's bytes at file offset `at`: runs of pages that may hold data are read through the
// hypervisor's view in pieces of up to 1 MiB; of what is read, only pages that are not all zero
// are written.
void write_slot(VmMemory& mem, const MemSlot& s, OutputFile& out, uint64_t at) {
  constexpr uint64_t kChunk = 1 << 20;
  Bytes buf;
  const uint64_t pages = s.size / kPageSize;
  for (uint64_t p = 0; p < pages;) {
    if (mem.reads_as_zero(s.gpa + p * kPageSize)) {
      ++p;
      continue;
    }
    uint64_t q = p + 1;
    while (q < pages && q - p < kChunk / kPageSize && !mem.reads_as_zero(s.gpa + q * kPageSize))
      ++q;
    buf.resize((q - p) * kPageSize);
    mem.read(s.gpa + p * kPageSize, buf);
    for (uint64_t i = 0; i < q - p;) {
      if (all_zero(buf.data() + i * kPageSize, kPageSize)) {
        ++i;
        continue;
      }
      uint64_t j = i + 1;
      while (j < q - p && !all_zero(buf.data() + j * kPageSize, kPageSize)) ++j;
      out.write_at(at + (p + i) * kPageSize,
                   ByteSpan(buf.data() + i * kPageSize, (j - i) * kPageSize));
      i = j;
    }
    p = q;
  }
}

}  // namespace

void dump_guest_memory(VmMemory& mem, const std::string& path,
                       const std::vector<hw::GprFile>& vcpus) {
  init_libelf();
  if (path.empty()) throw InputError("dump path: empty");
  const auto& slots = mem.slots();
  if (1 + slots.size() >= PN_XNUM) throw InputError(path + ": too many memslots for one ELF core");

  Bytes notes;
  for (size_t i = 0; i < vcpus.size(); ++i)
    put_note(notes, "CORE", kNtPrstatus, prstatus(vcpus[i], static_cast<uint32_t>(i + 1)));
  const Bytes headers = core_headers(slots, notes.size(), path);

  // The hypervisor reads the whole of the guest's memory (what a malicious one would do too).
  trace::Span span(trace::track::kAttacker, "attack", "dump-guest-memory");
  OutputFile out(path, 0600);  // guest memory: the owner's only (QEMU: S_IRUSR, dump/dump.c)
  out.write(headers);
  out.write(notes);
  // The contents, in the order the program headers place them. What is zero is not written:
  // pages the hypervisor's view gives as zeros without reading (never faulted in: Linux maps the
  // shared zero page; guest_memfd private: no host mapping) and pages that read as all zeros. A
  // regular file keeps them as holes (lseek past them, as `cp --sparse` does), a stream gets the
  // zero bytes; either way the file's bytes are those of a full write.
  uint64_t off = headers.size() + notes.size();
  for (const auto& s : slots) {
    write_slot(mem, s, out, off);
    off += s.size;
  }
  out.extend_to(off);
  out.commit();
  if (span.active()) [[unlikely]] {
    uint64_t bytes = 0;
    for (const auto& s : slots) bytes += s.size;
    span.end({{"memslots", slots.size()}, {"bytes", bytes}});
  }
}

namespace {

std::vector<CoreNote> notes_of(Elf* e, const std::string& name) {
  GElf_Ehdr eh;
  if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || eh.e_type != ET_CORE)
    throw InputError(name + ": not an ELF core file");
  size_t phnum = 0;
  if (elf_getphdrnum(e, &phnum) != 0) throw InputError(name + ": damaged program headers");
  std::vector<CoreNote> out;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e, static_cast<int>(i), &ph))
      throw InputError(fmt::format("{}: program header {} unreadable", name, i));
    if (ph.p_type != PT_NOTE || ph.p_filesz == 0) continue;
    Elf_Data* d =
        elf_getdata_rawchunk(e, static_cast<int64_t>(ph.p_offset), ph.p_filesz, ELF_T_NHDR);
    if (!d) throw InputError(fmt::format("{}: PT_NOTE {} beyond the end of the file", name, i));
    size_t pos = 0;
    GElf_Nhdr nh;
    size_t name_off = 0, desc_off = 0;
    while (pos < d->d_size) {
      const size_t next = gelf_getnote(d, pos, &nh, &name_off, &desc_off);
      if (next == 0) throw InputError(fmt::format("{}: damaged note in PT_NOTE {}", name, i));
      const auto* base = static_cast<const uint8_t*>(d->d_buf);
      CoreNote n;
      n.type = nh.n_type;
      // n_namesz counts the NUL; a name without one is kept whole.
      size_t len = nh.n_namesz;
      while (len && base[name_off + len - 1] == 0) --len;
      n.name.assign(reinterpret_cast<const char*>(base + name_off), len);
      n.desc.assign(base + desc_off, base + desc_off + nh.n_descsz);
      out.push_back(std::move(n));
      pos = next;
    }
  }
  return out;
}

}  // namespace

std::vector<CoreNote> read_core_notes(const std::string& path) {
  init_libelf();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  ElfPtr e(elf_begin(fd, ELF_C_READ, nullptr));
  return notes_of(e.get(), path);
}

std::vector<CoreNote> parse_core_notes(ByteSpan image, const std::string& name) {
  init_libelf();
  ElfPtr e(
      elf_memory(const_cast<char*>(reinterpret_cast<const char*>(image.data())), image.size()));
  return notes_of(e.get(), name);
}

hw::GprFile prstatus_regs(const CoreNote& note, uint32_t* pid) {
  if (note.type != kNtPrstatus || note.desc.size() != kX86_64PrstatusSize)
    throw InputError(
        fmt::format("note '{}' type {}: not an x86-64 NT_PRSTATUS", note.name, note.type));
  const uint8_t* d = note.desc.data();
  if (pid) *pid = load_le<uint32_t>(d + kPrstatusPidOffset);
  auto reg = [&](size_t i) { return load_le<uint64_t>(d + kPrstatusRegOffset + 8 * i); };
  hw::GprFile r;
  r.r15 = reg(R15), r.r14 = reg(R14), r.r13 = reg(R13), r.r12 = reg(R12), r.rbp = reg(RBP);
  r.rbx = reg(RBX), r.r11 = reg(R11), r.r10 = reg(R10), r.r9 = reg(R9), r.r8 = reg(R8);
  r.rax = reg(RAX), r.rcx = reg(RCX), r.rdx = reg(RDX), r.rsi = reg(RSI), r.rdi = reg(RDI);
  r.rip = reg(RIP), r.rflags = reg(EFLAGS), r.rsp = reg(RSP);
  return r;
}

}  // namespace cbit::sw::hv
