// Strong address types. A guest physical address can never reach DRAM by mistake: each kind of
// address is its own type, and conversions between them are explicit and named.
#pragma once
#include <compare>
#include <cstdint>
#include <functional>

namespace cbit {

inline constexpr uint64_t kPageShift = 12;
inline constexpr uint64_t kPageSize = 1ull << kPageShift;
inline constexpr uint64_t kPageMask = ~(kPageSize - 1);
inline constexpr uint64_t kCacheLineSize = 64;
inline constexpr uint64_t kAesBlockSize = 16;

template <typename Tag>
struct Addr {
  uint64_t value = 0;
  constexpr Addr() = default;
  constexpr explicit Addr(uint64_t v) : value(v) {}
  constexpr auto operator<=>(const Addr&) const = default;
  constexpr Addr operator+(uint64_t off) const { return Addr(value + off); }
  constexpr uint64_t page_offset() const { return value & (kPageSize - 1); }
  constexpr Addr page_base() const { return Addr(value & kPageMask); }
  constexpr uint64_t pfn() const { return value >> kPageShift; }
};

struct VirtTag {};
struct GuestPhysTag {};
struct SysPhysTag {};

using VirtAddr = Addr<VirtTag>;            // a linear address, as software uses it
using GuestPhysAddr = Addr<GuestPhysTag>;  // a guest physical address (before the nested walk)
using SysPhysAddr = Addr<SysPhysTag>;      // a system physical address, as DRAM is addressed

// A page frame number of system memory.
struct Pfn {
  uint64_t value = 0;
  constexpr Pfn() = default;
  constexpr explicit Pfn(uint64_t v) : value(v) {}
  constexpr auto operator<=>(const Pfn&) const = default;
  constexpr SysPhysAddr addr() const { return SysPhysAddr(value << kPageShift); }
  static constexpr Pfn of(SysPhysAddr pa) { return Pfn(pa.value >> kPageShift); }
};

// Address-space identifier: 0 is the host; SEV guests use 1..ECX (CPUID Fn8000_001F).
struct Asid {
  uint32_t value = 0;
  constexpr Asid() = default;
  constexpr explicit Asid(uint32_t v) : value(v) {}
  constexpr auto operator<=>(const Asid&) const = default;
  constexpr bool is_host() const { return value == 0; }
};

// A memory-controller key slot. Slot 0 is the host (SME/TSME) key; slot n holds ASID n's key.
struct KeyId {
  uint32_t value = 0;
  constexpr KeyId() = default;
  constexpr explicit KeyId(uint32_t v) : value(v) {}
  constexpr auto operator<=>(const KeyId&) const = default;
  static constexpr KeyId host() { return KeyId(0); }
  static constexpr KeyId for_asid(Asid a) { return KeyId(a.value); }
};

}  // namespace cbit

template <typename Tag>
struct std::hash<cbit::Addr<Tag>> {
  size_t operator()(const cbit::Addr<Tag>& a) const noexcept {
    return std::hash<uint64_t>{}(a.value);
  }
};
template <>
struct std::hash<cbit::Pfn> {
  size_t operator()(const cbit::Pfn& p) const noexcept { return std::hash<uint64_t>{}(p.value); }
};
