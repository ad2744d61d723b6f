#include "common/cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <mutex>

namespace cbit {

namespace {

constexpr int kHandled[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGXFSZ, SIGABRT};

// Fixed storage: the handler may not allocate or take locks. A slot is filled, then armed; the
// handler only reads armed slots.
constexpr int kSlots = 64;
enum : int { kFree = 0, kFilling = 1, kArmed = 2 };
struct Slot {
  std::atomic<int> state{kFree};
  CleanupKind kind = CleanupKind::File;
  char path[PATH_MAX] = {};
};
static_assert(std::atomic<int>::is_always_lock_free);
Slot g_slots[kSlots];

bool is_dot(const char* n) { return n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0)); }

// One level of files, as the demo's directory holds: getdents64 and unlinkat are plain system
// calls (opendir/readdir allocate and are not async-signal-safe).
void remove_directory(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    alignas(struct dirent64) char buf[4096];
    for (int pass = 0; pass < 3; ++pass) {  // entries removed while reading may hide others
      bool removed = false;
      (void)::lseek(fd, 0, SEEK_SET);
      for (;;) {
        const ssize_t n = ::getdents64(fd, buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t off = 0; off < n;) {
          const auto* d = reinterpret_cast<const struct dirent64*>(buf + off);
          if (!is_dot(d->d_name)) {
            if (::unlinkat(fd, d->d_name, 0) == 0 ||
                (errno == EISDIR && ::unlinkat(fd, d->d_name, AT_REMOVEDIR) == 0))
              removed = true;
          }
          off += d->d_reclen;
        }
      }
      if (!removed) break;
    }
    ::close(fd);
  }
  ::rmdir(path);
}

extern "C" void on_fatal_signal(int sig) {
  run_signal_cleanup();
  // SA_RESETHAND has restored the default action; the signal is blocked while this handler runs,
  // so it is delivered again, with its default effect, as soon as the handler returns.
  ::raise(sig);
}

void install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : kHandled) sigaddset(&sa.sa_mask, s);
  sa.sa_flags = SA_RESETHAND;
  for (int s : kHandled) {
    struct sigaction old {};
    if (::sigaction(s, nullptr, &old) != 0) continue;
    // Only the default action is replaced: an ignored signal stays ignored, and another
    // handler (a sanitizer's, a test framework's) stays in charge.
    if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) continue;
    ::sigaction(s, &sa, nullptr);
  }
}

}  // namespace

CleanupRegistration::CleanupRegistration(const std::string& path, CleanupKind kind) {
  static std::once_flag once;
  std::call_once(once, install_handlers);
  // Absolute, so a later chdir cannot point the handler elsewhere.
  std::string abs = path;
  if (!path.empty() && path[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd)) abs = std::string(cwd) + "/" + path;
  }
  if (abs.empty() || abs.size() >= PATH_MAX) return;  // the owner's own cleanup still runs
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (!g_slots[i].state.compare_exchange_strong(expected, kFilling)) continue;
    std::memcpy(g_slots[i].path, abs.c_str(), abs.size() + 1);
    g_slots[i].kind = kind;
    g_slots[i].state.store(kArmed, std::memory_order_release);
    slot_ = i;
    return;
  }
}

CleanupRegistration& CleanupRegistration::operator=(CleanupRegistration&& o) noexcept {
  if (this != &o) {
    release();
    slot_ = o.slot_;
    o.slot_ = -1;
  }
  return *this;
}

void CleanupRegistration::release() {
  if (slot_ < 0) return;
  g_slots[slot_].state.store(kFree, std::memory_order_release);
  slot_ = -1;
}

void run_signal_cleanup() {
  // In any order: a directory's removal takes the files in it, and a file already gone is fine.
  for (int i = kSlots - 1; i >= 0; --i) {
    Slot& s = g_slots[i];
    if (s.state.load(std::memory_order_acquire) != kArmed) continue;
    if (s.kind == CleanupKind::File)
      ::unlink(s.path);
    else
      remove_directory(s.path);
  }
}

SignalBlock::SignalBlock() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kHandled) sigaddset(&set, s);
  ::pthread_sigmask(SIG_BLOCK, &set, &saved_);
}

SignalBlock::~SignalBlock() { ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

}  // namespace cbit
