// The SEV hashes table a VMM (QEMU's sev_add_kernel_loader_hashes) writes into the firmware's
// reserved page so that measured direct boot covers kernel, initrd and command line. OVMF
// checks the files it loads against it. Layout (all little-endian, packed):
//   GUID 9438d606-4f22-4cc9-b479-a793d411fd21, u16 length (168), then three entries
//   {GUID, u16 length (50), SHA-256} for cmdline, initrd and kernel, padded to 16 bytes (176).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "crypto/hash.h"

namespace cbit::psp::digest {

constexpr size_t kSevHashTableSize = 168;
constexpr size_t kSevHashTablePaddedSize = 176;

struct SevHashes {
  crypto::Sha256Digest kernel{}, initrd{}, cmdline{};

  // Hashes the contents: the cmdline is hashed with its terminating NUL (QEMU passes the C
  // string); an absent initrd or cmdline hashes as empty / "\0".
  static SevHashes from_contents(ByteSpan kernel, ByteSpan initrd, std::string_view cmdline);
  // Reads the files (InputError naming a file that cannot be read). Empty initrd path: none.
  static SevHashes from_files(const std::string& kernel, const std::string& initrd,
                              const std::optional<std::string>& cmdline);

  Bytes table() const;  // the padded table, 176 bytes
  // The 4 KiB page holding the table at `offset` (the hashes-table GPA's page offset);
  // nullopt if the table does not fit in the page.
  std::optional<Bytes> page(uint32_t offset) const;
};

}  // namespace cbit::psp::digest
