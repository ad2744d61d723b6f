// configfs-tsm report entries; tsm_report.h has the contract.
#include "sw/guest/tsm_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "sw/guest/kernel.h"
#include "sw/guest/sev_guest.h"

namespace cbit::sw::guest {

namespace {
constexpr const char* kDev = "sev-guest sev-guest: ";
constexpr size_t kCertEntrySize = 24;
// struct snp_report_resp header (MSG_REPORT_RSP): u32 status, u32 report_size, rsvd to 0x20.
constexpr size_t kReportRspHeader = 0x20;

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }
}  // namespace

bool TsmReports::is_attr(const std::string& a) {
  return a == "inblob" || a == "outblob" || a == "auxblob" || a == "provider" ||
         a == "generation" || a == "privlevel" || a == "privlevel_floor";
}
bool TsmReports::readable(const std::string& a) {
  return is_attr(a) && a != "inblob" && a != "privlevel";
}
bool TsmReports::writable(const std::string& a) { return a == "inblob" || a == "privlevel"; }
bool TsmReports::is_binary(const std::string& a) {
  return a == "inblob" || a == "outblob" || a == "auxblob";
}

int TsmReports::mkdir(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    return -EINVAL;
  if (reports_.count(name)) return -EEXIST;
  reports_.emplace(name, Report{});
  return 0;
}

int TsmReports::rmdir(const std::string& name) { return reports_.erase(name) ? 0 : -ENOENT; }

unsigned TsmReports::privlevel_floor() {
  const SevGuestDevice* d = k_.sev_guest();
  return d ? d->vmpck_id() : 0;
}

int TsmReports::read_attr(const std::string& name, const std::string& attr, Bytes* out) {
  auto it = reports_.find(name);
  if (it == reports_.end()) return -ENOENT;
  if (!readable(attr)) return -EACCES;
  Report& r = it->second;
  if (attr == "provider") {
    if (!k_.sev_guest()) return -ENXIO;
    *out = text("sev_guest\n");
  } else if (attr == "generation") {
    *out = text(fmt::format("{}\n", r.write_generation));
  } else if (attr == "privlevel_floor") {
    *out = text(fmt::format("{}\n", privlevel_floor()));
  } else {
    if (!r.read_generation || *r.read_generation != r.write_generation) {
      if (const int rc = generate(r)) return rc;
      r.read_generation = r.write_generation;
    }
    *out = attr == "outblob" ? r.outblob : r.auxblob;
  }
  return 0;
}

int TsmReports::write_attr(const std::string& name, const std::string& attr, ByteSpan in) {
  auto it = reports_.find(name);
  if (it == reports_.end()) return -ENOENT;
  if (!writable(attr)) return -EACCES;
  Report& r = it->second;
  if (attr == "inblob") {
    if (in.size() > TSM_INBLOB_MAX) return -EFBIG;
    r.inblob.assign(in.begin(), in.end());
  } else {
    // kstrtouint(buf, 0, &val): decimal (or 0x hex), a trailing newline allowed.
    std::string s(in.begin(), in.end());
    if (!s.empty() && s.back() == '\n') s.pop_back();
    unsigned v = 0;
    int base = 10;
    size_t skip = 0;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) base = 16, skip = 2;
    const auto [p, ec] = std::from_chars(s.data() + skip, s.data() + s.size(), v, base);
    if (s.size() == skip || ec != std::errc() || p != s.data() + s.size()) return -EINVAL;
    if (privlevel_floor() > v || v > TSM_PRIVLEVEL_MAX) return -EINVAL;
    r.privlevel = v;
  }
  ++r.write_generation;
  return 0;
}

// sev_report_new().
int TsmReports::generate(Report& r) {
  if (r.inblob.size() != TSM_INBLOB_MAX) return -EINVAL;
  int err = 0;
  SevGuestDevice* d = k_.sev_guest(&err);
  if (!d) return -ENXIO;
  Bytes req(kSnpReportReqSize, 0);
  std::copy(r.inblob.begin(), r.inblob.end(), req.begin());
  store_le<uint32_t>(req.data() + 64, r.privlevel);
  uint32_t certs_len = static_cast<uint32_t>(SEV_FW_BLOB_MAX_SIZE);
  Bytes certs, resp;
  uint64_t exitinfo2 = SEV_RET_NO_FW_CALL;
  if (const int rc = d->get_ext_report(1, req, &certs_len, &certs, &resp, &exitinfo2)) return rc;
  const uint32_t status = load_le<uint32_t>(resp.data());
  const uint32_t size = load_le<uint32_t>(resp.data() + 4);
  if (status || size > resp.size() - kReportRspHeader) {
    k_.printk(
        fmt::format("{}report request failed, status {:#x} report_size {:#x}", kDev, status, size));
    return -EIO;
  }
  r.outblob.assign(resp.begin() + kReportRspHeader, resp.begin() + kReportRspHeader + size);
  // The certificate data's extent: the furthest offset + length before the terminator.
  uint64_t certs_size = 0;
  size_t i = 0;
  for (; (i + 1) * kCertEntrySize <= certs.size(); ++i) {
    const uint8_t* e = certs.data() + i * kCertEntrySize;
    if (std::all_of(e, e + kCertEntrySize, [](uint8_t b) { return b == 0; })) break;
    certs_size = std::max<uint64_t>(
        certs_size, uint64_t{load_le<uint32_t>(e + 16)} + load_le<uint32_t>(e + 20));
  }
  if (!certs_size && i) k_.printk(fmt::format("{}certificate slots conveyed without size", kDev));
  if (certs_size > certs.size()) {
    k_.printk(fmt::format("{}certificate data truncated", kDev));
    certs_size = certs.size();
  }
  r.auxblob.assign(certs.begin(), certs.begin() + static_cast<ptrdiff_t>(certs_size));
  return 0;
}

}  // namespace cbit::sw::guest
