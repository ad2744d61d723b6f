// OVMF firmware image as the VMM and the launch-digest predictors read it: the GUIDed footer
// table just below the reset vector, the SEV-ES AP reset block, the "ASEV" SEV metadata
// (edk2 OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm) and the SEV hashes-table location.
//
// Parsing follows what sev-snp-measure (SSM) accepts and refuses, byte for byte: a missing
// footer table is not an error (plain SEV measures any blob), a malformed one is.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace cbit::psp::digest {

// A GUID in its on-disk (little-endian, "bytes_le") form.
struct Guid {
  std::array<uint8_t, 16> bytes{};
  // From the canonical text form "96b582de-1fb2-45f7-baea-a366c55a082d".
  static Guid parse(std::string_view text);
  std::string str() const;
  bool operator==(const Guid&) const = default;
};

namespace guids {
extern const Guid kFooterTable;      // 96b582de-1fb2-45f7-baea-a366c55a082d
extern const Guid kSevHashTableRv;   // 7255371f-3a3b-4b04-927b-1da6efa8d454
extern const Guid kSevEsResetBlock;  // 00f771de-1a7e-4fcb-890e-68c77e2fb44e
extern const Guid kSevMetadata;      // dc886566-984a-4798-a75e-5585a7bf67cc
}  // namespace guids

// SEV metadata section types (OvmfSevMetadata.asm).
enum class SectionType : uint32_t {
  SnpSecMem = 1,
  SnpSecrets = 2,
  Cpuid = 3,
  SvsmCaa = 4,
  SnpKernelHashes = 0x10,
};
// "SNP_SEC_MEM" etc., or nullptr for a type the spec does not define.
const char* section_type_name(uint32_t type);

struct MetadataSection {
  uint32_t gpa = 0, size = 0, type = 0;  // type kept raw: unknown types fail only where used
};

constexpr uint64_t kFourGiB = uint64_t(1) << 32;

class Ovmf {
 public:
  // Parses an image that ends at `end_at` (4 GiB for OVMF: the reset vector sits at
  // 0xFFFFFFF0). `name` names the file in error messages. Throws InputError.
  Ovmf(Bytes data, std::string name, uint64_t end_at = kFourGiB);
  // A view of bytes kept alive by `owner` (e.g. a memory-mapped file): no copy.
  Ovmf(ByteSpan data, std::shared_ptr<const void> owner, std::string name,
       uint64_t end_at = kFourGiB);

  ByteSpan data() const { return data_; }
  uint64_t gpa() const { return gpa_; }  // where the image is mapped (end_at - size)
  const std::string& name() const { return name_; }

  struct TableEntry {
    Guid guid;
    size_t offset = 0, size = 0;  // the entry's data inside the image
  };
  const std::vector<TableEntry>& table() const { return table_; }
  std::optional<ByteSpan> table_item(const Guid& guid) const;
  bool has_footer_table() const { return footer_found_; }

  const std::vector<MetadataSection>& metadata() const { return metadata_; }
  std::optional<size_t> metadata_offset() const { return metadata_offset_; }
  bool has_section(SectionType type) const;

  // The hashes table GUID is present and points somewhere (QEMU's test for kernel-hashes
  // support in SEV and SEV-ES).
  bool sev_hashes_table_supported() const;
  uint32_t sev_hashes_table_gpa() const;  // throws InputError if the GUID is missing
  uint32_t sev_es_reset_eip() const;      // throws InputError if the GUID is missing

 private:
  void parse_footer_table();
  void parse_sev_metadata();
  [[noreturn]] void fail(const std::string& what) const;

  void parse(uint64_t end_at);

  std::shared_ptr<const void> owner_;
  ByteSpan data_;
  std::string name_;
  uint64_t gpa_ = 0;
  bool footer_found_ = false;
  std::vector<TableEntry> table_;  // unique GUIDs, in the order the reference stores them
  std::vector<MetadataSection> metadata_;
  std::optional<size_t> metadata_offset_;
};

}  // namespace cbit::psp::digest
