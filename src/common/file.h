// Files the user names. Errors are InputErrors naming the file.
//
// Inputs are checked before they are read, so no input can make cbit hang or take unbounded
// memory: a directory, a device or a socket is refused; a regular file larger than what its kind
// can be is refused by its size (a 64 GiB sparse file is not read); a pipe or FIFO is read up to
// that size and refused beyond it. A FIFO is opened without waiting for a writer: with none, it
// reads as empty. (Memory dumps for `cbit scan` are read in chunks, tools/scan/dump_reader.h.)
//
// Outputs go through common/output_file.h: never half-written, never replacing a device, FIFO
// or symbolic link.
#pragma once
#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/output_file.h"

namespace cbit {

// What an input is and the most it can sensibly be.
struct InputKind {
  const char* what;  // "a firmware image", for "larger than a firmware image can be"
  uint64_t max_size;
};

namespace inputs {
inline constexpr uint64_t kMiB = uint64_t(1) << 20;
// OVMF builds are 2-4 MiB; QEMU maps at most 8 MiB of flash below 4 GiB by default (hw/i386/
// pc_sysfw.c FLASH_SIZE_LIMIT, later the pc machines' max-fw-size, 16 MiB at most).
inline constexpr InputKind kFirmware{"a firmware image", 64 * kMiB};
// A bzImage is tens of MiB.
inline constexpr InputKind kKernel{"a kernel", 256 * kMiB};
// The x86 boot protocol loads the initrd below initrd_addr_max, at most 0x7fffffff
// (Documentation/arch/x86/boot.rst).
inline constexpr InputKind kInitrd{"an initrd", 2048 * kMiB};
// An attestation report is 0x4A0 bytes (SEV-SNP ABI Table 23); certificates and keys a few KiB.
inline constexpr InputKind kReport{"an attestation report", 1 * kMiB};
inline constexpr InputKind kCertificate{"a certificate", 1 * kMiB};
inline constexpr InputKind kPrivateKey{"a private key", 1 * kMiB};
inline constexpr InputKind kSnapshot{"a host snapshot", 16 * kMiB};
inline constexpr InputKind kPageMap{"a page map", 256 * kMiB};
inline constexpr InputKind kExplanation{"a measurement explanation", 256 * kMiB};
inline constexpr InputKind kNvdimmImage{"an NVDIMM image", 1024 * kMiB};
}  // namespace inputs

Bytes read_file(const std::string& path, const InputKind& kind);
// The same with only a size bound (callers with their own limit, e.g. ELF programs).
Bytes read_file(const std::string& path, uint64_t max_size);

// An input opened and checked as above, not yet read: for readers that map the file instead.
class InputFile {
 public:
  InputFile(const std::string& path, const InputKind& kind);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  int fd() const { return fd_; }
  bool regular() const { return regular_; }
  uint64_t size() const { return size_; }  // a regular file's size (checked), 0 for a pipe
  Bytes read_all();                        // bounded by the kind's size

 private:
  std::string path_;
  InputKind kind_;
  int fd_ = -1;
  bool regular_ = false;
  uint64_t size_ = 0;
};

// Writes `data` by output_file.h's rules (the name is historical: a regular file is replaced
// atomically; a device or FIFO is written through).
inline void write_file_atomic(const std::string& path, ByteSpan data) {
  write_output_file(path, data);
}
inline void write_file_atomic(const std::string& path, const std::string& text) {
  write_output_file(path, as_bytes(text));
}

// "64 MiB", "1184 bytes": sizes in messages.
std::string format_size(uint64_t bytes);

}  // namespace cbit
