#include "tools/scan/progress.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace cbit::tools::scan {

Progress::Progress(bool enabled)
    : enabled_(enabled), start_(std::chrono::steady_clock::now()), last_(start_) {}

Progress::~Progress() { finish(); }

bool Progress::stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

void Progress::update(uint64_t done, uint64_t total) {
  if (!enabled_ || total == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100) && done < total) return;
  last_ = now;
  const double frac = double(done) / double(total);
  const int width = 30, fill = static_cast<int>(frac * width);
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? double(done) / secs / (1 << 20) : 0;
  std::string bar(static_cast<size_t>(fill), '#');
  bar.append(static_cast<size_t>(width - fill), '.');
  std::fprintf(stderr, "\rcbit scan [%s] %5.1f%%  %llu/%llu MiB  %.0f MiB/s ", bar.c_str(),
               100.0 * frac, static_cast<unsigned long long>(done >> 20),
               static_cast<unsigned long long>(total >> 20), rate);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r%80s\r", "");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace cbit::tools::scan
