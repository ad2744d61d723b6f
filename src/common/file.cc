#include "common/file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace cbit {

namespace {

const char* kind_of(mode_t m) {
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISDIR(m)) return "a directory";
  return "not a regular file";
}

}  // namespace

std::string format_size(uint64_t bytes) {
  if (bytes >= (uint64_t(1) << 30) && bytes % (uint64_t(1) << 30) == 0)
    return fmt::format("{} GiB", bytes >> 30);
  if (bytes >= (uint64_t(1) << 20) && bytes % (uint64_t(1) << 20) == 0)
    return fmt::format("{} MiB", bytes >> 20);
  return fmt::format("{} bytes", bytes);
}

InputFile::InputFile(const std::string& path, const InputKind& kind) : path_(path), kind_(kind) {
  if (path.empty()) throw InputError("input file name: empty");
  // O_NONBLOCK: open(2) of a FIFO would otherwise wait for a writer, forever if none comes.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd_ < 0) throw InputError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int e = errno;
    ::close(fd_);
    throw InputError(path + ": cannot stat: " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    if (S_ISDIR(st.st_mode)) throw InputError(path + ": is a directory");
    throw InputError(fmt::format("{}: {}, not {} (cbit reads regular files and pipes)", path,
                                 kind_of(st.st_mode), kind.what));
  }
  regular_ = S_ISREG(st.st_mode);
  if (regular_) {
    size_ = static_cast<uint64_t>(st.st_size);
    if (size_ > kind.max_size) {
      ::close(fd_);
      fd_ = -1;
      throw InputError(fmt::format("{}: {} bytes, more than {} can be ({})", path, size_, kind.what,
                                   format_size(kind.max_size)));
    }
  }
  // Reads block from here on (a pipe's writer may be slow); a FIFO without a writer reads as
  // end-of-file at once.
  (void)::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

Bytes InputFile::read_all() {
  Bytes data;
  // The size is checked, but a file may grow while it is read (and /proc files say 0): the
  // bound is enforced on what is read, one byte past the limit telling "too large".
  const uint64_t cap = kind_.max_size + 1;
  data.reserve(static_cast<size_t>(std::min<uint64_t>(regular_ ? size_ + 1 : 1 << 16, cap)));
  uint8_t buf[1 << 16];
  while (data.size() < cap) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof buf, cap - data.size()));
    const ssize_t n = ::read(fd_, buf, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InputError(path_ + ": read failed: " + std::strerror(errno));
    if (n == 0) break;
    data.insert(data.end(), buf, buf + n);
  }
  if (data.size() > kind_.max_size)
    throw InputError(fmt::format("{}: more than {} can be ({}){}", path_, kind_.what,
                                 format_size(kind_.max_size),
                                 regular_ ? " (the file grew while being read)" : ""));
  return data;
}

Bytes read_file(const std::string& path, const InputKind& kind) {
  InputFile f(path, kind);
  return f.read_all();
}

Bytes read_file(const std::string& path, uint64_t max_size) {
  return read_file(path, InputKind{"this input", max_size});
}

}  // namespace cbit
