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
  f.path = path;
  std::string report, attr;
  if (!disk_path_.empty() && path == disk_path_) {
    if (wr) return -EROFS;
    f.kind = File::Kind::Disk;
  } else if (path == kSevGuestDev) {
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
    case File::Kind::Disk: {
      const uint64_t n =
          f.pos >= disk_bytes_.size() ? 0 : std::min<uint64_t>(count, disk_bytes_.size() - f.pos);
      out->assign(disk_bytes_.begin() + static_cast<ptrdiff_t>(f.pos),
                  disk_bytes_.begin() + static_cast<ptrdiff_t>(f.pos + n));
      f.pos += n;
      return static_cast<int64_t>(n);
    }
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

void GuestFiles::set_disk_file(const std::string& name, Bytes contents) {
  disk_path_ = normalize_path("/" + name);
  disk_bytes_ = std::move(contents);
}

int64_t GuestFiles::lseek(int64_t fd, int64_t offset, int whence) {
  auto it = files_.find(fd);
  if (it == files_.end()) return -EBADF;
  File& f = it->second;
  if (f.kind == File::Kind::SevGuest) return -ESPIPE;  // a misc device without llseek
  const int64_t end = f.kind == File::Kind::Disk ? static_cast<int64_t>(disk_bytes_.size())
                                                 : static_cast<int64_t>(f.buf.size());
  int64_t base;
  switch (whence) {
    case 0:
      base = 0;
      break;
    case 1:
      base = static_cast<int64_t>(f.pos);
      break;
    case 2:
      base = end;
      break;
    default:
      return -EINVAL;
  }
  int64_t pos;
  if (__builtin_add_overflow(base, offset, &pos) || pos < 0) return -EINVAL;
  f.pos = static_cast<uint64_t>(pos);
  return pos;
}

int64_t GuestFiles::mmap_file(int64_t fd, const Bytes** bytes) const {
  const auto it = files_.find(fd);
  if (it == files_.end()) return -EBADF;
  if ((it->second.flags & O_ACCMODE_) == O_WRONLY_) return -EACCES;
  if (it->second.kind != File::Kind::Disk) return -ENODEV;
  *bytes = &disk_bytes_;
  return 0;
}

int64_t GuestFiles::stat(const std::string& raw, FileStat* st) const {
  const std::string path = normalize_path(raw);
  *st = FileStat{};
  st->dev = 0x800;  // the disk's block device (8:0), for every file here
  std::string report, attr;
  if (!disk_path_.empty() && path == disk_path_) {
    st->ino = 12;
    st->mode = S_IFREG_ | 0755;
    st->size = static_cast<int64_t>(disk_bytes_.size());
    st->blocks = (st->size + 511) / 512;
  } else if (path == kSevGuestDev) {
    int err = 0;
    if (!k_.sev_guest(&err)) return -ENOENT;
    st->ino = 13;
    st->mode = S_IFCHR_ | 0600;
    st->rdev = (10u << 8) | 125;  // a misc device (major 10)
  } else if (is_fixed_dir(path)) {
    st->ino = 2;
    st->nlink = 2;
    st->mode = S_IFDIR_ | 0755;
  } else if (tsm_path(path, &report, &attr) && k_.tsm().exists(report) &&
             (attr.empty() || TsmReports::is_attr(attr))) {
    st->ino = 100;
    st->mode = attr.empty() ? S_IFDIR_ | 0755 : S_IFREG_ | 0644;
  } else {
    return -ENOENT;
  }
  return 0;
}

int64_t GuestFiles::fstat(int64_t fd, FileStat* st) const {
  auto it = files_.find(fd);
  if (it == files_.end()) return -EBADF;
  return stat(it->second.path, st);
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
