// The devices the hypervisor's userspace (QEMU's role) emulates for a VM, reached through IOIO
// exits: a serial console on COM1 and "cbit-blk", a minimal paravirtual block device.
//
// cbit-blk: an OUT of 32 bits to port 0xC050 carries the guest-physical address of a 24-byte
// request {u64 sector; u32 nsectors; u32 status; u64 buffer_gpa}. The device reads the request
// and writes the sectors at buffer_gpa through the hypervisor's own view of guest memory, then
// writes status 0 (or 1 on a bad request). Like any device without access to the guest's key, it
// can only exchange data through pages the guest shares (swiotlb bounce buffers under SEV).
// The disk: sector 0 is a header {char magic[8] = "CBITDISK"; u64 file_size; char name[32]},
// the file follows from sector 1.
#pragma once
#include <cstdint>
#include <string>

#include "common/bytes.h"

namespace cbit::sw::hv {

class VmMemory;

inline constexpr uint16_t kCom1Port = 0x3F8;
inline constexpr uint16_t kBlkPort = 0xC050;
inline constexpr uint32_t kSectorSize = 512;

class SerialConsole {
 public:
  void out(uint8_t byte) { text_.push_back(static_cast<char>(byte)); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// A disk image holding one file, in the layout above.
Bytes make_cbit_disk(ByteSpan file, const std::string& name);

class CbitBlk {
 public:
  explicit CbitBlk(Bytes disk) : disk_(std::move(disk)) {}
  // The doorbell: process the request at `request_gpa`.
  void kick(VmMemory& mem, uint64_t request_gpa);
  uint64_t requests() const { return requests_; }

 private:
  Bytes disk_;
  uint64_t requests_ = 0;
};

}  // namespace cbit::sw::hv
