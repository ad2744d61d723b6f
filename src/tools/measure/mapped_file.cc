#include "tools/measure/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/file.h"

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

MappedFile map_file(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int e = errno;
    close(fd);
    throw InputError(path + ": cannot stat: " + std::strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    throw InputError(path + ": is a directory");
  }
  if (!S_ISREG(st.st_mode) || st.st_size == 0) {  // pipes, devices, empty files: read them
    close(fd);
    auto buf = std::make_shared<const Bytes>(read_file(path));
    return {ByteSpan(*buf), buf};
  }
  auto m = std::make_shared<Mapping>();
  m->size = static_cast<size_t>(st.st_size);
  void* p = mmap(nullptr, m->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  const int e = errno;
  close(fd);
  if (p == MAP_FAILED) throw InputError(path + ": cannot map: " + std::strerror(e));
  m->addr = p;
  return {ByteSpan(static_cast<const uint8_t*>(p), m->size), m};
}

}  // namespace cbit::tools::measure
