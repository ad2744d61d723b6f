// The one way cbit writes a file the user named. What is at the target decides how:
//
//  - "-", /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: the descriptor the process
//    already has, written through (stdout's buffer is flushed first, so the order holds).
//  - a device, FIFO or other file that is not regular (/dev/null, a named pipe, a tty): opened
//    for writing and written through, never created, truncated, renamed over or removed. A FIFO
//    waits for its reader, as the shell's `>` does.
//  - a symbolic link: refused, not followed — a link planted at the output path must not
//    redirect a root-run cbit to another file. Name the file it points to instead.
//  - a directory: refused.
//  - a file of any kind owned by another user in a world-writable sticky directory (/tmp), unless
//    that user owns the directory: refused, as Linux's fs.protected_regular and protected_fifos
//    refuse O_CREAT opens of them — someone else put it there to receive the output.
//  - a regular file, or nothing yet: written to a temporary created exclusively (O_CREAT|O_EXCL,
//    which never follows a symbolic link, retried under a new random name if one is in the
//    way) in the target's directory, then renamed over the target by commit(). The target is
//    never half-written: on any error, a destructor without commit(), or a fatal signal
//    (common/cleanup.h), the temporary is removed and the old file, if any, stays whole.
//    A replaced file keeps its permission bits (and, when root writes, its owner); a new one
//    gets `new_mode` less the umask, as open(2) would give it.
//
// Every error is an InputError naming the target.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/cleanup.h"

namespace cbit {

class OutputFile {
 public:
  explicit OutputFile(std::string path, mode_t new_mode = 0666);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Appends at the current end.
  void write(ByteSpan data);
  // Writes at `offset`. A temporary is written in place (gaps stay sparse); a written-through
  // target is a stream, so `offset` must not be before the current end (the gap is zero-filled).
  void write_at(uint64_t offset, ByteSpan data);
  // Extends the output to `size` bytes (sparse for a temporary, zeros for a stream).
  void extend_to(uint64_t size);
  // Finishes: the temporary is synced and renamed over the target; a written-through target is
  // closed. Nothing is visible at a regular target before this returns.
  void commit();

  const std::string& path() const { return path_; }
  // True when commit() will rename a temporary over the target (a regular file or none).
  bool replaces() const { return !temp_.empty(); }
  // The temporary's name (empty when written through); for tests.
  const std::string& temp_path() const { return temp_; }

 private:
  [[noreturn]] void fail(const char* what, int err) const;
  void open_through(int fd_in_use, bool dup_of_process_fd);
  void open_temp(bool existed, mode_t mode, uid_t uid, gid_t gid);
  void write_fully(const uint8_t* p, size_t n, int64_t offset);

  std::string path_;
  std::string temp_;
  int fd_ = -1;
  bool borrowed_fd_ = false;  // the process's own descriptor (stdout, /dev/fd/N): not closed
  bool committed_ = false;
  uint64_t end_ = 0;  // bytes written so far (streams) / highest end written (temporary)
  mode_t final_mode_ = 0;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  bool keep_owner_ = false;
  CleanupRegistration cleanup_;
};

// The whole of `data` to `path`, by the rules above.
void write_output_file(const std::string& path, ByteSpan data, mode_t new_mode = 0666);

// The target of an output path (for the same-file check): nothing yet, or a (device, inode).
struct FileIdentity {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  bool is_dev_null = false;
  std::string normalized;  // absolute, normalized path when the file does not exist
};
FileIdentity identify_file(const std::string& path);

// Paths given to one command. Refused with an InputError naming both flags: an output naming the
// same file as another output or as an input (compared by device and inode when the file exists,
// by normalized path otherwise; "-" and /dev/fd/N by the open descriptor's file). /dev/null may
// take any number of outputs. Empty paths are not given.
struct FileArg {
  std::string flag;  // "--image-out"
  std::string path;
  bool output = false;
};
void refuse_same_file(const std::vector<FileArg>& args);

// The descriptor an output path names ("-" is stdout), or -1 if it names a file.
int output_fd_alias(const std::string& path);

// For tests: the random part of the n-th temporary name tried (so a test can plant links at
// exactly those names); nullptr restores the random source.
using TempSuffixSource = std::string (*)(unsigned attempt);
void set_temp_suffix_source_for_tests(TempSuffixSource source);

}  // namespace cbit
