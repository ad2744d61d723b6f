// The certificate table of an extended guest request (GHCB spec "SNP Extended Guest Request";
// SNP-FACTS.md §3.4; Linux struct snp_secrets... cert_table in drivers/virt/coco/sev-guest;
// go-sev-guest abi.CertTable; virtee/sev CertTableEntry).
//
// A table of 24-byte entries {GUID[16], u32 offset, u32 length}, ended by an all-zero entry,
// followed by the certificates themselves; offsets are from the start of the table. A GUID is
// stored in RFC 4122 byte order, the text's hex digits in order (not EFI's mixed-endian form):
// AMD's sev-guest tools (lib/cert-table.c, uuid_parse), go-sev-guest and virtee/sev all read
// and write it so, and a table must be readable by them.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace cbit::psp::snp {

using CertGuid = std::array<uint8_t, 16>;

// The text form ("63da758d-e664-4564-adc5-f4b93be8accd") to the stored bytes; nullopt if malformed.
std::optional<CertGuid> cert_guid_from_string(std::string_view s);
std::string cert_guid_to_string(const CertGuid& g);

// The well-known GUIDs (SNP-FACTS.md §3.4).
const CertGuid& cert_guid_vcek();  // 63da758d-e664-4564-adc5-f4b93be8accd
const CertGuid& cert_guid_vlek();  // a8074bc2-a25a-483e-aae6-39c045a0b8a1
const CertGuid& cert_guid_ask();   // 4ab7b379-bbac-4fe4-a02f-05aef327c782 (ASK or ASVK)
const CertGuid& cert_guid_ark();   // c0b406a4-a803-4952-9743-3fb6014cd0ae
const CertGuid& cert_guid_crl();   // 92f81bc3-5811-4d3d-97ff-d19f88dc67ea
// "VCEK", "VLEK", "ASK", "ARK", "CRL", or "" for another GUID.
const char* cert_guid_name(const CertGuid& g);

struct CertEntry {
  CertGuid guid{};
  Bytes data;  // the certificate, DER as the KDS serves it (or whatever the host put there)
};

// Lays the entries out: table, terminator, then each certificate in order, each aligned to 8.
Bytes cert_table_build(const std::vector<CertEntry>& entries);

// Parses a table from a buffer of `bytes.size()` bytes (the guest's certificate pages). nullopt
// with `*why` set when the terminator is missing, an entry points outside the buffer, or the
// table overlaps its own data.
std::optional<std::vector<CertEntry>> cert_table_parse(ByteSpan bytes, std::string* why = nullptr);

}  // namespace cbit::psp::snp
