// Paths cbit made and must not leave behind when a signal ends the process: the temporary of an
// output being written (common/output_file.h), the demo's working directory.
//
// Their owners remove them on every ordinary path (destructors, error paths). This registry
// covers the paths where no destructor runs: SIGINT (Ctrl-C), SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
// SIGXFSZ (`ulimit -f`) and SIGABRT (a failed CBIT_ASSERT). The handler removes what is
// registered with async-signal-safe calls only (unlink, rmdir, getdents64), then lets the signal
// take its default course, so the exit status still names the signal. A signal the process
// inherited as ignored (nohup, `trap '' INT`) stays ignored. SIGSEGV and SIGBUS are left to the
// sanitizers' own handlers.
#pragma once
#include <signal.h>

#include <string>

namespace cbit {

enum class CleanupKind {
  File,       // unlink
  Directory,  // unlink the files in it (one level, as the demo makes them), then rmdir
};

// A registration: removes nothing itself; release() (or the destructor) forgets the path, which
// the owner removes or commits first. Move-only.
class CleanupRegistration {
 public:
  CleanupRegistration() = default;
  CleanupRegistration(const std::string& path, CleanupKind kind);
  ~CleanupRegistration() { release(); }
  CleanupRegistration(CleanupRegistration&& o) noexcept : slot_(o.slot_) { o.slot_ = -1; }
  CleanupRegistration& operator=(CleanupRegistration&& o) noexcept;
  CleanupRegistration(const CleanupRegistration&) = delete;
  CleanupRegistration& operator=(const CleanupRegistration&) = delete;

  void release();
  bool armed() const { return slot_ >= 0; }

 private:
  int slot_ = -1;
};

// What the signal handler does, callable directly (tests): removes every registered path.
void run_signal_cleanup();

// Blocks the handled signals for the lifetime of the object, so that creating a path and
// registering it happen as one step for the handler. Restores the previous mask.
class SignalBlock {
 public:
  SignalBlock();
  ~SignalBlock();
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;

 private:
  sigset_t saved_;
};

}  // namespace cbit
