#include "x86/elf_symbols.h"

#include <cstring>

namespace cbit::x86 {
namespace {

// ELF64 layout (gABI): Ehdr e_shoff 0x28, e_shentsize 0x3A, e_shnum 0x3C; Shdr (64 bytes)
// sh_type 0x04, sh_offset 0x18, sh_size 0x20, sh_link 0x28, sh_entsize 0x38; Sym (24 bytes)
// st_name 0x00, st_value 0x08.
constexpr uint32_t kShtSymtab = 2;
constexpr size_t kShdrSize = 64, kSymSize = 24;

template <typename T>
std::optional<T> at(ByteSpan f, uint64_t off) {
  if (off > f.size() || f.size() - off < sizeof(T)) return std::nullopt;
  T v;
  std::memcpy(&v, f.data() + off, sizeof(T));
  return v;
}

}  // namespace

std::optional<uint64_t> elf_symbol(ByteSpan f, const std::string& name) {
  static constexpr uint8_t kMagic[] = {0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* LE */};
  if (f.size() < 64 || std::memcmp(f.data(), kMagic, sizeof kMagic) != 0) return std::nullopt;
  const auto shoff = at<uint64_t>(f, 0x28);
  const auto shentsize = at<uint16_t>(f, 0x3A), shnum = at<uint16_t>(f, 0x3C);
  if (!shoff || !shentsize || !shnum || *shentsize != kShdrSize) return std::nullopt;
  for (uint64_t i = 0; i < *shnum; ++i) {
    const uint64_t sh = *shoff + i * kShdrSize;
    const auto type = at<uint32_t>(f, sh + 0x04);
    if (!type || *type != kShtSymtab) continue;
    const auto off = at<uint64_t>(f, sh + 0x18), size = at<uint64_t>(f, sh + 0x20);
    const auto link = at<uint32_t>(f, sh + 0x28);
    if (!off || !size || !link || *link >= *shnum) return std::nullopt;
    const uint64_t str_sh = *shoff + uint64_t{*link} * kShdrSize;
    const auto str_off = at<uint64_t>(f, str_sh + 0x18), str_size = at<uint64_t>(f, str_sh + 0x20);
    if (!str_off || !str_size || *str_off > f.size() || f.size() - *str_off < *str_size)
      return std::nullopt;
    for (uint64_t s = 0; s + kSymSize <= *size; s += kSymSize) {
      const auto st_name = at<uint32_t>(f, *off + s);
      const auto value = at<uint64_t>(f, *off + s + 8);
      if (!st_name || !value) return std::nullopt;
      if (*st_name >= *str_size) continue;
      const char* str = reinterpret_cast<const char*>(f.data() + *str_off + *st_name);
      const size_t max = *str_size - *st_name;
      if (strnlen(str, max) == name.size() && std::memcmp(str, name.data(), name.size()) == 0)
        return *value;
    }
  }
  return std::nullopt;
}

}  // namespace cbit::x86
