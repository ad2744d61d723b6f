// `cbit launch --report-data/--report-out`; launch_report.h has the contract.
#include "cli/launch_report.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/output_file.h"
#include "hw/machine.h"
#include "hw/psp/sev/sim_kds.h"
#include "psp/certs/cert_io.h"
#include "psp/certs/sim_chain.h"
#include "psp/report/tcb_version.h"
#include "sw/host/sev_dev.h"

namespace cbit::cli {

namespace {
constexpr size_t kReportDataSize = 64;
constexpr size_t kReportSize = 0x4A0;
const char* const kFiles[] = {"report.bin", "vcek.pem", "vlek.pem",
                              "ask.pem",    "asvk.pem", "ark.pem"};

// The hex between "-----BEGIN SNP <what>-----" and "-----END SNP <what>-----"; nullopt if absent.
std::optional<Bytes> section(const std::string& out, const std::string& what) {
  const std::string b = "-----BEGIN SNP " + what + "-----\n";
  const std::string e = "-----END SNP " + what + "-----";
  const auto p = out.find(b);
  if (p == std::string::npos) return std::nullopt;
  const auto q = out.find(e, p + b.size());
  if (q == std::string::npos)
    throw InputError(fmt::format("guest program output: the {} section is not closed", what));
  std::string hex;
  for (char c : out.substr(p + b.size(), q - p - b.size()))
    if (c != '\n') hex += c;
  return from_hex(hex, "guest program output " + what);
}
}  // namespace

Bytes host_cert_table(const hw::Machine& m, sw::host::SevDev& dev, std::optional<uint64_t> seed) {
  const auto chip = hw::psp::sev::sim_kds_chip(seed, m.cpu_model(), psp::generate_rsa4096(),
                                               psp::generate_rsa4096());
  if (!chip) return {};
  sw::host::sev_user_data_snp_status st{};
  int err = 0;
  if (dev.snp_platform_status(&st, &err) != 0) return {};
  const auto tcb = psp::TcbVersion::decode(st.reported_tcb_version, chip->product().layout);
  const auto vcek = chip->vcek_cert(tcb);
  return psp::snp::cert_table_build(
      {{psp::snp::cert_guid_vcek(), psp::certificate_der(vcek.get())},
       {psp::snp::cert_guid_ask(), psp::certificate_der(chip->ask())},
       {psp::snp::cert_guid_ark(), psp::certificate_der(chip->ark())}});
}

Bytes parse_report_data(const std::string& hex) {
  std::string h = hex;
  if (h.rfind("0x", 0) == 0 || h.rfind("0X", 0) == 0) h = h.substr(2);
  Bytes d = from_hex(h, "--report-data");
  if (d.size() > kReportDataSize)
    throw InputError(fmt::format("--report-data: {} bytes, REPORT_DATA holds at most {}", d.size(),
                                 kReportDataSize));
  d.resize(kReportDataSize, 0);
  return d;
}

void prepare_report_out(const std::string& dir) {
  if (dir.empty()) throw InputError("--report-out: an empty directory name");
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode))
      throw InputError(fmt::format(
          "--report-out {}: a symbolic link; name the directory it points to instead", dir));
    if (!S_ISDIR(st.st_mode))
      throw InputError(fmt::format("--report-out {}: exists and is not a directory", dir));
  } else if (errno == ENOENT) {
    if (::mkdir(dir.c_str(), 0755) != 0)
      throw InputError(fmt::format("--report-out {}: {}", dir, std::strerror(errno)));
  } else {
    throw InputError(fmt::format("--report-out {}: {}", dir, std::strerror(errno)));
  }
  for (const char* f : kFiles) {
    const std::string p = dir + "/" + f;
    if (::lstat(p.c_str(), &st) != 0) continue;
    if (!S_ISREG(st.st_mode))
      throw InputError(fmt::format(
          "--report-out: {} exists and is not a regular file (a symbolic link, FIFO, device or "
          "directory); remove it or choose another directory",
          p));
  }
}

GuestReportOutput parse_guest_report_output(const std::string& output) {
  GuestReportOutput r;
  auto rep = section(output, "REPORT");
  if (!rep) throw InputError("guest program output: no report (no BEGIN SNP REPORT section)");
  if (rep->size() != kReportSize)
    throw InputError(
        fmt::format("guest program output: a {}-byte report, want {}", rep->size(), kReportSize));
  r.report = std::move(*rep);
  if (auto t = section(output, "CERT TABLE")) {
    std::string why;
    auto certs = psp::snp::cert_table_parse(*t, &why);
    if (!certs) throw InputError("guest program output: certificate table: " + why);
    r.certs = std::move(*certs);
  }
  return r;
}

std::vector<std::string> write_report_out(const std::string& dir, const GuestReportOutput& out) {
  std::vector<std::string> written;
  const bool vlek = [&] {
    for (const auto& c : out.certs)
      if (c.guid == psp::snp::cert_guid_vlek()) return true;
    return false;
  }();
  const auto put = [&](const std::string& name, ByteSpan data) {
    const std::string p = dir + "/" + name;
    write_output_file(p, data, 0644);
    written.push_back(p);
  };
  put("report.bin", out.report);
  for (const auto& c : out.certs) {
    const std::string kind = psp::snp::cert_guid_name(c.guid);
    std::string file;
    if (kind == "VCEK") file = "vcek.pem";
    if (kind == "VLEK") file = "vlek.pem";
    if (kind == "ASK") file = vlek ? "asvk.pem" : "ask.pem";
    if (kind == "ARK") file = "ark.pem";
    if (file.empty()) continue;  // CRL or an unknown GUID: snpguest keeps no PEM of those
    const auto x = psp::parse_certificate(c.data, "the host's " + kind + " certificate");
    put(file, as_bytes(psp::certificate_pem(x.get())));
  }
  return written;
}

}  // namespace cbit::cli
