// `cbit launch --mode snp --report-data HEX --report-out DIR` (issue 10 §2): the launched guest
// runs examples/guest/snp_report.elf, which asks for an extended attestation report through
// /dev/sev-guest (the guest driver, the GHCB, KVM, SNP_GUEST_REQUEST); the host collects what
// the program printed and writes DIR/report.bin (the 0x4A0-byte report) and the certificate
// chain the VMM served with it in snpguest's layout (`snpguest certificates pem DIR`):
// DIR/vcek.pem (or vlek.pem), ask.pem (asvk.pem for a VLEK), ark.pem.
//
// Output rules (common/output_file.h, plus): DIR is created if missing (0755); an existing DIR
// that is not a directory, or a symbolic link, is refused; each file in DIR that exists must be
// a regular file (a symlink, FIFO, device or directory there is refused before anything is
// written). REPORT_DATA is hex of at most 64 bytes, zero-padded to 64.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "psp/snp/cert_table.h"

namespace cbit::hw {
class Machine;
}
namespace cbit::sw::host {
class SevDev;
}

namespace cbit::cli {

// The certificate table the VMM serves extended guest requests with: what the host fetched from
// the KDS stand-in (hw/psp/sev/sim_kds.h) for this machine: the VCEK for the platform's
// REPORTED_TCB (SNP_PLATFORM_STATUS), the product's ASK and ARK (fresh RSA-4096 keys), DER, laid
// out by psp/snp/cert_table.h. Empty when the KDS knows no such chip (an unseeded machine: the
// real KDS answers 404 for a chip it has no record of).
Bytes host_cert_table(const hw::Machine& m, sw::host::SevDev& dev, std::optional<uint64_t> seed);

// --report-data: 64 bytes; InputError for bad hex or more than 64 bytes.
Bytes parse_report_data(const std::string& hex);

// Checks (and creates) DIR and its future files; InputError naming the refused path.
void prepare_report_out(const std::string& dir);

// What snp_report.elf printed: the report and the certificate table (empty when none).
struct GuestReportOutput {
  Bytes report;
  std::vector<psp::snp::CertEntry> certs;
};
// InputError when the output has no report section or a malformed one.
GuestReportOutput parse_guest_report_output(const std::string& output);

// Writes report.bin and the chain's PEM files; returns the paths written.
std::vector<std::string> write_report_out(const std::string& dir, const GuestReportOutput& out);

}  // namespace cbit::cli
