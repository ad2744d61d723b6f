#include "hw/dram/nvdimm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace cbit::hw {

Nvdimm::Nvdimm(std::string path, SysPhysAddr base, uint64_t size)
    : path_(std::move(path)), base_(base), size_(size) {
  if (size == 0 || size % kPageSize) throw InputError(path_ + ": NVDIMM size must be whole pages");
  // A link is not followed and only a regular file is mapped (common/output_file.h's rules for
  // what cbit writes).
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd_ < 0) throw InputError(path_ + ": cannot open NVDIMM file: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw InputError(path_ + ": NVDIMM file is not a regular file");
  }
  if (st.st_size != 0 && static_cast<uint64_t>(st.st_size) != size) {
    ::close(fd_);
    throw InputError(path_ + ": existing NVDIMM file has " + std::to_string(st.st_size) +
                     " bytes, expected " + std::to_string(size));
  }
  if (st.st_size == 0 && ::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    ::close(fd_);
    throw InputError(path_ + ": cannot size NVDIMM file: " + std::strerror(errno));
  }
  void* m = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (m == MAP_FAILED) {
    ::close(fd_);
    throw InputError(path_ + ": cannot map NVDIMM file: " + std::strerror(errno));
  }
  map_ = static_cast<uint8_t*>(m);
}

Nvdimm::~Nvdimm() {
  if (map_) {
    ::msync(map_, size_, MS_SYNC);
    ::munmap(map_, size_);
  }
  if (fd_ >= 0) ::close(fd_);
}

void Nvdimm::read(SysPhysAddr pa, MutByteSpan out) const {
  CBIT_ASSERT(contains(pa, out.size()));
  std::memcpy(out.data(), map_ + (pa.value - base_.value), out.size());
}

void Nvdimm::write(SysPhysAddr pa, ByteSpan in) {
  CBIT_ASSERT(contains(pa, in.size()));
  std::memcpy(map_ + (pa.value - base_.value), in.data(), in.size());
}

void Nvdimm::flush() { ::msync(map_, size_, MS_SYNC); }

}  // namespace cbit::hw
