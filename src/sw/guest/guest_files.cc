// A guest program's open files; guest_files.h has the contract.
#include "sw/guest/guest_files.h"

#include <cerrno>

#include "sw/guest/kernel.h"
#include "sw/guest/sev_guest.h"
#include "sw/guest/tsm_report.h"

namespace cbit::sw::guest {

namespace {
constexpr size_t kMaxFiles = 64;
constexpr const char* kSevGuestDev = "/dev/sev-guest";
// Directories that exist (configfs-tsm's parents) but hold nothing a program may open.
bool is_fixed_dir(const std::string& p) {
  return p == "/" || p == "/dev" || p == "/sys" || p == "/sys/kernel" ||
         p == "/sys/kernel/config" || p == "/sys/kernel/config/tsm" || p == kTsmReportDir;
}
}  // namespace

std::string normalize_path(const std::string& path) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    const size_t j = path.find('/', i);
    const std::string part = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (!part.empty() && part != ".") out += "/" + part;
    i = j == std::string::npos ? path.size() : j;
  }
  return out.empty() ? "/" : out;
}

bool GuestFiles::tsm_path(const std::string& path, std::string* report, std::string* attr) {
  const std::string prefix = std::string(kTsmReportDir) + "/";
  if (path.rfind(prefix, 0) != 0) return false;
  const std::string rest = path.substr(prefix.size());
  const size_t slash = rest.find('/');
  *report = rest.substr(0, slash);
  *attr = slash == std::string::npos ? "" : rest.substr(slash + 1);
  return !report->empty() && attr->find('/') == std::string::npos;
}

GuestFiles::~GuestFiles() { close_all(); }

int64_t GuestFiles::open(const std::string& raw, int flags) {
  if (raw.empty()) return -ENOENT;
  const std::string path = normalize_path(raw);
  const int acc = flags & O_ACCMODE_;
  const bool wr = acc == O_WRONLY_ || acc == O_RDWR_, rd = acc != O_WRONLY_;
  File f{};
  f.flags = flags;
  std::string report, attr;
  if (path == kSevGuestDev) {
    int err = 0;
    if (!k_.sev_guest(&err)) return -ENOENT;  // no driver bound: no device node
    f.kind = File::Kind::SevGuest;
  } else if (is_fixed_dir(path)) {
    if (wr) return -EISDIR;
    f.kind = File::Kind::Dir;
  } else if (tsm_path(path, &report, &attr)) {
    TsmReports& t = k_.tsm();
    if (!t.exists(report)) return -ENOENT;
    if (attr.empty()) {
      if (wr) return -EISDIR;
      f.kind = File::Kind::Dir;
    } else {
      if (!TsmReports::is_attr(attr)) return -ENOENT;
      if ((rd && !TsmReports::readable(attr)) || (wr && !TsmReports::writable(attr)))
        return -EACCES;
      f.kind = File::Kind::TsmAttr;
      f.report = report;
      f.attr = attr;
    }
  } else {
    return -ENOENT;
  }
  if (files_.size() >= kMaxFiles) return -EMFILE;
  int64_t fd = 3;
  while (files_.count(fd)) ++fd;
  files_.emplace(fd, std::move(f));
  return fd;
}

int64_t GuestFiles::close(int64_t fd) {
  auto it = files_.find(fd);
  if (it == files_.end()) return -EBADF;
  File f = std::move(it->second);
  files_.erase(it);
  // configfs_release_bin_file(): the buffered write reaches the attribute now.
  if (f.kind == File::Kind::TsmAttr && f.dirty && TsmReports::is_binary(f.attr))
    return k_.tsm().write_attr(f.report, f.attr, f.buf);
  return 0;
}

void GuestFiles::close_all() {
  while (!files_.empty()) close(files_.begin()->first);
}

int64_t GuestFiles::read(int64_t fd, Bytes* out, uint64_t count) {
  auto it = files_.find(fd);
  if (it == files_.end()) return -EBADF;
  File& f = it->second;
  if ((f.flags & O_ACCMODE_) == O_WRONLY_) return -EBADF;
  switch (f.kind) {
    case File::Kind::SevGuest:
      return -EINVAL;
    case File::Kind::Dir:
      return -EISDIR;
    case File::Kind::TsmAttr:
      break;
  }
  if (!f.filled) {
    if (const int rc = k_.tsm().read_attr(f.report, f.attr, &f.buf)) return rc;
    f.filled = true;
  }
  const uint64_t n = f.pos >= f.buf.size() ? 0 : std::min<uint64_t>(count, f.buf.size() - f.pos);
  out->assign(f.buf.begin() + static_cast<ptrdiff_t>(f.pos),
              f.buf.begin() + static_cast<ptrdiff_t>(f.pos + n));
  f.pos += n;
  return static_cast<int64_t>(n);
}

int64_t GuestFiles::write(int64_t fd, ByteSpan in) {
  auto it = files_.find(fd);
  if (it == files_.end()) return -EBADF;
  File& f = it->second;
  if ((f.flags & O_ACCMODE_) == 0) return -EBADF;
  if (f.kind != File::Kind::TsmAttr) return -EINVAL;
  if (TsmReports::is_binary(f.attr)) {
    // configfs_bin_write_iter(): into the buffer at the file position, up to the attribute's
    // maximum (-EFBIG past it).
    if (f.pos + in.size() > TSM_INBLOB_MAX) return -EFBIG;
    if (f.buf.size() < f.pos + in.size()) f.buf.resize(f.pos + in.size());
    std::copy(in.begin(), in.end(), f.buf.begin() + static_cast<ptrdiff_t>(f.pos));
    f.pos += in.size();
    f.dirty = true;
    return static_cast<int64_t>(in.size());
  }
  // A text attribute's store() runs at each write.
  if (const int rc = k_.tsm().write_attr(f.report, f.attr, in)) return rc;
  return static_cast<int64_t>(in.size());
}

int64_t GuestFiles::ioctl(int64_t fd, uint32_t cmd, uint64_t arg, x86::GuestMemory& user) {
  auto it = files_.find(fd);
  if (it == files_.end()) return -EBADF;
  if (it->second.kind != File::Kind::SevGuest) return -ENOTTY;
  int err = 0;
  SevGuestDevice* d = k_.sev_guest(&err);
  if (!d) return err;
  return d->ioctl(cmd, arg, user);
}

int64_t GuestFiles::mkdir(const std::string& raw) {
  const std::string path = normalize_path(raw);
  if (is_fixed_dir(path) || path == kSevGuestDev) return -EEXIST;
  std::string report, attr;
  if (!tsm_path(path, &report, &attr)) return -ENOENT;
  if (!attr.empty()) return k_.tsm().exists(report) ? -EPERM : -ENOENT;
  return k_.tsm().mkdir(report);
}

int64_t GuestFiles::rmdir(const std::string& raw) {
  const std::string path = normalize_path(raw);
  if (is_fixed_dir(path)) return -EBUSY;
  std::string report, attr;
  if (!tsm_path(path, &report, &attr) || !attr.empty()) return -ENOENT;
  return k_.tsm().rmdir(report);
}

}  // namespace cbit::sw::guest
