// A guest program's open files (Linux fs/open.c, fs/ioctl.c, fs/namei.c, fs/configfs/file.c,
// fs/read_write.c, fs/stat.c, reduced to what the guest kernel offers): the file on the guest's
// disk (cbit_disk.h: one regular file, /<name>, read-only: opening it for writing is -EROFS;
// read, lseek, fstat, mmap), the character device /dev/sev-guest (ioctl only; read and write are
// -EINVAL) and the configfs-tsm tree /sys/kernel/config/tsm/report/ (mkdir/rmdir of an entry,
// its attributes opened, read and written with configfs's buffering: a binary attribute's
// writes are committed at close, a read fills the buffer once).
//
// Descriptors 0-2 are the console's; open returns the lowest free one from 3. Errors are
// Linux's: -ENOENT (no such path), -EEXIST, -EISDIR (opening a directory for writing),
// -EACCES (reading a write-only attribute or writing a read-only one), -EBADF, -ENOTTY (ioctl
// on a file without one), -EINVAL, -EMFILE (more than 64 open files), -ESPIPE (lseek on the
// device), -EROFS.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "common/bytes.h"

namespace cbit::x86 {
class GuestMemory;
}

namespace cbit::sw::guest {

class GuestKernel;

// open(2) flags (include/uapi/asm-generic/fcntl.h).
inline constexpr int O_ACCMODE_ = 3, O_WRONLY_ = 1, O_RDWR_ = 2;

// What stat(2) reports (struct stat's fields the guest kernel fills; the rest are zero).
struct FileStat {
  uint64_t dev = 0, ino = 0, nlink = 1;
  uint32_t mode = 0;  // S_IFREG 0100000, S_IFDIR 0040000, S_IFCHR 0020000 | permissions
  uint64_t rdev = 0;
  int64_t size = 0, blksize = 4096, blocks = 0;
};
inline constexpr uint32_t S_IFREG_ = 0100000, S_IFDIR_ = 0040000, S_IFCHR_ = 0020000;

class GuestFiles {
 public:
  explicit GuestFiles(GuestKernel& k) : k_(k) {}
  ~GuestFiles();  // close_all()
  GuestFiles(const GuestFiles&) = delete;
  GuestFiles& operator=(const GuestFiles&) = delete;

  int64_t open(const std::string& path, int flags);
  int64_t close(int64_t fd);
  // read(2)/write(2) on a descriptor >= 3: the bytes moved, or -errno.
  int64_t read(int64_t fd, Bytes* out, uint64_t count);
  int64_t write(int64_t fd, ByteSpan in);
  int64_t ioctl(int64_t fd, uint32_t cmd, uint64_t arg, x86::GuestMemory& user);
  int64_t mkdir(const std::string& path);
  int64_t rmdir(const std::string& path);
  // The disk's file: its path ("/" + the name in the disk header) and bytes.
  void set_disk_file(const std::string& name, Bytes contents);
  // lseek(2): SEEK_SET 0, SEEK_CUR 1, SEEK_END 2; the new offset or -errno (-EINVAL for a bad
  // whence or a negative result, -ESPIPE on the device).
  int64_t lseek(int64_t fd, int64_t offset, int whence);
  // mmap(2)'s source for `fd`: 0 and the disk file's bytes, -EBADF for a descriptor not open,
  // -EACCES for one not opened for reading, -ENODEV for a file without mmap (the device,
  // configfs attributes and directories: their f_op->mmap is NULL in Linux).
  int64_t mmap_file(int64_t fd, const Bytes** bytes) const;
  // fstat(2) and stat(2): 0 or -errno.
  int64_t fstat(int64_t fd, FileStat* st) const;
  int64_t stat(const std::string& path, FileStat* st) const;
  // At exit: every file closed (configfs commits pending writes; errors are dropped, as a
  // process's exit ignores close's result).
  void close_all();

 private:
  struct File {
    enum class Kind { SevGuest, TsmAttr, Dir, Disk } kind;
    int flags = 0;
    std::string report, attr;  // TsmAttr
    Bytes buf;                 // configfs's buffer
    bool filled = false, dirty = false;
    uint64_t pos = 0;
    std::string path;  // as opened (normalized)
  };
  // The report entry and attribute a path names ("" attr: the entry itself).
  static bool tsm_path(const std::string& path, std::string* report, std::string* attr);

  GuestKernel& k_;
  std::map<int64_t, File> files_;
  std::string disk_path_;  // "" until set_disk_file()
  Bytes disk_bytes_;
};

// A path as the kernel resolves it here: absolute, "//" and trailing '/' removed, "." dropped.
std::string normalize_path(const std::string& path);

}  // namespace cbit::sw::guest
