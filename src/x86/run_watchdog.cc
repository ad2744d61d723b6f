#include "x86/run_watchdog.h"

#include <pthread.h>

#include <algorithm>

#include "common/error.h"

namespace cbit::x86 {

RunWatchdog& RunWatchdog::instance() {
  // Never destroyed: a Process may end during static destruction, and the thread must not be
  // joined from there. The detached thread ends with the program.
  static RunWatchdog* const w = new RunWatchdog();
  return *w;
}

RunWatchdog::RunWatchdog() : thread_([this] { loop(); }) { thread_.detach(); }

clockid_t RunWatchdog::this_thread_clock() {
  clockid_t c;
  CBIT_ASSERT(pthread_getcpuclockid(pthread_self(), &c) == 0);
  return c;
}

int64_t RunWatchdog::now_ns(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

RunWatchdog::Id RunWatchdog::arm(uc_engine* uc, clockid_t cpu_clock, int64_t deadline_ns,
                                 int64_t now_ns, std::atomic<int>* state) {
  std::lock_guard<std::mutex> lock(mu_);
  const Id id = next_id_++;
  // The CPU clock advances no faster than the wall clock: the deadline is no earlier than this.
  const auto due =
      std::chrono::steady_clock::now() + std::chrono::nanoseconds(deadline_ns - now_ns);
  state->store(kRunning);
  armed_.push_back(Arming{id, uc, cpu_clock, deadline_ns, due, state});
  if (idle_ || due < next_wake_) cv_.notify_one();
  return id;
}

void RunWatchdog::disarm(Id id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find_if(armed_.begin(), armed_.end(), [&](const Arming& a) { return a.id == id; });
  CBIT_ASSERT(it != armed_.end());
  armed_.erase(it);
}

void RunWatchdog::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto last_armed = std::chrono::steady_clock::now();
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (armed_.empty()) {
      if (now - last_armed >= kLinger) {
        idle_ = true;
        cv_.wait(lock, [&] { return !armed_.empty(); });
        idle_ = false;
        last_armed = std::chrono::steady_clock::now();
      } else {
        next_wake_ = now + kPoll;
        cv_.wait_until(lock, next_wake_);
      }
      continue;
    }
    last_armed = now;
    // A thread's CPU clock advances no faster than the wall clock, so sleeping for the CPU
    // time left never sleeps past a deadline.
    std::chrono::nanoseconds sleep = kPoll;
    // The thread's clock is read only once the wall clock says the deadline may have passed
    // (reading a running thread's clock from here also slowed it).
    for (Arming& a : armed_) {
      const int st = a.state->load();
      if (st == kExpired && now - a.expired_at < kGrace) {
        sleep = std::min<std::chrono::nanoseconds>(sleep, a.expired_at + kGrace - now);
        continue;
      }
      if (st == kExpired || st == kStopped) {
        a.state->store(kStopped);  // before the request: see the header
        uc_emu_stop(a.uc);         // under mu_: disarm() waits for it
        sleep = std::min<std::chrono::nanoseconds>(sleep, kRepeat);
        continue;
      }
      if (now < a.due) {
        sleep = std::min<std::chrono::nanoseconds>(sleep, a.due - now);
        continue;
      }
      const int64_t left = a.deadline_ns - now_ns(a.clock);
      if (left <= 0) {
        a.state->store(kExpired);
        a.expired_at = now;
        sleep = std::min<std::chrono::nanoseconds>(sleep, kGrace);
      } else {
        a.due = now + std::chrono::nanoseconds(left);
        sleep = std::min<std::chrono::nanoseconds>(sleep, std::chrono::nanoseconds(left));
      }
    }
    next_wake_ = now + sleep;
    cv_.wait_until(lock, next_wake_);
  }
}

}  // namespace cbit::x86
