#include "common/output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace cbit {

namespace {

std::atomic<TempSuffixSource> g_suffix_source{nullptr};

std::string random_suffix(unsigned attempt) {
  if (const TempSuffixSource s = g_suffix_source.load()) return s(attempt);
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  uint8_t raw[10] = {};
  if (::getrandom(raw, sizeof raw, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof raw)) {
    // No entropy yet (early boot): the name only has to differ between tries; O_EXCL keeps it
    // safe whatever it is.
    static std::atomic<uint64_t> counter{0};
    const uint64_t v = (static_cast<uint64_t>(::getpid()) << 32) ^ ++counter ^ attempt;
    std::memcpy(raw, &v, sizeof v);
  }
  std::string s;
  for (uint8_t b : raw) s.push_back(kAlphabet[b % (sizeof kAlphabet - 1)]);
  return s;
}

mode_t process_umask() {
  // umask(2) can only be read by setting it; once, before cbit starts threads that create files.
  static const mode_t m = [] {
    const mode_t old = ::umask(022);
    ::umask(old);
    return old;
  }();
  return m;
}

bool parse_fd(std::string_view digits, int& fd) {
  if (digits.empty() || digits.size() > 9) return false;
  int v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  fd = v;
  return true;
}

std::string display_name(const std::string& path) { return path == "-" ? "stdout" : path; }

// Linux's fs.protected_regular and fs.protected_fifos, for every kind of target and whatever the
// sysctls say: in a world-writable sticky directory (/tmp, /dev/shm), a file owned neither by
// this user nor by the directory's owner was put there by someone else. Writing into it (their
// FIFO, a device node) or replacing it with a file that keeps its owner would hand them the
// output; a root-run `cbit launch --dump /tmp/guest.core` must not give a guest's memory away.
void refuse_foreign_in_shared_dir(const std::string& path, const struct stat& st) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  struct stat ds {};
  if (::stat(dir.c_str(), &ds) != 0) return;
  if (!(ds.st_mode & S_ISVTX) || !(ds.st_mode & S_IWOTH)) return;
  if (st.st_uid == ::geteuid() || st.st_uid == ds.st_uid) return;
  throw InputError(fmt::format(
      "{}: belongs to another user (uid {}) in the shared directory {}; cbit does not write to "
      "it (remove it or choose another name)",
      path, st.st_uid, dir));
}

}  // namespace

int output_fd_alias(const std::string& path) {
  if (path == "-" || path == "/dev/stdout") return STDOUT_FILENO;
  if (path == "/dev/stderr") return STDERR_FILENO;
  int fd = -1;
  for (std::string_view prefix : {"/dev/fd/", "/proc/self/fd/"})
    if (path.rfind(prefix, 0) == 0 && parse_fd(std::string_view(path).substr(prefix.size()), fd))
      return fd;
  return -1;
}

void set_temp_suffix_source_for_tests(TempSuffixSource source) { g_suffix_source.store(source); }

OutputFile::OutputFile(std::string path, mode_t new_mode) : path_(std::move(path)) {
  if (path_.empty()) throw InputError("output file name: empty");
  if (const int fd = output_fd_alias(path_); fd >= 0) {
    const int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
      throw InputError(display_name(path_) + ": not open for writing");
    fd_ = fd;
    borrowed_fd_ = true;
    return;
  }
  struct stat st {};
  if (::lstat(path_.c_str(), &st) != 0) {
    if (errno != ENOENT) fail("cannot write", errno);
    open_temp(false, new_mode & ~process_umask() & 0777, 0, 0);
    return;
  }
  if (S_ISLNK(st.st_mode))
    throw InputError(path_ +
                     ": is a symbolic link; cbit does not follow a link at an output path "
                     "(name the file it points to)");
  if (S_ISDIR(st.st_mode)) throw InputError(path_ + ": is a directory");
  refuse_foreign_in_shared_dir(path_, st);
  if (S_ISREG(st.st_mode)) {
    // The shell's `>` would refuse a file the user may not write; so does a replacement.
    if (::faccessat(AT_FDCWD, path_.c_str(), W_OK, AT_EACCESS) != 0) fail("cannot write", errno);
    open_temp(true, st.st_mode & 0777, st.st_uid, st.st_gid);
    return;
  }
  // A device, FIFO or socket: write through. No O_CREAT, no O_TRUNC; O_NOFOLLOW in case a link
  // replaced it since lstat.
  const int fd = ::open(path_.c_str(), O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENXIO)
      throw InputError(path_ + ": cannot write: a socket or device without a driver");
    fail("cannot write", errno);
  }
  struct stat now {};
  if (::fstat(fd, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
    ::close(fd);
    throw InputError(path_ + ": replaced by another file while being opened");
  }
  fd_ = fd;
}

void OutputFile::open_temp(bool existed, mode_t mode, uid_t uid, gid_t gid) {
  const std::string name = std::filesystem::path(path_).filename().string();
  if (name.empty() || name == "." || name == "..") throw InputError(path_ + ": not a file name");
  // Beside the target (same file system, so rename(2) is atomic); the name kept short enough
  // for NAME_MAX with the suffix.
  const std::string prefix = path_.substr(0, path_.size() - name.size()) +
                             name.substr(0, std::min<size_t>(name.size(), 200)) + ".cbit-tmp.";
  for (unsigned attempt = 0; attempt < 100; ++attempt) {
    std::string candidate = prefix + random_suffix(attempt);
    // Created and registered for signal cleanup as one step.
    SignalBlock block;
    // O_EXCL: fails on anything already there, a symbolic link included (never followed).
    const int fd =
        ::open(candidate.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      fail("cannot write", errno);
    }
    cleanup_ = CleanupRegistration(candidate, CleanupKind::File);
    fd_ = fd;
    temp_ = std::move(candidate);
    final_mode_ = mode;
    keep_owner_ = existed;
    uid_ = uid;
    gid_ = gid;
    return;
  }
  throw InputError(path_ + ": cannot write: no free temporary name beside it after 100 tries");
}

OutputFile::~OutputFile() {
  if (fd_ >= 0 && !borrowed_fd_) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void OutputFile::fail(const char* what, int err) const {
  throw InputError(fmt::format("{}: {}: {}", display_name(path_), what, std::strerror(err)));
}

void OutputFile::write_fully(const uint8_t* p, size_t n, int64_t offset) {
  CBIT_ASSERT(fd_ >= 0 && !committed_);
  if (borrowed_fd_ && fd_ == STDOUT_FILENO) std::fflush(stdout);  // what was printed comes first
  for (size_t done = 0; done < n;) {
    const ssize_t w = offset < 0 ? ::write(fd_, p + done, n - done)
                                 : ::pwrite(fd_, p + done, n - done, offset + int64_t(done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("write failed", w < 0 ? errno : EIO);
    done += static_cast<size_t>(w);
  }
}

void OutputFile::write(ByteSpan data) { write_at(end_, data); }

void OutputFile::write_at(uint64_t offset, ByteSpan data) {
  if (!temp_.empty()) {
    write_fully(data.data(), data.size(), static_cast<int64_t>(offset));
    end_ = std::max(end_, offset + data.size());
    return;
  }
  CBIT_ASSERT(offset >= end_);  // a stream cannot go back
  extend_to(offset);
  write_fully(data.data(), data.size(), -1);
  end_ += data.size();
}

void OutputFile::extend_to(uint64_t size) {
  if (size <= end_) return;
  if (!temp_.empty()) {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) fail("write failed", errno);
    end_ = size;
    return;
  }
  static const uint8_t zeros[64 << 10] = {};
  while (end_ < size) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof zeros, size - end_));
    write_fully(zeros, n, -1);
    end_ += n;
  }
}

void OutputFile::commit() {
  CBIT_ASSERT(!committed_);
  if (temp_.empty()) {
    if (!borrowed_fd_) {
      const int fd = fd_;
      fd_ = -1;
      if (::close(fd) != 0 && errno != EINTR) fail("write failed", errno);
    }
    committed_ = true;
    return;
  }
  // The replacement looks like what it replaces: owner (only root can give a file away; for
  // anyone else the file is theirs already) and permission bits.
  if (keep_owner_ && ::geteuid() == 0) (void)::fchown(fd_, uid_, gid_);
  if (::fchmod(fd_, final_mode_) != 0) fail("cannot write", errno);
  if (::fsync(fd_) != 0) fail("write failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("write failed", errno);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) fail("cannot write", errno);
  committed_ = true;
  cleanup_.release();
}

void write_output_file(const std::string& path, ByteSpan data, mode_t new_mode) {
  OutputFile f(path, new_mode);
  f.write(data);
  f.commit();
}

FileIdentity identify_file(const std::string& path) {
  FileIdentity id;
  struct stat st {};
  const int fd = output_fd_alias(path);
  if (fd >= 0 ? ::fstat(fd, &st) == 0 : ::stat(path.c_str(), &st) == 0) {
    id.exists = true;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    id.is_dev_null = S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
    return id;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) p = path;
  const fs::path canon = fs::weakly_canonical(p, ec);  // resolves the part that exists
  id.normalized = (ec ? p : canon).lexically_normal().string();
  return id;
}

void refuse_same_file(const std::vector<FileArg>& args) {
  std::vector<FileIdentity> ids;
  ids.reserve(args.size());
  for (const auto& a : args) ids.push_back(a.path.empty() ? FileIdentity{} : identify_file(a.path));
  for (size_t i = 0; i < args.size(); ++i) {
    for (size_t j = i + 1; j < args.size(); ++j) {
      const FileArg &a = args[i], &b = args[j];
      if (a.path.empty() || b.path.empty() || (!a.output && !b.output)) continue;
      const FileIdentity &x = ids[i], &y = ids[j];
      const bool same = x.exists && y.exists
                            ? x.dev == y.dev && x.ino == y.ino
                            : !x.exists && !y.exists && x.normalized == y.normalized;
      if (!same || x.is_dev_null) continue;  // /dev/null discards any number of outputs
      const FileArg& out = a.output ? a : b;
      const FileArg& other = a.output ? b : a;
      throw InputError(fmt::format(
          "{} {}: the same file as {}{} {} ({})", out.flag, out.path,
          other.output ? "" : "the input ", other.flag, other.path,
          other.output ? "give each output its own file" : "an output may not replace an input"));
    }
  }
}

}  // namespace cbit
