// libelf, the way cbit uses it everywhere (ELF programs, ELF core dumps): the library's one-time
// version handshake and an owning handle for an Elf descriptor.
#pragma once
#include <libelf.h>

#include <memory>
#include <mutex>

namespace cbit {

inline void init_libelf() {
  static std::once_flag once;
  std::call_once(once, [] { (void)elf_version(EV_CURRENT); });
}

struct ElfCloser {
  void operator()(Elf* e) const { elf_end(e); }
};
using ElfPtr = std::unique_ptr<Elf, ElfCloser>;

}  // namespace cbit
