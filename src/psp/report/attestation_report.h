// ATTESTATION_REPORT of SEV-SNP (SNP-ABI "ATTESTATION_REPORT Structure"; layout as in
// SPEC-FACTS.md "SNP attestation report", virtee/sev src/firmware/guest/types/snp.rs and
// google/go-sev-guest abi/abi.go, checked against a real Milan report).
//
// 0x4A0 bytes, little-endian. Bytes 0..0x29F are signed by the VCEK (ECDSA P-384, SHA-384); the
// signature sits at 0x2A0 as R then S, each 72 bytes little-endian, zero-padded. Reserved
// bytes are not kept: serialize() writes them as zero (the spec's MBZ), so parse/serialize is
// exact for any report whose reserved bytes are zero, which is every report firmware produces.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "common/bytes.h"
#include "psp/report/tcb_version.h"

namespace cbit::psp {

inline constexpr size_t kReportSize = 0x4A0;
inline constexpr size_t kReportSignedSize = 0x2A0;  // bytes covered by the signature
inline constexpr size_t kReportSigROffset = 0x2A0;
inline constexpr size_t kReportSigSOffset = 0x2E8;
inline constexpr size_t kReportSigComponentSize = 72;
inline constexpr uint32_t kSigAlgoEcdsaP384Sha384 = 1;

// KEY_INFO[4:2] SIGNING_KEY.
enum class SigningKey : uint8_t { Vcek = 0, Vlek = 1, None = 7 };

struct AttestationReport {
  uint32_t version = 0;                         // 0x00
  uint32_t guest_svn = 0;                       // 0x04
  uint64_t policy = 0;                          // 0x08
  std::array<uint8_t, 16> family_id{};          // 0x10
  std::array<uint8_t, 16> image_id{};           // 0x20
  uint32_t vmpl = 0;                            // 0x30
  uint32_t signature_algo = 0;                  // 0x34
  uint64_t current_tcb = 0;                     // 0x38 (raw TCB_VERSION; decode with tcb())
  uint64_t platform_info = 0;                   // 0x40
  uint32_t key_info = 0;                        // 0x48 (0x4C..0x4F reserved)
  std::array<uint8_t, 64> report_data{};        // 0x50
  std::array<uint8_t, 48> measurement{};        // 0x90
  std::array<uint8_t, 32> host_data{};          // 0xC0
  std::array<uint8_t, 48> id_key_digest{};      // 0xE0
  std::array<uint8_t, 48> author_key_digest{};  // 0x110
  std::array<uint8_t, 32> report_id{};          // 0x140
  std::array<uint8_t, 32> report_id_ma{};       // 0x160
  uint64_t reported_tcb = 0;                    // 0x180
  uint8_t cpuid_fam_id = 0;                     // 0x188 (version 3+)
  uint8_t cpuid_mod_id = 0;                     // 0x189 (version 3+)
  uint8_t cpuid_step = 0;                       // 0x18A (version 3+)
  std::array<uint8_t, 64> chip_id{};            // 0x1A0
  uint64_t committed_tcb = 0;                   // 0x1E0
  uint8_t current_build = 0, current_minor = 0, current_major = 0;        // 0x1E8..0x1EA
  uint8_t committed_build = 0, committed_minor = 0, committed_major = 0;  // 0x1EC..0x1EE
  uint64_t launch_tcb = 0;                                                // 0x1F0
  uint64_t launch_mit_vector = 0;                                         // 0x1F8 (version 5+)
  uint64_t current_mit_vector = 0;                                        // 0x200 (version 5+)
  std::array<uint8_t, kReportSigComponentSize> signature_r{};             // 0x2A0, little-endian
  std::array<uint8_t, kReportSigComponentSize> signature_s{};             // 0x2E8, little-endian

  // Throws InputError naming `what` when the size is not 0x4A0 or the version is not an SNP
  // report (0 and 1 are not; 2 and later are).
  static AttestationReport parse(ByteSpan bytes, std::string_view what);
  Bytes serialize() const;

  // The TCB byte order for this report: version 3+ carries the CPUID family (0x1A = Turin and
  // later); a version 2 report is Turin-like when only the first 8 bytes of CHIP_ID are used
  // (virtee/sev's rule).
  TcbLayout tcb_layout() const;
  TcbVersion tcb(uint64_t raw) const { return TcbVersion::decode(raw, tcb_layout()); }

  bool author_key_en() const { return key_info & 1; }
  bool mask_chip_key() const { return (key_info >> 1) & 1; }
  SigningKey signing_key() const { return static_cast<SigningKey>((key_info >> 2) & 7); }
  bool has_cpuid_fields() const { return version >= 3; }
  bool has_mit_vectors() const { return version >= 5; }

  bool operator==(const AttestationReport&) const = default;
};

const char* signing_key_name(uint32_t signing_key_field);

}  // namespace cbit::psp
