#include "common/trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/output_file.h"

namespace cbit::trace {
namespace {

struct Event {
  uint64_t ts;
  std::string json;  // the whole event object
};

struct Recorder {
  std::mutex mu;
  std::vector<Event> events;
  std::set<std::pair<uint32_t, uint32_t>> tracks;
  uint64_t dropped = 0;
};

Recorder& recorder() {
  static Recorder r;
  return r;
}

// JSON string contents: quotes, backslashes and control characters escaped; bytes above 0x7f
// written as \u00XX (read as Latin-1), so the document is valid JSON whatever a name holds.
void append_escaped(std::string& out, std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += ch;
    }
  }
}

void append_string(std::string& out, std::string_view s) {
  out += '"';
  append_escaped(out, s);
  out += '"';
}

void record(uint64_t ts, Track t, std::string json) {
  Recorder& r = recorder();
  const std::lock_guard lock(r.mu);
  if (!on()) return;  // recording ended while the event was being made
  if (r.events.size() >= kMaxEvents) {
    ++r.dropped;
    return;
  }
  r.tracks.insert({t.pid, t.tid});
  r.events.push_back({ts, std::move(json)});
}

std::string head(std::string_view ph, Track t, std::string_view cat, std::string_view name,
                 uint64_t ts) {
  std::string s;
  s.reserve(160);
  s += "{\"ph\":\"";
  s += ph;
  s += fmt::format("\",\"ts\":{},\"pid\":{},\"tid\":{},\"cat\":", ts, t.pid, t.tid);
  append_string(s, cat);
  s += ",\"name\":";
  append_string(s, name);
  return s;
}

void append_args(std::string& s, Args args) {
  s += ",\"args\":{";
  bool first = true;
  for (const Arg& a : args) {
    if (!first) s += ',';
    first = false;
    append_string(s, a.key);
    s += ':';
    a.value.append_json(s);
  }
  s += '}';
}

std::string process_name(uint32_t pid) {
  switch (pid) {
    case 1:
      return "hardware";
    case 2:
      return "software";
    case 3:
      return "attacker";
  }
  return fmt::format("process {}", pid);
}

}  // namespace

std::string track::track_name(Track t) {
  if (t == kSecureProcessor) return "Secure Processor";
  if (t == kMemoryController) return "memory controller";
  if (t == kIommu) return "IOMMU / DMA";
  if (t.pid == 1 && t.tid >= 100) return fmt::format("CPU {}", t.tid - 100);
  if (t == kHostKernel) return "host kernel (PSP driver, KVM)";
  if (t == kGuestKernel) return "guest kernel";
  if (t.pid == 2 && t.tid >= 100) return fmt::format("vCPU {} (KVM)", t.tid - 100);
  if (t == kAttacker) return "attacker";
  return fmt::format("track {}.{}", t.pid, t.tid);
}

void Value::append_json(std::string& out) const {
  switch (kind_) {
    case Kind::Bool:
      out += u_ ? "true" : "false";
      return;
    case Kind::Int:
      out += fmt::format("{}", i_);
      return;
    case Kind::Uint:
      out += fmt::format("{}", u_);
      return;
    case Kind::Text:
      append_string(out, s_);
      return;
  }
}

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

uint64_t start() { return g_clock.fetch_add(1, std::memory_order_relaxed); }

void instant(Track t, std::string_view cat, std::string_view name, Args args) {
  const uint64_t ts = start();
  std::string s = head("i", t, cat, name, ts);
  s += ",\"s\":\"t\"";
  append_args(s, args);
  s += '}';
  record(ts, t, std::move(s));
}

void complete(Track t, std::string_view cat, std::string_view name, uint64_t begin, Args args) {
  const uint64_t end = now();
  std::string s = head("X", t, cat, name, begin);
  s += fmt::format(",\"dur\":{}", end > begin ? end - begin : 1);
  append_args(s, args);
  s += '}';
  record(begin, t, std::move(s));
}

void begin_recording() {
  Recorder& r = recorder();
  const std::lock_guard lock(r.mu);
  r.events.clear();
  r.tracks.clear();
  r.dropped = 0;
  g_clock.store(0, std::memory_order_relaxed);
  g_on.store(true, std::memory_order_relaxed);
}

void end_recording() {
  Recorder& r = recorder();
  const std::lock_guard lock(r.mu);
  g_on.store(false, std::memory_order_relaxed);
}

size_t recorded_events() {
  Recorder& r = recorder();
  const std::lock_guard lock(r.mu);
  return r.events.size();
}

std::string document() {
  Recorder& r = recorder();
  const std::lock_guard lock(r.mu);
  // Complete events are recorded when they end: order by start so that each track's
  // timestamps never go back (a stable sort keeps the order of equal timestamps).
  std::stable_sort(r.events.begin(), r.events.end(),
                   [](const Event& a, const Event& b) { return a.ts < b.ts; });
  std::string out = "{\"traceEvents\":[\n";
  std::set<uint32_t> pids;
  for (const auto& [pid, tid] : r.tracks) pids.insert(pid);
  for (const uint32_t pid : pids) {
    out += fmt::format(
        "{{\"ph\":\"M\",\"ts\":0,\"pid\":{},\"tid\":0,\"name\":\"process_name\","
        "\"args\":{{\"name\":",
        pid);
    append_string(out, process_name(pid));
    out += "}},\n";
    out += fmt::format(
        "{{\"ph\":\"M\",\"ts\":0,\"pid\":{0},\"tid\":0,\"name\":\"process_sort_index\","
        "\"args\":{{\"sort_index\":{0}}}}},\n",
        pid);
  }
  for (const auto& [pid, tid] : r.tracks) {
    out += fmt::format(
        "{{\"ph\":\"M\",\"ts\":0,\"pid\":{},\"tid\":{},\"name\":\"thread_name\",\"args\":{{"
        "\"name\":",
        pid, tid);
    append_string(out, track::track_name({pid, tid}));
    out += "}},\n";
    out += fmt::format(
        "{{\"ph\":\"M\",\"ts\":0,\"pid\":{},\"tid\":{},\"name\":\"thread_sort_index\","
        "\"args\":{{\"sort_index\":{}}}}},\n",
        pid, tid, tid);
  }
  for (const Event& e : r.events) {
    out += e.json;
    out += ",\n";
  }
  // The format allows a trailing comma in the array, JSON does not: the last entry has none.
  if (out.size() >= 2 && out[out.size() - 2] == ',') out.erase(out.size() - 2, 1);
  out += fmt::format(
      "],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{{\"generator\":\"cbit\",\"clock\":"
      "\"simulated instructions: 1 us on the timeline is one instruction\",\"events\":{},"
      "\"dropped_events\":{}}}}}\n",
      r.events.size(), r.dropped);
  return out;
}

TraceFile::TraceFile(const std::string& path) {
  if (path.empty()) return;
  out_ = std::make_unique<OutputFile>(path);
  begin_recording();
}

TraceFile::~TraceFile() {
  if (out_) end_recording();
}

void TraceFile::write() {
  CBIT_ASSERT(out_ != nullptr);
  end_recording();
  const std::string doc = document();
  out_->write(as_bytes(doc));
  out_->commit();
  out_.reset();
}

}  // namespace cbit::trace
