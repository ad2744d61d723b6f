// The guest kernel's system calls; guest_syscalls.h has the table and the contract.
#include "sw/guest/guest_syscalls.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "hw/cpu/fault.h"
#include "sw/guest/kernel.h"
#include "x86/syscall_names.h"

namespace cbit::sw::guest {
namespace {

namespace nr = x86::nr;
uint64_t ret(int64_t v) { return static_cast<uint64_t>(v); }

// copy_from_user / copy_to_user: the access at CPL 3's rights; false is -EFAULT.
bool from_user(x86::GuestMemory& mem, uint64_t va, MutByteSpan out) {
  if (out.empty()) return true;
  if (va + out.size() < va) return false;  // wraps around the address space
  try {
    mem.read(VirtAddr(va), out);
  } catch (const hw::CpuException&) {
    return false;
  }
  return true;
}
bool to_user(x86::GuestMemory& mem, uint64_t va, ByteSpan in) {
  if (in.empty()) return true;
  if (va + in.size() < va) return false;
  try {
    mem.write(VirtAddr(va), in);
  } catch (const hw::CpuException&) {
    return false;
  }
  return true;
}
template <typename T>
bool put_user(x86::GuestMemory& mem, uint64_t va, const T& v) {  // T may be an array
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // x86-64 is little-endian, as the host
  return to_user(mem, va, ByteSpan(b, sizeof(T)));
}

constexpr int64_t kAtFdcwd = -100;
constexpr uint64_t kAtSymlinkNofollow = 0x100, kAtEmptyPath = 0x1000;
constexpr size_t kPathMax = 4096;
constexpr uint64_t kUioMaxiov = 1024;
constexpr uint64_t kTiocgwinsz = 0x5413;
constexpr uint64_t kArchSetFs = 0x1002, kArchGetFs = 0x1003;
constexpr uint64_t kTaskSizeMax = 0x7fff'ffff'f000ull;  // (1 << 47) - PAGE_SIZE
constexpr uint64_t kMapShared = 0x01, kMapPrivate = 0x02, kMapFixed = 0x10, kMapAnonymous = 0x20;
constexpr uint64_t kMapFixedNoreplace = 0x100000;
constexpr int64_t kNsPerSec = 1'000'000'000;

uint64_t page_up(uint64_t v) { return (v + kPageSize - 1) & kPageMask; }

// strncpy_from_user() of a path: 0, or -EFAULT / -ENAMETOOLONG / -ENOENT (empty).
int64_t user_path(x86::GuestMemory& mem, uint64_t va, std::string* out) {
  out->clear();
  while (out->size() < kPathMax) {
    const uint64_t chunk = std::min<uint64_t>(kPageSize - (va % kPageSize), 256);
    Bytes b(chunk);
    if (!from_user(mem, va, b)) return -EFAULT;
    for (uint8_t c : b) {
      if (!c) return out->empty() ? -ENOENT : 0;
      out->push_back(static_cast<char>(c));
      if (out->size() >= kPathMax) break;
    }
    va += chunk;
  }
  return -ENAMETOOLONG;
}

}  // namespace

GuestSyscalls::GuestSyscalls(GuestKernel& k, std::string comm, std::function<void(ByteSpan)> tty)
    : k_(k), comm_(std::move(comm)), tty_(std::move(tty)), files_(k) {}

void GuestSyscalls::add_exec_area(uint64_t va, uint64_t size, unsigned prot) {
  note_mapped(va & kPageMask, page_up(va + size) - (va & kPageMask), prot);
  if (va < kMmapBase) brk_base_ = brk_ = std::max(brk_base_, page_up(va + size));
}

void GuestSyscalls::note_mapped(uint64_t va, uint64_t len, unsigned prot) {
  for (uint64_t off = 0; off < len; off += kPageSize) pages_[va + off] = prot;
}

// Pages are allocated at map time (no overcommit): refuse what the allocator cannot give, with
// room left for the page tables (one table page per 512 pages, and a few more).
bool GuestSyscalls::enough_memory(uint64_t bytes) const {
  const uint64_t pages = bytes / kPageSize;
  return pages + pages / 512 + 16 <= k_.nr_free_pages();
}

bool GuestSyscalls::mapped(uint64_t va, uint64_t len) const {
  for (uint64_t off = 0; off < len; off += kPageSize)
    if (!pages_.count(va + off)) return false;
  return true;
}

uint64_t GuestSyscalls::syscall(hw::GprFile& r, x86::GuestMemory& mem) {
  switch (r.rax) {
    case nr::kWrite: {
      Bytes buf(std::min<uint64_t>(r.rdx, kMaxWrite));
      if (!from_user(mem, r.rsi, buf)) return ret(-EFAULT);
      return ret(sys_write(r.rdi, buf));
    }
    case nr::kRead: {
      if (r.rdi == 0) return 0;  // the console has no input: end of file
      if (r.rdi <= 2) return ret(-EBADF);
      Bytes buf;
      const int64_t rc =
          files_.read(static_cast<int64_t>(r.rdi), &buf, std::min<uint64_t>(r.rdx, kMaxWrite));
      if (rc <= 0) return ret(rc);
      if (!to_user(mem, r.rsi, buf)) return ret(-EFAULT);
      return ret(rc);
    }
    case nr::kReadv:
    case nr::kWritev:
      return ret(sys_iov(r.rax == nr::kWritev, r, mem));
    case nr::kOpen:
    case nr::kOpenat: {
      const bool at = r.rax == nr::kOpenat;
      std::string path;
      if (const int64_t e = user_path(mem, at ? r.rsi : r.rdi, &path)) return ret(e);
      if (at && static_cast<int64_t>(r.rdi) != kAtFdcwd && path.front() != '/')
        return ret(-EBADF);                        // no directory descriptors
      if (path.front() != '/') path = "/" + path;  // the cwd is /
      return ret(files_.open(path, static_cast<int>(at ? r.rdx : r.rsi)));
    }
    case nr::kClose:
      if (r.rdi <= 2) return 0;  // the console stays
      return ret(files_.close(static_cast<int64_t>(r.rdi)));
    case nr::kLseek:
      if (r.rdi <= 2) return ret(-ESPIPE);  // a tty
      return ret(files_.lseek(static_cast<int64_t>(r.rdi), static_cast<int64_t>(r.rsi),
                              static_cast<int>(r.rdx)));
    case nr::kFstat:
      return ret(sys_fstat(r.rdi, r.rsi, mem));
    case nr::kStat:
    case nr::kLstat:
    case nr::kNewfstatat: {
      const bool at = r.rax == nr::kNewfstatat;
      const uint64_t path_va = at ? r.rsi : r.rdi, buf = at ? r.rdx : r.rsi;
      if (at && (r.r10 & ~(kAtSymlinkNofollow | kAtEmptyPath))) return ret(-EINVAL);
      std::string path;
      const int64_t e = user_path(mem, path_va, &path);
      if (e == -ENOENT && at && (r.r10 & kAtEmptyPath)) return ret(sys_fstat(r.rdi, buf, mem));
      if (e) return ret(e);
      if (at && static_cast<int64_t>(r.rdi) != kAtFdcwd && path.front() != '/') return ret(-EBADF);
      FileStat st;
      if (const int64_t rc = files_.stat(path.front() == '/' ? path : "/" + path, &st))
        return ret(rc);
      return ret(sys_stat_to(st, buf, mem));
    }
    case nr::kIoctl:
      if (r.rdi <= 2) return ret(-ENOTTY);  // TIOCGWINSZ (0x5413) and every other: not a tty
      return ret(
          files_.ioctl(static_cast<int64_t>(r.rdi), static_cast<uint32_t>(r.rsi), r.rdx, mem));
    case nr::kMkdir:
    case nr::kMkdirat:
    case nr::kRmdir: {
      const bool at = r.rax == nr::kMkdirat;
      std::string path;
      if (const int64_t e = user_path(mem, at ? r.rsi : r.rdi, &path)) return ret(e);
      if (path.front() != '/') path = "/" + path;
      return ret(r.rax == nr::kRmdir ? files_.rmdir(path) : files_.mkdir(path));
    }
    case nr::kBrk:
      return ret(sys_brk(r.rdi, mem));
    case nr::kMmap:
      return ret(sys_mmap(r, mem));
    case nr::kMunmap:
      return ret(sys_munmap(r.rdi, r.rsi, mem));
    case nr::kMprotect:
      return ret(sys_mprotect(r.rdi, r.rsi, r.rdx, mem));
    case nr::kClockGettime:
      return ret(sys_clock_gettime(r.rdi, r.rsi, mem));
    case nr::kGettimeofday: {
      const uint64_t ns = now_ns();
      if (r.rdi) {
        const int64_t tv[2] = {kRealtimeEpoch + static_cast<int64_t>(ns / kNsPerSec),
                               static_cast<int64_t>(ns % kNsPerSec / 1000)};
        if (!put_user(mem, r.rdi, tv)) return ret(-EFAULT);
      }
      if (r.rsi && !put_user(mem, r.rsi, uint64_t{0})) return ret(-EFAULT);  // struct timezone
      return 0;
    }
    case nr::kTime: {
      const int64_t t = kRealtimeEpoch + static_cast<int64_t>(now_ns() / kNsPerSec);
      if (r.rdi && !put_user(mem, r.rdi, t)) return ret(-EFAULT);
      return ret(t);
    }
    case nr::kNanosleep:
      return ret(sys_sleep(r.rdi, mem));
    case nr::kClockNanosleep:
      // Clocks 0 (REALTIME), 1 (MONOTONIC), 7 (BOOTTIME); flags bit 0 is TIMER_ABSTIME.
      if (r.rdi != 0 && r.rdi != 1 && r.rdi != 7) return ret(-EINVAL);
      if (r.rsi & ~1ull) return ret(-EINVAL);
      if (r.rsi & 1) {
        int64_t ts[2];
        if (!from_user(mem, r.rdx, MutByteSpan(reinterpret_cast<uint8_t*>(ts), sizeof ts)))
          return ret(-EFAULT);
        if (ts[0] < 0 || ts[1] < 0 || ts[1] >= kNsPerSec) return ret(-EINVAL);
        const int64_t base = r.rdi == 0 ? kRealtimeEpoch * kNsPerSec : 0;
        const int64_t want = ts[0] * kNsPerSec + ts[1] - base;
        const auto now = static_cast<int64_t>(now_ns());
        if (want > now) slept_ns_ += static_cast<uint64_t>(want - now);
        return 0;
      }
      return ret(sys_sleep(r.rdx, mem));
    case nr::kGetpid:
    case nr::kGettid:
      return 1;  // the first (and only) user process
    case nr::kSetTidAddress:
      return 1;  // the tid; nothing is written at exit (no other thread waits on it)
    case nr::kArchPrctl:
      return ret(sys_arch_prctl(r.rdi, r.rsi, mem));
    case nr::kUname:
      return ret(sys_uname(r.rdi, mem));
    case nr::kRtSigaction:
      return ret(sys_rt_sigaction(r, mem));
    case nr::kRtSigprocmask:
      return ret(sys_rt_sigprocmask(r, mem));
    case nr::kPause:
      request_pause();
      return ret(-EINTR);
    case nr::kExit:
    case nr::kExitGroup:
      files_.close_all();
      request_exit(static_cast<int>(r.rdi & 0xff));
      return 0;
    default:
      return ret(not_supported(r.rax));
  }
}

int64_t GuestSyscalls::not_supported(uint64_t n) {
  const std::string_view name = x86::syscall_name(n);
  std::string line = fmt::format("guest kernel: unsupported system call {}", n);
  if (!name.empty()) line += fmt::format(" ({})", name);
  line += " from " + comm_;
  unsupported.push_back(line);
  k_.printk(line);
  return -ENOSYS;
}

int64_t GuestSyscalls::sys_write(uint64_t fd, ByteSpan buf) {
  if (fd != 1 && fd != 2) return files_.write(static_cast<int64_t>(fd), buf);
  output.append(buf.begin(), buf.end());
  tty_(buf);
  return static_cast<int64_t>(buf.size());
}

// readv/writev (fs/read_write.c do_readv/do_writev): the iovec array is read whole first
// (-EINVAL for a count above UIO_MAXIOV, -EFAULT for a bad array); then each buffer in order.
// A bad buffer after some bytes moved ends the call with the count so far, as Linux does.
int64_t GuestSyscalls::sys_iov(bool write, const hw::GprFile& r, x86::GuestMemory& mem) {
  const int64_t cnt = static_cast<int64_t>(r.rdx);
  if (cnt < 0 || static_cast<uint64_t>(cnt) > kUioMaxiov) return -EINVAL;
  std::vector<uint64_t> iov(static_cast<size_t>(cnt) * 2);
  if (!from_user(mem, r.rsi, MutByteSpan(reinterpret_cast<uint8_t*>(iov.data()), iov.size() * 8)))
    return -EFAULT;
  uint64_t total = 0;
  for (int64_t i = 0; i < cnt; ++i)
    if (static_cast<int64_t>(iov[2 * i + 1]) < 0 ||
        __builtin_add_overflow(total, iov[2 * i + 1], &total))
      return -EINVAL;
  int64_t done = 0;
  for (int64_t i = 0; i < cnt; ++i) {
    const uint64_t base = iov[2 * i];
    const uint64_t len = std::min<uint64_t>(iov[2 * i + 1], kMaxWrite);
    if (!len) continue;
    int64_t rc;
    if (write) {
      Bytes buf(len);
      if (!from_user(mem, base, buf)) return done ? done : -EFAULT;
      rc = sys_write(r.rdi, buf);
    } else {
      if (r.rdi == 0) return done;  // console: end of file
      if (r.rdi <= 2) return done ? done : -EBADF;
      Bytes buf;
      rc = files_.read(static_cast<int64_t>(r.rdi), &buf, len);
      if (rc > 0 && !to_user(mem, base, buf)) return done ? done : -EFAULT;
    }
    if (rc < 0) return done ? done : rc;
    done += rc;
    if (static_cast<uint64_t>(rc) < len) break;
  }
  return done;
}

// struct stat of x86-64 (arch/x86/include/uapi/asm/stat.h): 144 bytes.
int64_t GuestSyscalls::sys_stat_to(const FileStat& st, uint64_t buf, x86::GuestMemory& mem) {
  uint8_t b[144] = {};
  const auto put = [&](size_t off, auto v) { std::memcpy(b + off, &v, sizeof v); };
  put(0, st.dev);
  put(8, st.ino);
  put(16, st.nlink);
  put(24, st.mode);
  put(40, st.rdev);
  put(48, st.size);
  put(56, st.blksize);
  put(64, st.blocks);
  const int64_t t = kRealtimeEpoch;  // atime, mtime, ctime: the epoch
  put(72, t);
  put(88, t);
  put(104, t);
  return to_user(mem, buf, ByteSpan(b, sizeof b)) ? 0 : -EFAULT;
}

int64_t GuestSyscalls::sys_fstat(uint64_t fd, uint64_t buf, x86::GuestMemory& mem) {
  FileStat st;
  if (fd <= 2) {  // the console: /dev/ttyS0 (4:64)
    st.dev = 5;
    st.ino = 3;
    st.mode = S_IFCHR_ | 0620;
    st.rdev = (4u << 8) | 64;
    st.blksize = 1024;
  } else if (const int64_t rc = files_.fstat(static_cast<int64_t>(fd), &st)) {
    return rc;
  }
  return sys_stat_to(st, buf, mem);
}

// brk (mm/mmap.c): the new break, or the old one when the request is refused (below the start,
// beyond kMaxMap of heap, into another mapping). Growing maps zeroed pages; shrinking unmaps
// the pages past the new break (a later growth gets zeroed pages again).
int64_t GuestSyscalls::sys_brk(uint64_t addr, x86::GuestMemory& mem) {
  const auto cur = static_cast<int64_t>(brk_);
  if (addr < brk_base_ || addr - brk_base_ > kMaxMap) return cur;
  const uint64_t have = page_up(brk_), want = page_up(addr);
  if (want > have) {
    for (uint64_t p = have; p < want; p += kPageSize)
      if (pages_.count(p)) return cur;
    if (!enough_memory(want - have)) return cur;
    mem.map(VirtAddr(have), want - have, x86::Prot::R | x86::Prot::W);
    note_mapped(have, want - have, x86::Prot::R | x86::Prot::W);
  } else if (want < have) {
    unmap_range(want, have - want, mem);
  }
  brk_ = addr;
  return static_cast<int64_t>(brk_);
}

// The rights a page gets in the page tables for the program's PROT bits: PROT_NONE is none
// (every access faults); anything else is readable as well (x86 has no write-only or
// execute-only pages). A page past the end of its file never gets any.
unsigned GuestSyscalls::hw_prot(unsigned page) {
  const unsigned prot = page & kProtMask;
  return (page & kPastEof) || prot == 0 ? 0 : prot | x86::Prot::R;
}

// munmap()'s work (mm/mmap.c do_vmi_munmap): every mapped page in the range leaves the page
// tables in runs of contiguous pages, and its frame goes back to the allocator. The walk is
// over the pages mapped, not the range: a hostile length of 128 TiB costs nothing more.
void GuestSyscalls::unmap_range(uint64_t va, uint64_t len, x86::GuestMemory& mem) {
  auto it = pages_.lower_bound(va);
  while (it != pages_.end() && it->first < va + len) {
    const uint64_t run = it->first;
    uint64_t end = run;
    while (it != pages_.end() && it->first == end && end < va + len) {
      it = pages_.erase(it);
      end += kPageSize;
    }
    mem.unmap(VirtAddr(run), end - run);
  }
}

// mmap (mm/mmap.c do_mmap, mm/util.c vm_mmap_pgoff): anonymous memory, or a private (or shared
// read-only) copy of the disk's file. MAP_FIXED replaces what was mapped there;
// MAP_FIXED_NOREPLACE refuses to (-EEXIST).
int64_t GuestSyscalls::sys_mmap(const hw::GprFile& r, x86::GuestMemory& mem) {
  const uint64_t addr = r.rdi, len = r.rsi, prot = r.rdx & kProtMask, flags = r.r10, off = r.r9;
  if (len == 0 || (off & (kPageSize - 1))) return -EINVAL;  // unknown prot bits: ignored, as Linux
  const uint64_t type = flags & 3;
  if (type != kMapShared && type != kMapPrivate) return -EINVAL;
  const Bytes* file = nullptr;
  if (!(flags & kMapAnonymous)) {
    if (const int64_t e = files_.mmap_file(static_cast<int64_t>(r.r8), &file)) return e;
    // The file is open read-only (the disk is): a shared mapping may not write it.
    if (type == kMapShared && x86::has(static_cast<unsigned>(prot), x86::Prot::W)) return -EACCES;
    if (off + page_up(len) < off) return -EOVERFLOW;
  }
  if (len > kMaxMap) return -ENOMEM;
  const uint64_t size = page_up(len);
  const bool fixed = flags & (kMapFixed | kMapFixedNoreplace);
  uint64_t va;
  if (fixed) {
    if (addr & (kPageSize - 1)) return -EINVAL;
    if (addr + size < addr || addr + size > kTaskSizeMax || addr < kPageSize) return -ENOMEM;
    if ((flags & kMapFixedNoreplace) && !(flags & kMapFixed))
      for (uint64_t p = addr; p < addr + size; p += kPageSize)
        if (pages_.count(p)) return -EEXIST;
    va = addr;
  } else {
    if (mmap_next_ + size > kTaskSizeMax - (64ull << 30)) return -ENOMEM;  // below the stack
    va = mmap_next_;
  }
  uint64_t replaced = 0;
  for (uint64_t p = va; fixed && p < va + size; p += kPageSize) replaced += pages_.count(p);
  if (!enough_memory(size - replaced * kPageSize)) return -ENOMEM;
  if (replaced) unmap_range(va, size, mem);
  if (!fixed) mmap_next_ += size + kPageSize;  // a guard gap between mappings
  if (!file) {
    mem.map(VirtAddr(va), size, hw_prot(static_cast<unsigned>(prot)));
    note_mapped(va, size, static_cast<unsigned>(prot));
    return static_cast<int64_t>(va);
  }
  // The file's bytes are copied in now (a private copy: the program's writes never reach the
  // file; Linux copies a page at its first write). The bytes past the end of the file in its
  // last page read as zero; pages wholly past it are never accessible (Linux: SIGBUS).
  mem.map(VirtAddr(va), size, x86::Prot::R | x86::Prot::W);
  const uint64_t avail = off >= file->size() ? 0 : std::min<uint64_t>(len, file->size() - off);
  if (avail) mem.write(VirtAddr(va), ByteSpan(file->data() + off, avail));
  const uint64_t in_file = page_up(avail);
  note_mapped(va, in_file, static_cast<unsigned>(prot));
  note_mapped(va + in_file, size - in_file, static_cast<unsigned>(prot) | kPastEof);
  if (in_file) mem.map(VirtAddr(va), in_file, hw_prot(static_cast<unsigned>(prot)));
  if (size > in_file) mem.map(VirtAddr(va + in_file), size - in_file, 0);
  return static_cast<int64_t>(va);
}

// munmap (mm/mmap.c): -EINVAL for an unaligned address, a zero length or a range past the user
// half; pages not mapped in the range are skipped.
int64_t GuestSyscalls::sys_munmap(uint64_t addr, uint64_t len, x86::GuestMemory& mem) {
  if ((addr & (kPageSize - 1)) || len == 0 || addr + page_up(len) < addr ||
      addr + page_up(len) > kTaskSizeMax)
    return -EINVAL;
  unmap_range(addr, page_up(len), mem);
  return 0;
}

// mprotect (mm/mprotect.c): the new rights on pages that are all mapped (-ENOMEM otherwise);
// the pages keep their frames and bytes; PROT_NONE makes every access fault.
int64_t GuestSyscalls::sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot,
                                    x86::GuestMemory& mem) {
  if ((addr & (kPageSize - 1)) || (prot & ~uint64_t{kProtMask})) return -EINVAL;
  const uint64_t size = page_up(len);
  if (addr + size < addr) return -ENOMEM;
  if (size == 0) return 0;
  if (!mapped(addr, size)) return -ENOMEM;
  // In runs of pages that end up with the same rights (a file mapping's pages past its end
  // keep none).
  uint64_t run = addr;
  unsigned run_hw = 0;
  for (uint64_t p = addr; p <= addr + size; p += kPageSize) {
    unsigned hw = 0;
    if (p < addr + size) {
      unsigned& page = pages_[p];
      page = (page & kPastEof) | static_cast<unsigned>(prot);
      hw = hw_prot(page);
    }
    if (p > run && (p == addr + size || hw != run_hw)) {
      mem.map(VirtAddr(run), p - run, run_hw);
      run = p;
    }
    run_hw = hw;
  }
  return 0;
}

int64_t GuestSyscalls::sys_clock_gettime(uint64_t clock, uint64_t tp, x86::GuestMemory& mem) {
  // REALTIME 0, MONOTONIC 1, PROCESS/THREAD_CPUTIME 2/3, MONOTONIC_RAW 4, REALTIME_COARSE 5,
  // MONOTONIC_COARSE 6, BOOTTIME 7 (include/uapi/linux/time.h).
  const uint64_t ns = clock == 2 || clock == 3 ? instructions() : now_ns();
  int64_t ts[2] = {static_cast<int64_t>(ns / kNsPerSec), static_cast<int64_t>(ns % kNsPerSec)};
  switch (clock) {
    case 0:
    case 5:
      ts[0] += kRealtimeEpoch;
      break;
    case 1:
    case 2:
    case 3:
    case 4:
    case 6:
    case 7:
      break;
    default:
      return -EINVAL;
  }
  return put_user(mem, tp, ts) ? 0 : -EFAULT;
}

int64_t GuestSyscalls::sys_sleep(uint64_t req, x86::GuestMemory& mem) {
  int64_t ts[2];
  if (!from_user(mem, req, MutByteSpan(reinterpret_cast<uint8_t*>(ts), sizeof ts))) return -EFAULT;
  if (ts[0] < 0 || ts[1] < 0 || ts[1] >= kNsPerSec) return -EINVAL;
  const uint64_t ns = static_cast<uint64_t>(std::min<int64_t>(ts[0], 1ll << 32)) * kNsPerSec +
                      static_cast<uint64_t>(ts[1]);
  slept_ns_ += ns;  // the clock moves on; no host time passes
  return 0;
}

// struct new_utsname: six 65-byte strings.
int64_t GuestSyscalls::sys_uname(uint64_t buf, x86::GuestMemory& mem) {
  uint8_t b[6 * 65] = {};
  const char* fields[6] = {"Linux",  "cbit-guest", "6.8.0-cbit", "#1 SMP cbit model",
                           "x86_64", "(none)"};
  for (int i = 0; i < 6; ++i) std::strncpy(reinterpret_cast<char*>(b + 65 * i), fields[i], 64);
  return to_user(mem, buf, ByteSpan(b, sizeof b)) ? 0 : -EFAULT;
}

// arch_prctl (arch/x86/kernel/process_64.c do_arch_prctl_64): the FS base musl's TLS uses.
int64_t GuestSyscalls::sys_arch_prctl(uint64_t code, uint64_t addr, x86::GuestMemory& mem) {
  switch (code) {
    case kArchSetFs:
      if (addr >= kTaskSizeMax) return -EPERM;
      set_fs_base(addr);
      return 0;
    case kArchGetFs:
      return put_user(mem, addr, fs_base()) ? 0 : -EFAULT;
    default:
      return -EINVAL;  // ARCH_SET_GS and the rest are not served
  }
}

// rt_sigaction (kernel/signal.c): checked as Linux checks, then nothing: no signal is ever sent.
int64_t GuestSyscalls::sys_rt_sigaction(const hw::GprFile& r, x86::GuestMemory& mem) {
  const uint64_t sig = r.rdi, act = r.rsi, oact = r.rdx, sigsetsize = r.r10;
  if (sigsetsize != 8) return -EINVAL;
  if (sig < 1 || sig > 64) return -EINVAL;
  uint8_t ka[32] = {};  // struct sigaction: handler, flags, restorer, mask
  if (act) {
    if (sig == 9 || sig == 19) return -EINVAL;  // SIGKILL, SIGSTOP
    if (!from_user(mem, act, ka)) return -EFAULT;
  }
  uint8_t zero[32] = {};
  if (oact && !to_user(mem, oact, ByteSpan(zero, sizeof zero))) return -EFAULT;
  return 0;
}

int64_t GuestSyscalls::sys_rt_sigprocmask(const hw::GprFile& r, x86::GuestMemory& mem) {
  const uint64_t how = r.rdi, set = r.rsi, oset = r.rdx, sigsetsize = r.r10;
  if (sigsetsize != 8) return -EINVAL;
  if (set) {
    if (how > 2) return -EINVAL;  // SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK
    uint64_t m;
    if (!from_user(mem, set, MutByteSpan(reinterpret_cast<uint8_t*>(&m), 8))) return -EFAULT;
  }
  if (oset && !put_user(mem, oset, uint64_t{0})) return -EFAULT;
  return 0;
}

}  // namespace cbit::sw::guest
