// A user process on the host-mode CPU rig (tests/unit/hw/cpu_test_rig.h): real DRAM, memory
// controller with the SME key from the Secure Processor, cache, CPU with paging and the C-bit.
// The "kernel" behind GuestMemory::map allocates frames, clears them and writes PTEs with the
// C-bit when `sme` (all of the process's pages and its page tables encrypted, as under SME with
// the kernel's sme_me_mask in every PTE) or without it (the control case).
#pragma once
#include <map>
#include <string>

#include "../hw/cpu_test_rig.h"  // relative: the benchmark includes this header too
#include "common/bytes.h"
#include "hw/cpu/paging.h"
#include "hw/raw_view.h"
#include "x86/cpu_guest_memory.h"

namespace cbit::x86::testing {

struct X86Rig {
  explicit X86Rig(bool sme_pages, const std::string& preset = "milan")
      : rig(preset),
        sme(sme_pages),
        mem(rig.cpu, [this](VirtAddr va, uint64_t size, unsigned p) { kernel_map(va, size, p); }) {
    rig.pt.make_root(sme);
    rig.enter_long_mode();
  }

  void kernel_map(VirtAddr va, uint64_t size, unsigned prot) {
    ++map_calls;
    for (uint64_t off = 0; off < size; off += kPageSize) {
      const uint64_t page = va.value + off;
      auto it = frames.find(page);
      uint64_t pa;
      if (it == frames.end()) {
        pa = next_frame;
        next_frame += kPageSize;
        const Bytes zero(kPageSize, 0);  // clear_page through the key the page will use
        rig.cache.write(SysPhysAddr(pa), zero, hw::MemAttr{sme, Asid(0)});
        frames[page] = pa;
      } else {
        pa = it->second;
      }
      // prot 0 (PROT_NONE): the frame stays, the entry is not present (guest_memory.h).
      const uint64_t flags = (prot ? hw::pte::kP : 0) | hw::pte::kUs |
                             (has(prot, Prot::W) ? hw::pte::kRw : 0) |
                             (has(prot, Prot::X) ? 0 : hw::pte::kNx);
      rig.pt.map(page, pa, flags, sme, sme);
      rig.cpu.tlb().invlpg(VirtAddr(page));
    }
  }

  // Everything the caches hold goes to DRAM, then: how often does `needle` occur in the raw
  // DRAM (what a cold-boot or DMA attacker reads)?
  size_t dram_occurrences(std::string_view needle) {
    rig.cache.wbinvd();
    hw::RawPhysicalView raw(rig.dram, nullptr);
    size_t n = 0;
    raw.for_each_dram_page(
        [&](Pfn, ByteSpan page) { n += count_occurrences(page, as_bytes(needle)); });
    return n;
  }
  // The process's memory, read back through the CPU (the architectural view, CPL 3).
  std::string read_string(uint64_t va, size_t n) {
    std::string s(n, '\0');
    mem.read(VirtAddr(va), MutByteSpan(reinterpret_cast<uint8_t*>(s.data()), n));
    return s;
  }

  hw::testing::CpuRig rig;
  bool sme;
  uint64_t next_frame = 0x1000000;      // frames above the page-table pool (0x100000...)
  std::map<uint64_t, uint64_t> frames;  // VA page -> frame
  int map_calls = 0;
  CpuGuestMemory mem;
};

}  // namespace cbit::x86::testing
