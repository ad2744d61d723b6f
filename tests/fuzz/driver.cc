// Stand-in for libFuzzer's main(), used when cbit is built with gcc (ctest runs it for every
// target; with clang, -DCBIT_LIBFUZZER=ON and `make fuzz` give the coverage-guided fuzzer).
//
//   fuzz_<name> [--regressions=DIR] [--default-seconds=N] CORPUS_DIR...
//                                 replay DIR and the corpus, then mutate
//   fuzz_<name> FILE...           replay these inputs only (reproduce a crash)
//
// Environment:
//   CBIT_FUZZ_SEED     seed of the mutations (decimal). Unset: a fresh random seed, printed, so
//                      every run explores new inputs and a failing run can be repeated.
//   CBIT_FUZZ_SECONDS  time budget for the mutations (default: --default-seconds, else 10).
//   CBIT_FUZZ_RUNS     stop after this many mutations; alone it lifts the time budget, so a
//                      reproduction with the same seed reaches the same mutation on any machine.
//   CBIT_FUZZ_TIMEOUT  seconds one input may run before it counts as a hang (default 60).
//
// The driver cannot catch a crash in-process, so it publishes each input before running it: a
// fatal signal (SIGSEGV, SIGBUS, SIGILL from __builtin_trap, SIGFPE, SIGABRT from abort, an
// uncaught exception or CBIT_ASSERT), a sanitizer's death callback (ASan, UBSan, LSan report and
// exit without a signal) or the hang watchdog writes that input to DIR/crash-<hash> (or
// timeout-<hash>) with async-signal-safe calls only, prints the path, and the process then dies
// as it would have. Files in DIR (tests/fuzz/regressions/<name>/) are replayed every run.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Present when a sanitizer runtime is linked in (gcc and clang); null otherwise.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace {

namespace fs = std::filesystem;
using Input = std::vector<uint8_t>;

// What the crash paths read. Lock-free atomics and plain arrays: safe in a signal handler.
std::atomic<const uint8_t*> g_data{nullptr};
std::atomic<size_t> g_size{0};
std::atomic<bool> g_running{false};
std::atomic<long> g_mutation{-1};  // -1 while replaying files
volatile sig_atomic_t g_dumped = 0;
char g_dir[2048] = ".";
bool g_save = true;  // false when replaying named files: they are saved already
char g_self[1024] = "";
uint64_t g_seed = 0;
struct sigaction g_old[NSIG];
alignas(16) char g_altstack[1 << 18];  // room for a stack overflow's handler (ours, then ASan's)

void put(const char* s) {
  for (size_t n = std::strlen(s); n;) {
    const ssize_t w = ::write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w, n -= static_cast<size_t>(w);
  }
}

// Decimal and hex without printf (not async-signal-safe).
const char* fmt_u64(uint64_t v, char (&out)[24], int base) {
  char* p = out + sizeof out - 1;
  *p = 0;
  do *--p = "0123456789abcdef"[v % base];
  while (v /= base);
  return p;
}

void append(char* dst, size_t cap, const char* s) {
  const size_t n = std::strlen(dst);
  std::strncat(dst, s, cap - n - 1);
}

// Writes the running input to g_dir/<kind>-<fnv1a64> (via a temporary name, so a concurrent
// replay never sees half a file) and says where. Called from signal handlers, the sanitizer's
// death callback and the watchdog thread; only the first call writes.
void dump(const char* kind) {
  if (!g_running.load() || g_dumped) return;
  g_dumped = 1;
  if (!g_save) {
    put("\ncbit fuzz: ");
    put(kind);
    put(" running the input named above\n");
    return;
  }
  const uint8_t* data = g_data.load();
  const size_t size = g_size.load();
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3ull;
  char num[24], path[2200] = "", tmp[2300] = "";
  // mkdir -p: the regressions directory of a target that never crashed does not exist yet.
  for (char* p = g_dir + 1; *p; ++p)
    if (*p == '/') *p = 0, ::mkdir(g_dir, 0777), *p = '/';
  ::mkdir(g_dir, 0777);
  append(path, sizeof path, g_dir);
  append(path, sizeof path, "/");
  append(path, sizeof path, kind);
  append(path, sizeof path, "-");
  append(path, sizeof path, fmt_u64(h, num, 16));
  append(tmp, sizeof tmp, path);
  append(tmp, sizeof tmp, ".tmp.");
  append(tmp, sizeof tmp, fmt_u64(static_cast<uint64_t>(::getpid()), num, 10));
  bool saved = false;
  if (const int fd = ::open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); fd >= 0) {
    size_t done = 0;
    while (done < size) {
      const ssize_t w = ::write(fd, data + done, size - done);
      if (w <= 0) break;
      done += static_cast<size_t>(w);
    }
    saved = ::close(fd) == 0 && done == size && ::rename(tmp, path) == 0;
    if (!saved) ::unlink(tmp);
  }
  put("\ncbit fuzz: ");
  put(kind);
  const long m = g_mutation.load();
  if (m >= 0) {
    put(" on mutation ");
    put(fmt_u64(static_cast<uint64_t>(m), num, 10));
    put(" of seed=");
    put(fmt_u64(g_seed, num, 10));
  } else {
    put(" replaying a stored input");
  }
  put(saved ? "; input saved to " : "; could not save the input to ");
  put(path);
  put("\ncbit fuzz: replay it with: ");
  put(g_self);
  put(" ");
  put(path);
  put("\ncbit fuzz: keep it as a regression: commit it with the fix\n");
}

void on_signal(int sig, siginfo_t* info, void*) {
  dump("crash");
  // Hand the signal to whoever had it before (ASan's report, or the default death). A fault
  // returns to the faulting instruction and happens again; a sent signal (raise, abort) is sent
  // again and stays pending until this handler returns.
  ::sigaction(sig, &g_old[sig], nullptr);
  if (info->si_code <= 0 || sig == SIGABRT) ::raise(sig);
}

void on_sanitizer_death() { dump("crash"); }

void install_crash_handlers() {
  stack_t ss{};
  ss.ss_sp = g_altstack;
  ss.ss_size = sizeof g_altstack;
  ::sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) ::sigaction(sig, &sa, &g_old[sig]);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(on_sanitizer_death);
}

void run_one(const Input& in) {
  g_data = in.data();
  g_size = in.size();
  g_running = true;
  LLVMFuzzerTestOneInput(in.data(), in.size());
  g_running = false;
}

// Reports an input that runs longer than the timeout, then ends the process (the input cannot be
// stopped from here). Checks a generation counter, so it costs the fuzzing loop nothing.
class Watchdog {
 public:
  explicit Watchdog(unsigned seconds) : thread_([this, seconds] { loop(seconds); }) {}
  ~Watchdog() {
    stop_ = true;
    thread_.join();
  }
  void tick() { ++gen_; }

 private:
  void loop(unsigned seconds) {
    uint64_t last = gen_;
    auto since = std::chrono::steady_clock::now();
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const auto now = std::chrono::steady_clock::now();
      if (gen_ != last || !g_running) {
        last = gen_, since = now;
      } else if (now - since > std::chrono::seconds(seconds)) {
        dump("timeout");
        std::_Exit(70);
      }
    }
  }
  std::atomic<uint64_t> gen_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Input read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Input(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every regular file under `dir`, in name order (so a seed means the same mutations everywhere).
void read_dir(const fs::path& dir, std::vector<Input>& out) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename().string().find(".tmp.") == std::string::npos)
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) out.push_back(read_file(f));
}

uint64_t env_u64(const char* name, uint64_t fallback, bool* set = nullptr) {
  const char* v = std::getenv(name);
  if (set) *set = v && *v;
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const unsigned long long x = std::strtoull(v, &end, 10);
  if (*end) {
    std::fprintf(stderr, "cbit fuzz: %s=%s is not a decimal number\n", name, v);
    std::exit(2);
  }
  return x;
}

// One to four stacked edits: what breaks parsers is wrong lengths, offsets and counts.
void mutate(Input& buf, const std::vector<Input>& corpus, std::mt19937_64& rng, size_t max_size) {
  for (int edits = 1 + static_cast<int>(rng() % 4); edits--;) {
    switch (rng() % 8) {
      case 0:  // flip a few bits
        for (int k = 0, n = 1 + rng() % 8; k < n && !buf.empty(); ++k)
          buf[rng() % buf.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case 1:  // truncate
        if (!buf.empty()) buf.resize(rng() % buf.size());
        break;
      case 2:  // overwrite a few bytes with random ones
        for (size_t k = 0, n = 1 + rng() % 64; k < n && !buf.empty(); ++k)
          buf[rng() % buf.size()] = static_cast<uint8_t>(rng());
        break;
      case 3: {  // splice with another input
        const auto& other = corpus[rng() % corpus.size()];
        if (!other.empty() && !buf.empty()) {
          const size_t at = rng() % buf.size(), from = rng() % other.size();
          for (size_t k = 0; at + k < buf.size() && from + k < other.size() && k < 256; ++k)
            buf[at + k] = other[from + k];
        }
        break;
      }
      case 4: {  // insert random bytes (shifts every offset behind them)
        const size_t at = buf.empty() ? 0 : rng() % (buf.size() + 1), n = 1 + rng() % 16;
        Input ins(n);
        for (auto& b : ins) b = static_cast<uint8_t>(rng());
        buf.insert(buf.begin() + static_cast<long>(at), ins.begin(), ins.end());
        break;
      }
      case 5:  // erase a range
        if (!buf.empty()) {
          const size_t at = rng() % buf.size(),
                       n = 1 + rng() % std::min<size_t>(64, buf.size() - at);
          buf.erase(buf.begin() + static_cast<long>(at), buf.begin() + static_cast<long>(at + n));
        }
        break;
      case 6:  // interesting integers at a random place: lengths and offsets are what parsers trust
        if (buf.size() >= 8) {
          static const uint64_t magic[] = {0,          1,          0x7f,    0x80,
                                           0xff,       0xffff,     0x10000, 0x7fffffff,
                                           0x80000000, 0xffffffff, ~0ull,   ~0ull >> 1};
          const uint64_t v = magic[rng() % std::size(magic)];
          const size_t at = rng() % (buf.size() - 7);
          const int width = 1 << (rng() % 4);  // 1, 2, 4 or 8 bytes
          for (int k = 0; k < width; ++k) buf[at + k] = static_cast<uint8_t>(v >> (8 * k));
        }
        break;
      default:  // fully random
        buf.resize(rng() % 4096);
        for (auto& b : buf) b = static_cast<uint8_t>(rng());
    }
  }
  if (buf.size() > max_size) buf.resize(max_size);
}

}  // namespace

// gcc links UBSan as its own runtime, whose reports never reach ASan's death callback: make an
// unrecoverable UBSan report end in abort(), which the SIGABRT handler sees. UBSAN_OPTIONS can
// still override it.
extern "C" const char* __ubsan_default_options() { return "abort_on_error=1:print_stacktrace=1"; }

int main(int argc, char** argv) {
  std::snprintf(g_self, sizeof g_self, "%s", argv[0]);
  std::vector<fs::path> dirs, files;
  fs::path regressions;
  uint64_t default_seconds = 10;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--regressions=", 0) == 0) {
      regressions = a.substr(14);
    } else if (a.rfind("--default-seconds=", 0) == 0) {
      char* end = nullptr;
      default_seconds = std::strtoull(a.c_str() + 18, &end, 10);
      if (end == a.c_str() + 18 || *end != '\0') {
        std::fprintf(stderr, "cbit fuzz: %s: not a number of seconds\n", a.c_str());
        return 2;
      }
    } else if (fs::is_directory(a)) {
      dirs.push_back(a);
    } else if (fs::is_regular_file(a)) {
      files.push_back(a);
    } else {
      std::fprintf(stderr, "cbit fuzz: %s: no such file or directory\n", a.c_str());
      return 2;
    }
  }
  if (!regressions.empty()) std::snprintf(g_dir, sizeof g_dir, "%s", regressions.c_str());
  install_crash_handlers();
  Watchdog watchdog(static_cast<unsigned>(env_u64("CBIT_FUZZ_TIMEOUT", 60)));

  if (!files.empty() && dirs.empty()) {  // reproduce: run exactly these inputs
    g_save = false;
    for (const auto& f : files) {
      std::fprintf(stderr, "cbit fuzz: running %s\n", f.c_str());
      watchdog.tick();
      run_one(read_file(f));
    }
    std::printf("%zu inputs ran without a crash\n", files.size());
    return 0;
  }

  std::vector<Input> corpus;
  size_t stored = 0;
  if (!regressions.empty() && fs::is_directory(regressions)) read_dir(regressions, corpus);
  stored = corpus.size();
  for (const auto& d : dirs) read_dir(d, corpus);
  for (const auto& f : files) corpus.push_back(read_file(f));
  if (corpus.empty()) corpus.push_back({});

  bool seed_set = false, runs_set = false, seconds_set = false;
  g_seed = env_u64("CBIT_FUZZ_SEED", 0, &seed_set);
  if (!seed_set) g_seed = (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  const uint64_t runs = env_u64("CBIT_FUZZ_RUNS", UINT64_MAX, &runs_set);
  const uint64_t seconds = env_u64("CBIT_FUZZ_SECONDS", default_seconds, &seconds_set);
  const bool timed = seconds_set || !runs_set;
  std::string cmd;
  for (int i = 0; i < argc; ++i) cmd += std::string(i ? " " : "") + argv[i];
  std::printf("cbit fuzz: seed=%llu; reproduce with CBIT_FUZZ_SEED=%llu %s\n",
              static_cast<unsigned long long>(g_seed), static_cast<unsigned long long>(g_seed),
              cmd.c_str());
  std::fflush(stdout);

  size_t max_size = 4096;
  for (const auto& in : corpus) {
    max_size = std::max(max_size, 2 * in.size());
    watchdog.tick();
    run_one(in);
  }

  std::mt19937_64 rng(g_seed);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(timed ? std::min<uint64_t>(seconds, 1u << 30) : 0);
  uint64_t done = 0;
  for (; done < runs; ++done) {
    // The clock before every input (a vDSO call, ~20 ns): one slow input overshoots, no more.
    if (timed && std::chrono::steady_clock::now() >= deadline) break;
    Input buf = corpus[rng() % corpus.size()];
    mutate(buf, corpus, rng, max_size);
    g_mutation = static_cast<long>(done);
    watchdog.tick();
    run_one(buf);
  }
  std::printf(
      "cbit fuzz: %zu stored inputs (%zu regressions) and %llu mutations (seed=%llu) ran "
      "without a crash\n",
      corpus.size(), stored, static_cast<unsigned long long>(done),
      static_cast<unsigned long long>(g_seed));
  return 0;
}
