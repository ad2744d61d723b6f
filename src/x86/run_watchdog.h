// Ends a Unicorn run from outside once the CPU time of the thread running it reaches a
// deadline: the bound on a Process run that needs no hook on every basic block (process.h,
// docs/x86.md "Speed").
//
// Unicorn 2's own `timeout` argument of uc_emu_start is not used: it starts a thread for every
// call, measures wall time (on a shared host, another process's time), and that thread polls
// every 2 us (Unicorn 2.0.1 uc.c, _timeout_fn). This is one thread for the whole program,
// started on first use. While it has armings, and for kLinger after the last, it wakes at least
// every kPoll (and at the nearest deadline); arming it then costs no system call. Waking it
// with a futex right before a run, like reading the thread's CPU clock there, made the next
// few milliseconds of translated code run up to 1.8x slower on the shared host this was
// measured on (AMD EPYC VM; the cause is below what user space sees), so arm() wakes it only
// when it is idle or sleeps past the new deadline.
//
// A stop is exact only at the start of a block: Unicorn 2.0.1 also takes a stop request after
// every guest load and store (tcg-op.c, check_exit_request), rewinding RIP to the start of the
// block although the instructions before the access ran, and without the lazily kept flags.
// The caller learns which it was from the state (see Process: RunResult::resumable).
//
// Contract (states, in the std::atomic<int> the caller gives arm()):
// - arm(uc, clock, deadline, now, state) returns an id (`now`: the clock's reading at the
//   call; *state becomes kRunning). Once `clock` (a thread's CPU clock,
//   pthread_getcpuclockid) reads >= deadline - within kPoll of it - the watchdog sets
//   *state = kExpired; a caller between runs stops there, exactly.
// - kGrace later it sets kStopped and calls uc_emu_stop(uc), again every kRepeat while armed
//   (a stop that lands in the instant before uc_emu_start starts is cleared by it). The state
//   is kStopped before the stop is requested, so a guest access that sees kStopped may be the
//   one the stop is taken after: the caller must treat the stop as inside a block.
// - disarm(id): after it returns, no stop of that arming reaches uc. Disarm before the thread
//   whose clock is given ends or uc is closed (Guard does). Between runs uc_emu_stop does
//   nothing (Unicorn ignores it outside uc_emu_start), so one arming spans several runs.
#pragma once
#include <unicorn/unicorn.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

namespace cbit::x86 {

class RunWatchdog {
 public:
  using Id = uint64_t;
  enum State : int { kRunning, kExpired, kStopped };
  static constexpr std::chrono::milliseconds kRepeat{1};
  static constexpr std::chrono::milliseconds kGrace{2};
  static constexpr std::chrono::milliseconds kPoll{10};
  static constexpr std::chrono::seconds kLinger{1};

  static RunWatchdog& instance();

  Id arm(uc_engine* uc, clockid_t cpu_clock, int64_t deadline_ns, int64_t now_ns,
         std::atomic<int>* state);
  void disarm(Id id);

  // Disarms when it goes (an exception out of a run included).
  class Guard {
   public:
    Guard() = default;
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard() {
      if (id_) instance().disarm(id_);
    }
    void arm(uc_engine* uc, clockid_t cpu_clock, int64_t deadline_ns, int64_t now_ns,
             std::atomic<int>* state) {
      if (id_) instance().disarm(id_);
      id_ = instance().arm(uc, cpu_clock, deadline_ns, now_ns, state);
    }
    void disarm() {
      if (id_) instance().disarm(id_);
      id_ = 0;
    }

   private:
    Id id_ = 0;
  };

  // The calling thread's CPU clock, and a clock's reading in nanoseconds.
  static clockid_t this_thread_clock();
  static int64_t now_ns(clockid_t clock);

 private:
  struct Arming {
    Id id;
    uc_engine* uc;
    clockid_t clock;
    int64_t deadline_ns;
    std::chrono::steady_clock::time_point due;  // the deadline cannot pass before this
    std::atomic<int>* state;
    std::chrono::steady_clock::time_point expired_at{};
  };
  RunWatchdog();
  void loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Arming> armed_;
  Id next_id_ = 1;
  bool idle_ = true;  // waiting without a timeout: arm() must wake it
  std::chrono::steady_clock::time_point next_wake_{};
  std::thread thread_;
};

}  // namespace cbit::x86
