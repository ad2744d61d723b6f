// TCB_VERSION: the 8-byte security-version vector in an SNP attestation report (CURRENT_TCB,
// REPORTED_TCB, COMMITTED_TCB, LAUNCH_TCB) and in the VCEK's extensions.
//
// The byte order depends on the generation (SPEC-FACTS.md "SNP attestation report"; virtee/sev
// TcbVersion): Milan and Genoa [bootloader, tee, 0, 0, 0, 0, snp, microcode]; Turin and later
// [fmc, bootloader, tee, snp, 0, 0, 0, microcode].
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace cbit::psp {

enum class TcbLayout { MilanGenoa, Turin };

const char* tcb_layout_name(TcbLayout layout);

struct TcbVersion {
  std::optional<uint8_t> fmc;  // Turin and later only
  uint8_t bootloader = 0;
  uint8_t tee = 0;
  uint8_t snp = 0;
  uint8_t microcode = 0;

  // `raw` is the little-endian u64 as stored in the report (byte 0 = least significant).
  static TcbVersion decode(uint64_t raw, TcbLayout layout);
  uint64_t encode(TcbLayout layout) const;
  bool operator==(const TcbVersion&) const = default;
};

// "bl=3 tee=0 snp=8 ucode=115" (plus "fmc=N" when present): one line for messages.
std::string to_string(const TcbVersion& tcb);

}  // namespace cbit::psp
