// The architectural memory path of one process, as the x86 executor (process.h) sees it.
//
// Every byte the guest program reads, writes or executes goes through here: in cbit the
// implementation is a simulated CPU at CPL 3 (cpu_guest_memory.h), so the access is translated
// by cbit's MMU, checked (U/S, R/W, NX), given the key of the leaf's C-bit (APM Vol. 2 §7.10)
// and carried through the cache and the memory controller's AES engine to simulated DRAM.
#pragma once
#include <cstdint>
#include <functional>

#include "common/addr.h"
#include "common/bytes.h"
#include "hw/cpu/regs.h"

namespace cbit::x86 {

// Page permissions as bit flags (Linux PROT_READ/PROT_WRITE/PROT_EXEC have the same values).
enum class Prot : uint8_t { R = 1, W = 2, X = 4 };
inline constexpr unsigned operator|(Prot a, Prot b) {
  return static_cast<unsigned>(a) | static_cast<unsigned>(b);
}
inline constexpr unsigned operator|(unsigned a, Prot b) { return a | static_cast<unsigned>(b); }
inline constexpr bool has(unsigned prot, Prot p) { return (prot & static_cast<unsigned>(p)) != 0; }

class GuestMemory {  // the architectural path of one simulated CPU at CPL 3
 public:
  virtual ~GuestMemory() = default;
  // May throw hw::CpuException (hw/cpu/fault.h), e.g. hw::PageFault; a faulting access has no
  // effect (the CPU translates every page before it touches any).
  virtual void read(VirtAddr va, MutByteSpan out) = 0;
  virtual void write(VirtAddr va, ByteSpan in) = 0;
  virtual void fetch(VirtAddr va, MutByteSpan out) = 0;  // instruction fetch
  // Map [va, va+size) (page-aligned) for the process with these permissions (Prot bits); the
  // "kernel" behind this interface allocates pages and writes its page tables. Contract:
  //  - new pages read as zero (the kernel clears them, as Linux's clear_page does);
  //  - pages already mapped keep their frames and contents and only take the new permissions
  //    (like mprotect), with their stale translations flushed from the TLB;
  //  - R is implied by any mapping (x86 has no write-only or execute-only pages);
  //  - prot 0 is PROT_NONE: the pages keep their frames and contents, but every access faults
  //    (#PF, not present) until they are mapped again with rights.
  virtual void map(VirtAddr va, uint64_t size, unsigned prot) = 0;
  // Unmap [va, va+size) (page-aligned), munmap's part: the pages mapped there are gone (their
  // frames back to the kernel, their translations flushed from the TLB), so a later access is
  // a #PF (not present); pages not mapped are skipped.
  virtual void unmap(VirtAddr va, uint64_t size) = 0;
  // How many times control has left the guest (#VMEXIT) during accesses so far. The executor's
  // plaintext page cache drops its other pages when this moves during an access, as the TLB is
  // flushed after the hypervisor changed the nested tables (the controlled channel sees every
  // access again). 0 where there is no hypervisor.
  virtual uint64_t world_switches() const { return 0; }
  // The program's registers as they are at an access (the executor installs the source once).
  // A CPU that leaves the guest during an access (an #NPF) saves these in the VMCB or VMSA, as
  // hardware saves the state of the instruction that faulted.
  using RegsSource = std::function<hw::GprFile()>;
  virtual void set_user_regs_source(RegsSource source) { (void)source; }
};

}  // namespace cbit::x86
