// Long-mode paging entries and the physical-address layout memory encryption imposes on them.
//
// APM Vol. 2 §5.3 (long-mode page translation, entry formats), §7.10.1 (SME): the C-bit is a
// physical-address bit (CPUID Fn8000_001F EBX[5:0]) in CR3 and in every paging entry. While
// SYSCFG[MemEncryptionModEn]=1 the physical address space shrinks by EBX[11:6] bits; those top
// bits become reserved (must be zero) in paging entries, like any bit above MAXPHYADDR, and a
// set one gives #PF with RSVD. The C-bit itself is not reserved. CPUID Fn8000_0008 EAX[7:0]
// keeps reporting the unreduced width: Linux subtracts the reduction itself
// (arch/x86/kernel/cpu/amd.c early_detect_mem_encrypt: x86_phys_bits -= EBX[11:6]), and KVM
// treats bits from the reduced width to 51 as reserved on SME/SEV hosts (commit f3ecb59dd49f).
#pragma once
#include <cstdint>

#include "hw/cpu_models.h"

namespace cbit::hw {

// Paging-entry bits (APM Vol. 2 §5.4.1; Linux pgtable_types.h _PAGE_BIT_*).
namespace pte {
inline constexpr uint64_t kP = 1ull << 0;     // present
inline constexpr uint64_t kRw = 1ull << 1;    // writable
inline constexpr uint64_t kUs = 1ull << 2;    // user
inline constexpr uint64_t kPwt = 1ull << 3;   // write-through
inline constexpr uint64_t kPcd = 1ull << 4;   // cache disable
inline constexpr uint64_t kA = 1ull << 5;     // accessed
inline constexpr uint64_t kD = 1ull << 6;     // dirty (leaf only)
inline constexpr uint64_t kPs = 1ull << 7;    // page size: 1 GiB in a PDPE, 2 MiB in a PDE
inline constexpr uint64_t kG = 1ull << 8;     // global (leaf only)
inline constexpr uint64_t kNx = 1ull << 63;   // no-execute (reserved unless EFER.NXE=1)
inline constexpr unsigned kMaxPhysBits = 52;  // architectural limit of the address field

// Levels as Linux names them; the number is the level's index (PTE = 1 ... PML4E = 4).
enum class Level : unsigned { Pte = 1, Pde = 2, Pdpe = 3, Pml4e = 4 };
inline constexpr unsigned level_shift(unsigned level) { return 12 + 9 * (level - 1); }
inline constexpr unsigned index_at(uint64_t va, unsigned level) {
  return static_cast<unsigned>(va >> level_shift(level)) & 511;
}
}  // namespace pte

// Bit masks of [lo, hi) in a 64-bit word.
inline constexpr uint64_t bit_range(unsigned lo, unsigned hi) {
  return hi <= lo ? 0 : ((hi >= 64 ? ~0ull : (1ull << hi) - 1) & ~((1ull << lo) - 1));
}

// How a physical address is laid out in CR3 and in paging entries, for one CPU model with
// memory encryption enabled or not.
struct PhysAddrLayout {
  unsigned maxphyaddr = 48;    // CPUID Fn8000_0008 EAX[7:0]
  unsigned phys_bits = 48;     // usable width: maxphyaddr minus the reduction when enabled
  uint64_t c_bit_mask = 0;     // 0 unless SYSCFG[MemEncryptionModEn]=1 (then sme_me_mask)
  uint64_t addr_mask = 0;      // the bits of an entry that carry the frame address
  uint64_t reserved_mask = 0;  // bits [phys_bits, 52) except the C-bit: must be zero

  static PhysAddrLayout make(const CpuModel& model, bool mem_encrypt_enabled);
  // Guest physical addresses (SVM): the C-bit for SEV guests, but no address-width reduction,
  // which CPUID Fn8000_001F EBX[11:6] gives for system physical addresses only.
  static PhysAddrLayout make_guest(const CpuModel& model, bool sev);

  // The frame address an entry (or CR3) points to, C-bit removed.
  uint64_t frame(uint64_t entry) const { return entry & addr_mask; }
  bool c_bit(uint64_t entry) const { return (entry & c_bit_mask) != 0; }

 private:
  void finish();  // addr_mask and reserved_mask from phys_bits and c_bit_mask
};

}  // namespace cbit::hw
