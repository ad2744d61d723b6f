// An NVDIMM: persistent memory mapped at [base, base + size) of the system physical address
// space, its cells kept in a host file. It survives a reset and a power loss, and can be
// "removed" — the file read elsewhere — which is what the attacker in seed 000 does.
#pragma once
#include <cstdint>
#include <string>

#include "common/addr.h"
#include "common/bytes.h"

namespace cbit::hw {

class Nvdimm {
 public:
  // Opens (or creates, sparse) the backing file; throws InputError naming the file.
  Nvdimm(std::string path, SysPhysAddr base, uint64_t size);
  ~Nvdimm();
  Nvdimm(const Nvdimm&) = delete;
  Nvdimm& operator=(const Nvdimm&) = delete;

  SysPhysAddr base() const { return base_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  bool contains(SysPhysAddr pa, uint64_t len) const {
    return pa.value >= base_.value && pa.value - base_.value <= size_ &&
           len <= size_ - (pa.value - base_.value);
  }
  void read(SysPhysAddr pa, MutByteSpan out) const;
  void write(SysPhysAddr pa, ByteSpan in);
  void flush();  // msync: what a persistent-memory flush guarantees

 private:
  std::string path_;
  SysPhysAddr base_;
  uint64_t size_;
  int fd_ = -1;
  uint8_t* map_ = nullptr;
};

}  // namespace cbit::hw
