// The "cbit-blk" paravirtual disk as both sides see it: the request descriptor the guest hands
// the hypervisor (OUT of its guest physical address to port 0xC050) and the disk layout
// (sector 0 a header, the one file's bytes from sector 1). The layout is cbit's own (there is
// no public device to copy); Linux's virtio-blk has the same split of a small request header
// and a data buffer that both must be in memory the device can read (shared, under SEV).
// The hypervisor's side (the device, make_cbit_disk) is sw/hv/devices.h.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"

namespace cbit::sw::guest {

inline constexpr uint16_t kBlkPort = 0xC050;  // OUT 32-bit: GPA of a BlkRequest
inline constexpr uint16_t kCom1Port = 0x3F8;  // OUT 8-bit: one console byte
inline constexpr uint64_t kSectorSize = 512;

// The 24-byte request descriptor, little-endian.
struct BlkRequest {
  static constexpr size_t kSize = 24;
  static constexpr size_t kSectorOff = 0, kNsectorsOff = 8, kStatusOff = 12, kBufferOff = 16;
  uint64_t sector = 0;
  uint32_t nsectors = 0;
  uint32_t status = 0;  // written by the hypervisor: 0 ok, nonzero error
  uint64_t buffer_gpa = 0;

  void encode(uint8_t (&out)[kSize]) const;
  static BlkRequest decode(const uint8_t (&in)[kSize]);
};

// Sector 0: char magic[8] = "CBITDISK"; u64 file_size; char name[32] (NUL-padded).
struct DiskHeader {
  static constexpr char kMagic[8] = {'C', 'B', 'I', 'T', 'D', 'I', 'S', 'K'};
  static constexpr size_t kNameSize = 32;
  // The largest file the guest accepts (the x86 loader's limit, x86::ElfImage::kMaxFileSize).
  static constexpr uint64_t kMaxFileSize = 64ull << 20;
  uint64_t file_size = 0;
  std::string name;

  uint64_t file_sectors() const { return (file_size + kSectorSize - 1) / kSectorSize; }
};

// Parses sector 0 (at least 48 bytes). nullopt with the reason in *why when the magic is wrong,
// the size is beyond kMaxFileSize, or the name is empty, unterminated or not printable ASCII.
std::optional<DiskHeader> parse_disk_header(ByteSpan sector0, std::string* why = nullptr);

}  // namespace cbit::sw::guest
