#include "x86/initial_stack.h"

#include "common/error.h"

namespace cbit::x86 {

uint64_t build_initial_stack(GuestMemory& mem, VirtAddr top, uint64_t room,
                             const std::vector<std::string>& argv,
                             const std::vector<std::string>& envp,
                             const std::vector<AuxEntry>& auxv) {
  // Strings first, from the top down (binfmt_elf copies them there before the tables).
  Bytes strings;
  std::vector<uint64_t> argv_off, envp_off;
  for (const auto& a : argv) {
    argv_off.push_back(strings.size());
    strings.insert(strings.end(), a.begin(), a.end());
    strings.push_back(0);
  }
  for (const auto& e : envp) {
    envp_off.push_back(strings.size());
    strings.insert(strings.end(), e.begin(), e.end());
    strings.push_back(0);
  }
  const uint64_t words = 1 + argv.size() + 1 + envp.size() + 1 + 2 * (auxv.size() + 1);
  // 8 spare bytes below the top (Linux leaves the end marker there), then the strings.
  const uint64_t need = 8 + strings.size() + 16 + 8 * words + 16;
  if (need > room)
    throw InputError("process arguments: " + std::to_string(need) +
                     " bytes of argv/envp/auxv do not fit in the " + std::to_string(room) +
                     "-byte stack");
  const uint64_t str_base = top.value - 8 - strings.size();
  const uint64_t rsp = (str_base - 8 * words) & ~uint64_t{15};

  std::vector<uint64_t> table;
  table.reserve(words);
  table.push_back(argv.size());
  for (uint64_t off : argv_off) table.push_back(str_base + off);
  table.push_back(0);
  for (uint64_t off : envp_off) table.push_back(str_base + off);
  table.push_back(0);
  for (const auto& [type, value] : auxv) {
    table.push_back(type);
    table.push_back(value);
  }
  table.push_back(at::kNull);
  table.push_back(0);
  CBIT_ASSERT(table.size() == words);

  Bytes tbytes(8 * words);
  for (size_t i = 0; i < words; ++i) store_le(tbytes.data() + 8 * i, table[i]);
  if (!strings.empty()) mem.write(VirtAddr(str_base), strings);
  mem.write(VirtAddr(rsp), tbytes);
  return rsp;
}

}  // namespace cbit::x86
