// The certificate table of an SNP extended guest request (SNP_GET_EXT_REPORT; GHCB NAE
// SNP_EXT_GUEST_REQUEST 0x80000012; SNP-FACTS.md §3.4): a list of 24-byte entries
// {GUID[16], u32 offset, u32 length} ended by an all-zero entry, then the certificates the
// offsets point at (DER). GUIDs are stored in their canonical (RFC 4122, big-endian) byte
// order, not EFI's mixed-endian one: AMD's own sev-guest tools fill the entry with libuuid's
// uuid_parse() (AMDESE/sev-guest lib/cert-table.c), go-sev-guest compares against
// pborman/uuid.Parse() bytes (abi.ParseSnpCertTableHeader), virtee/sev uses uuid::Uuid bytes.
//
// The table comes from the host (KVM/QEMU fill it; the guest passes it on untouched), so
// parse() treats it as hostile: entries must lie after the header and inside the blob, without
// overflow; a bad table is an InputError naming `what`, never a crash.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace cbit::psp {

using CertGuid = std::array<uint8_t, 16>;

// "63da758d-e664-4564-adc5-f4b93be8accd" -> bytes in that order. Throws InputError.
CertGuid cert_guid(std::string_view text);
std::string cert_guid_text(const CertGuid& g);

namespace cert_guids {
inline constexpr const char* kVcek = "63da758d-e664-4564-adc5-f4b93be8accd";
inline constexpr const char* kVlek = "a8074bc2-a25a-483e-aae6-39c045a0b8a1";
inline constexpr const char* kAsk = "4ab7b379-bbac-4fe4-a02f-05aef327c782";  // also the ASVK
inline constexpr const char* kArk = "c0b406a4-a803-4952-9743-3fb6014cd0ae";
inline constexpr const char* kCrl = "92f81bc3-5811-4d3d-97ff-d19f88dc67ea";
}  // namespace cert_guids

inline constexpr size_t kCertTableEntrySize = 24;

struct CertTableEntry {
  CertGuid guid{};
  Bytes data;  // the certificate as stored (DER)
};

struct CertTable {
  std::vector<CertTableEntry> entries;

  // nullptr when no entry has this GUID (the first one wins when a GUID repeats).
  const Bytes* find(std::string_view guid_text) const;
  void add(std::string_view guid_text, Bytes data);

  // Header, zero terminator, then the certificates back to back.
  Bytes serialize() const;
  static CertTable parse(ByteSpan blob, std::string_view what);
};

}  // namespace cbit::psp
