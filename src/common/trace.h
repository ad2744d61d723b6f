// The trace of what the simulated hardware did: a process-wide sink that records events in the
// Chrome trace-event format (the "Trace Event Format" document: "X" complete events with ts and
// dur, "i" instant events, "M" metadata naming processes and threads), which Perfetto's UI and
// chrome://tracing open. docs/trace.md lists every event the model emits and what its args mean.
//
// Off by default, and then nearly free: each emit point is `if (trace::on()) [[unlikely]] ...`, one
// relaxed load of a process-wide flag and a branch the predictor learns; nothing is formatted,
// allocated or locked. The hot loops (the x86 block hook, the memory controller's fast path) have
// no emit point at all.
//
// The timeline is in simulated instructions, not wall time: `ts` (the format's microseconds) is a
// process-wide instruction counter. The x86 Process adds the instructions Unicorn retired
// (advance()); every event the model itself emits counts as one instruction (the model's own
// VMRUN, WBINVD, a Secure Processor command's doorbell), so no two events share a timestamp and
// the order on the timeline is the order things happened. A complete event's `dur` covers what
// happened inside it (a Secure Processor command that flushes caches lasts longer than one that
// does not). In the viewers 1 "us" is one instruction.
//
// What may go into an event: names from the specs (commands, exit codes, status codes), numbers
// the hardware exposes (addresses, lengths, error codes, ASIDs). Never key material or the
// contents of memory or of a command buffer: tests/unit/security/ searches a trace for every key.
#pragma once
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace cbit {
class OutputFile;
}

namespace cbit::trace {

// A row in the viewer: a process (pid) and a thread (tid) in the format's words.
struct Track {
  uint32_t pid = 0, tid = 0;
  friend bool operator==(const Track&, const Track&) = default;
};
namespace track {
// Hardware.
inline constexpr Track kSecureProcessor{1, 1};
inline constexpr Track kMemoryController{1, 2};
inline constexpr Track kIommu{1, 3};  // DMA devices and the IOMMU's RMP check
constexpr Track cpu(unsigned core) { return {1, 100 + core}; }
// Software.
inline constexpr Track kHostKernel{2, 1};  // the host kernel, its PSP driver and KVM
inline constexpr Track kGuestKernel{2, 2};
constexpr Track vcpu(unsigned id) { return {2, 100 + id}; }  // KVM's handling of a vCPU's exits
// Whoever attacks the machine (a physical attacker, a malicious hypervisor).
inline constexpr Track kAttacker{3, 1};
// The track's name, as its "M" metadata event gives it ("Secure Processor", "CPU 0", ...).
std::string track_name(Track t);
}  // namespace track

// The flag every emit point tests.
inline std::atomic<bool> g_on{false};
inline bool on() { return g_on.load(std::memory_order_relaxed); }

// The timeline's clock: instructions retired so far (see above).
inline std::atomic<uint64_t> g_clock{0};
inline void advance(uint64_t instructions) {
  g_clock.fetch_add(instructions, std::memory_order_relaxed);
}
inline uint64_t now() { return g_clock.load(std::memory_order_relaxed); }

// An argument value: a number, a flag or text. Numbers above 2^53 lose precision in the viewers'
// JavaScript: addresses and codes go in as hex() text.
class Value {
 public:
  Value(bool v) : kind_(Kind::Bool), u_(v) {}
  Value(int v) : kind_(Kind::Int), i_(v) {}
  Value(long v) : kind_(Kind::Int), i_(v) {}
  Value(long long v) : kind_(Kind::Int), i_(v) {}
  Value(unsigned v) : kind_(Kind::Uint), u_(v) {}
  Value(unsigned long v) : kind_(Kind::Uint), u_(v) {}
  Value(unsigned long long v) : kind_(Kind::Uint), u_(v) {}
  Value(const char* s) : kind_(Kind::Text), s_(s ? s : "") {}
  Value(std::string_view s) : kind_(Kind::Text), s_(s) {}
  Value(std::string s) : kind_(Kind::Text), s_(std::move(s)) {}
  void append_json(std::string& out) const;

 private:
  enum class Kind : uint8_t { Bool, Int, Uint, Text } kind_;
  int64_t i_ = 0;
  uint64_t u_ = 0;
  std::string s_;
};
struct Arg {
  std::string_view key;
  Value value;
};
using Args = std::initializer_list<Arg>;
std::string hex(uint64_t v);  // "0x1f"

// Emitters; call them only under `if (trace::on())`. An instant event ("i", thread scope) at
// the current instruction; the clock moves one on.
void instant(Track t, std::string_view cat, std::string_view name, Args args = {});
// A complete event ("X") from `begin` (a value of start()) to now.
uint64_t start();  // the current instruction; the clock moves one on
void complete(Track t, std::string_view cat, std::string_view name, uint64_t begin, Args args = {});

// A complete event over a scope: begins at construction when tracing is on, ends at end() or
// destruction (with end()'s args).
class Span {
 public:
  Span(Track t, std::string_view cat, std::string_view name) {
    if (on()) [[unlikely]] {
      active_ = true;
      track_ = t;
      cat_ = cat;
      name_ = name;
      begin_ = start();
    }
  }
  ~Span() {
    if (active_) complete(track_, cat_, name_, begin_);
  }
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  bool active() const { return active_; }
  void end(Args args) {
    if (!active_) return;
    active_ = false;
    complete(track_, cat_, name_, begin_, args);
  }

 private:
  bool active_ = false;
  Track track_;
  std::string_view cat_, name_;
  uint64_t begin_ = 0;
};

// Recording. begin_recording() empties the buffer, sets the clock to 0 and turns emission on;
// end_recording() turns it off. document() is the whole trace as JSON text (events ordered by
// ts; "M" events naming each track used). A recording keeps at most kMaxEvents events; later
// ones are counted in otherData.dropped_events, not kept.
inline constexpr size_t kMaxEvents = 2'000'000;  // ~300 MB of JSON
void begin_recording();
void end_recording();
std::string document();
size_t recorded_events();

// `--trace FILE`: the output is opened (and a bad path refused, as common/output_file.h does)
// at construction, before anything runs; recording starts then. write() ends the recording and
// writes the document whole (a regular file appears only complete). Destroyed without write():
// nothing is written, recording stops. An empty path: nothing at all.
class TraceFile {
 public:
  explicit TraceFile(const std::string& path);
  ~TraceFile();
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;
  bool enabled() const { return out_ != nullptr; }
  void write();

 private:
  std::unique_ptr<OutputFile> out_;
};

// Runs `body` with a TraceFile for `path`: the trace is written when body returns, and also when
// it throws after the simulation recorded something (a refused launch, a failed check: the trace
// shows why); then the exception goes on.
template <typename F>
void with_trace_file(const std::string& path, F&& body) {
  TraceFile t(path);
  try {
    body();
  } catch (...) {
    if (t.enabled() && recorded_events() > 0) {
      try {
        t.write();
      } catch (...) {  // the original error is the one to report
      }
    }
    throw;
  }
  if (t.enabled()) t.write();
}

}  // namespace cbit::trace
