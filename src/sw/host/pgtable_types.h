// The host kernel's page-table entry bits, named as in Linux arch/x86/include/asm/pgtable_types.h.
// _PAGE_ENC is not a constant: it is sme_me_mask (the C-bit), known only after sme_enable().
#pragma once
#include <cstdint>

namespace cbit::sw::host {

inline constexpr uint64_t _PAGE_PRESENT = 1ull << 0;
inline constexpr uint64_t _PAGE_RW = 1ull << 1;
inline constexpr uint64_t _PAGE_USER = 1ull << 2;
inline constexpr uint64_t _PAGE_PWT = 1ull << 3;
inline constexpr uint64_t _PAGE_PCD = 1ull << 4;
inline constexpr uint64_t _PAGE_ACCESSED = 1ull << 5;
inline constexpr uint64_t _PAGE_DIRTY = 1ull << 6;
inline constexpr uint64_t _PAGE_PSE = 1ull << 7;
inline constexpr uint64_t _PAGE_GLOBAL = 1ull << 8;
inline constexpr uint64_t _PAGE_NX = 1ull << 63;

inline constexpr uint64_t _KERNPG_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;
inline constexpr uint64_t __PAGE_KERNEL =
    _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL | _PAGE_NX;
inline constexpr uint64_t __PAGE_KERNEL_EXEC = __PAGE_KERNEL & ~_PAGE_NX;

// Linux's direct map of all physical memory (x86-64, 4-level paging).
inline constexpr uint64_t PAGE_OFFSET = 0xffff888000000000ull;
// Where the kernel image is mapped.
inline constexpr uint64_t __START_KERNEL_map = 0xffffffff80000000ull;

enum class PgLevel { Pte = 1, Pmd = 2, Pud = 3, Pgd = 4 };

}  // namespace cbit::sw::host
