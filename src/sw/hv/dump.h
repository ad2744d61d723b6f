// QEMU's `dump-guest-memory` (paging=false) as an ELF core file (QEMU dump/dump.c,
// target/i386/arch_dump.c): ELF64 little-endian, ET_CORE, EM_X86_64; one PT_NOTE, then one
// PT_LOAD per memslot with p_paddr = the slot's GPA and p_vaddr = 0 (no guest paging walked),
// p_filesz = p_memsz = the slot's size, p_align 0 — the layout tools::scan::read_dump_layout
// and `cbit scan` read.
//
// The bytes are the hypervisor's view (VmMemory::read): on an SEV guest's private pages, what
// the host key makes of the guest's ciphertext. That is the point of the dump for the scanner:
// it shows what a host-side dump of a confidential VM really holds. A page nobody touched reads
// as zeros (QEMU reads Linux's zero page for untouched anonymous memory) and costs nothing: the
// zero pages of a regular file are holes (a sparse file; tools::scan skips them by SEEK_HOLE),
// and a stream gets zero bytes. The file reads back the same either way.
//
// Notes: for each vCPU whose registers the caller gives, an NT_PRSTATUS note ("CORE", QEMU's
// x86_64_elf_prstatus: pid = vCPU index + 1, pr_reg in struct user_regs_struct order) with the
// general-purpose registers, RIP and RFLAGS; segment selectors and bases are not in GprFile and
// stay zero. QEMU's "QEMU" note (QEMUCPUState: segments, CRs) is not written: the model does not
// have those values for the caller's vCPUs. Without registers (e.g. an SEV-ES guest, whose
// registers are in its encrypted VMSA) the PT_NOTE is empty.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "hw/cpu/regs.h"

namespace cbit::sw::hv {

class VmMemory;

inline constexpr uint32_t kNtPrstatus = 1;          // NT_PRSTATUS
inline constexpr size_t kX86_64PrstatusSize = 336;  // sizeof(x86_64_elf_prstatus)
inline constexpr size_t kPrstatusPidOffset = 32;    // offsetof(elf_prstatus, pr_pid)
inline constexpr size_t kPrstatusRegOffset = 112;   // offsetof(elf_prstatus, pr_reg)

// Writes the core by common/output_file.h's rules: a regular file atomically (a temporary beside
// `path`, then rename; on any error an InputError naming `path`, and neither a partial file nor
// the temporary is left behind), a FIFO, device or stdout ("-") written through in file order.
// A new file is the owner's only, 0600 less the umask (QEMU's dump/dump.c creates it S_IRUSR).
void dump_guest_memory(VmMemory& mem, const std::string& path,
                       const std::vector<hw::GprFile>& vcpus = {});

// What the notes of a core hold (for tests and `cbit scan`): one entry per note.
struct CoreNote {
  std::string name;  // "CORE", "QEMU", ...
  uint32_t type = 0;
  std::vector<uint8_t> desc;
};
// Reads the PT_NOTE segments of an ELF core with libelf. InputError naming `path` if it is not
// a readable ELF core.
std::vector<CoreNote> read_core_notes(const std::string& path);
// The same for a core held in memory (tests, the fuzz target); `name` for error messages.
std::vector<CoreNote> parse_core_notes(ByteSpan image, const std::string& name);
// The registers in an NT_PRSTATUS note written by dump_guest_memory (and QEMU): pid, GPRs, RIP,
// RFLAGS. InputError if the note is not an x86-64 prstatus.
hw::GprFile prstatus_regs(const CoreNote& note, uint32_t* pid = nullptr);

}  // namespace cbit::sw::hv
