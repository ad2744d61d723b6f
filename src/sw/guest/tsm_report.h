// configfs-tsm's report entries (Linux drivers/virt/coco/tsm.c / tsm-report.c;
// Documentation/ABI/testing/configfs-tsm; SNP-FACTS.md §3.4), with the sev-guest driver as the
// provider (sev_report_new).
//
// /sys/kernel/config/tsm/report/$name/ is made by mkdir and holds:
//   inblob           WO binary, at most 64 bytes (TSM_INBLOB_MAX; more is -EFBIG): REPORT_DATA.
//   outblob          RO binary: the attestation report (MSG_REPORT_RSP's REPORT_SIZE bytes).
//   auxblob          RO binary: the certificate table and certificates, empty when the host
//                    supplied none.
//   provider         RO "sev_guest\n".
//   generation       RO "%lu\n": bumped by every write of inblob or privlevel.
//   privlevel        WO 0..3, not below privlevel_floor (-EINVAL): the report's VMPL.
//   privlevel_floor  RO "%u\n": the VMPCK the driver uses.
// Reading outblob or auxblob runs the provider once per generation (the blobs are cached until
// the next write). The provider makes an extended report request with a SEV_FW_BLOB_MAX_SIZE
// certificate buffer; an inblob that is not exactly 64 bytes is -EINVAL, a disabled VMPCK
// -ENOTTY, a firmware or VMM error -EIO, a report whose STATUS is not success -EIO.
//
// Binary attributes follow configfs: a write is buffered by the open file and committed when
// the file is closed (TsmReports::write_attr receives the whole buffer); a read fills the
// file's buffer once (read_attr) and serves offsets from it.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/bytes.h"

namespace cbit::sw::guest {

class GuestKernel;

inline constexpr const char* kTsmReportDir = "/sys/kernel/config/tsm/report";
inline constexpr size_t TSM_INBLOB_MAX = 64;
inline constexpr unsigned TSM_PRIVLEVEL_MAX = 3;

class TsmReports {
 public:
  explicit TsmReports(GuestKernel& k) : k_(k) {}

  // mkdir/rmdir of report/$name: 0, -EEXIST, -ENOENT, -EINVAL (a name with '/', "." or "..").
  int mkdir(const std::string& name);
  int rmdir(const std::string& name);
  bool exists(const std::string& name) const { return reports_.count(name) != 0; }
  // Whether `attr` is one of the entry's attributes, and whether it may be read / written.
  static bool is_attr(const std::string& attr);
  static bool readable(const std::string& attr);
  static bool writable(const std::string& attr);
  static bool is_binary(const std::string& attr);
  // show()/read of an attribute: 0 with *out, or -errno (the provider's error for outblob).
  int read_attr(const std::string& name, const std::string& attr, Bytes* out);
  // store()/write of an attribute: 0, or -errno.
  int write_attr(const std::string& name, const std::string& attr, ByteSpan in);

 private:
  struct Report {
    Bytes inblob;
    unsigned privlevel = 0;
    uint64_t write_generation = 0;
    std::optional<uint64_t> read_generation;
    Bytes outblob, auxblob;
  };
  int generate(Report& r);
  unsigned privlevel_floor();

  GuestKernel& k_;
  std::map<std::string, Report> reports_;
};

}  // namespace cbit::sw::guest
