#include "tools/measure/mapped_file.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace cbit::tools::measure {

namespace {
struct Mapping {
  void* addr = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (addr) munmap(addr, size);
  }
};
}  // namespace

MappedFile map_file(const std::string& path, const InputKind& kind) {
  // Checked before anything is mapped or read: a huge sparse file is refused by its size (a
  // pre-faulted mapping of it would take its whole size in memory).
  InputFile in(path, kind);
  if (!in.regular() || in.size() == 0) {  // pipes, empty files, /proc: read them (bounded)
    auto buf = std::make_shared<const Bytes>(in.read_all());
    return {ByteSpan(*buf), buf};
  }
  auto m = std::make_shared<Mapping>();
  m->size = static_cast<size_t>(in.size());
  void* p = mmap(nullptr, m->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, in.fd(), 0);
  if (p == MAP_FAILED) throw InputError(path + ": cannot map: " + std::strerror(errno));
  m->addr = p;
  return {ByteSpan(static_cast<const uint8_t*>(p), m->size), m};
}

}  // namespace cbit::tools::measure
