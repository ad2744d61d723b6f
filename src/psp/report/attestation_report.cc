#include "psp/report/attestation_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace cbit::psp {

namespace {

// Reads or writes every field at its offset; one table for both directions keeps the two in
// step. `Io` is either a reader (copies out of the buffer) or a writer (copies into it).
template <typename Io>
void walk(AttestationReport& r, Io&& io) {
  io(0x00, r.version);
  io(0x04, r.guest_svn);
  io(0x08, r.policy);
  io(0x10, r.family_id);
  io(0x20, r.image_id);
  io(0x30, r.vmpl);
  io(0x34, r.signature_algo);
  io(0x38, r.current_tcb);
  io(0x40, r.platform_info);
  io(0x48, r.key_info);
  io(0x50, r.report_data);
  io(0x90, r.measurement);
  io(0xC0, r.host_data);
  io(0xE0, r.id_key_digest);
  io(0x110, r.author_key_digest);
  io(0x140, r.report_id);
  io(0x160, r.report_id_ma);
  io(0x180, r.reported_tcb);
  io(0x188, r.cpuid_fam_id);
  io(0x189, r.cpuid_mod_id);
  io(0x18A, r.cpuid_step);
  io(0x1A0, r.chip_id);
  io(0x1E0, r.committed_tcb);
  io(0x1E8, r.current_build);
  io(0x1E9, r.current_minor);
  io(0x1EA, r.current_major);
  io(0x1EC, r.committed_build);
  io(0x1ED, r.committed_minor);
  io(0x1EE, r.committed_major);
  io(0x1F0, r.launch_tcb);
  io(0x1F8, r.launch_mit_vector);
  io(0x200, r.current_mit_vector);
  io(kReportSigROffset, r.signature_r);
  io(kReportSigSOffset, r.signature_s);
}

}  // namespace

AttestationReport AttestationReport::parse(ByteSpan bytes, std::string_view what) {
  if (bytes.size() != kReportSize)
    throw InputError(
        fmt::format("{}: {} bytes; an SNP attestation report is exactly {} (0x{:X}) bytes", what,
                    bytes.size(), kReportSize, kReportSize));
  AttestationReport r;
  walk(r, [&](size_t off, auto& field) { std::memcpy(&field, bytes.data() + off, sizeof(field)); });
  if (r.version < 2)
    throw InputError(fmt::format(
        "{}: report version {} is not an SNP attestation report (SNP reports are version 2 "
        "and later)",
        what, r.version));
  // Fields a version does not have are reserved (zero) there; keep them zero in the struct so
  // a version-2 report never shows CPUID or mitigation values.
  if (!r.has_cpuid_fields()) r.cpuid_fam_id = r.cpuid_mod_id = r.cpuid_step = 0;
  if (!r.has_mit_vectors()) r.launch_mit_vector = r.current_mit_vector = 0;
  return r;
}

Bytes AttestationReport::serialize() const {
  Bytes out(kReportSize, 0);
  AttestationReport copy = *this;
  walk(copy,
       [&](size_t off, auto& field) { std::memcpy(out.data() + off, &field, sizeof(field)); });
  return out;
}

TcbLayout AttestationReport::tcb_layout() const {
  if (has_cpuid_fields() && cpuid_fam_id != 0)
    return cpuid_fam_id >= 0x1A ? TcbLayout::Turin : TcbLayout::MilanGenoa;
  const bool all_zero = std::all_of(chip_id.begin(), chip_id.end(), [](uint8_t b) { return !b; });
  const bool tail_zero =
      std::all_of(chip_id.begin() + 8, chip_id.end(), [](uint8_t b) { return !b; });
  return (!all_zero && tail_zero) ? TcbLayout::Turin : TcbLayout::MilanGenoa;
}

const char* signing_key_name(uint32_t field) {
  switch (field) {
    case 0:
      return "vcek";
    case 1:
      return "vlek";
    case 7:
      return "none";
    default:
      return "unknown";
  }
}

}  // namespace cbit::psp
