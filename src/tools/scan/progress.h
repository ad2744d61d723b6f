// A progress bar on stderr, drawn only when stderr is a terminal (never into logs or pipes),
// redrawn at most ten times a second.
#pragma once
#include <chrono>
#include <cstdint>

namespace cbit::tools::scan {

class Progress {
 public:
  explicit Progress(bool enabled);
  ~Progress();
  static bool stderr_is_tty();
  void update(uint64_t done, uint64_t total);
  void finish();  // erases the bar

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace cbit::tools::scan
