// The trace sink (common/trace.h): the document is JSON the viewers read (Chrome trace-event
// format: "X" with dur, "i" with scope, "M" naming every track used), events ordered by ts with
// each track's timestamps non-decreasing, arguments escaped, nothing recorded while off, and the
// --trace file written whole by common/output_file.h's rules or refused with an InputError.
#include "common/trace.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "common/file.h"
#include "unit/input_error.h"
#include "unit/temp_dir.h"
#include "unit/trace_util.h"

namespace cbit {
namespace {

using testutil::Recording;
namespace tk = trace::track;

TEST(Trace, OffRecordsNothingAndSpansStayInactive) {
  trace::begin_recording();
  trace::end_recording();
  ASSERT_FALSE(trace::on());
  const uint64_t clock = trace::now();
  {
    trace::Span s(tk::kSecureProcessor, "psp", "LAUNCH_START");
    EXPECT_FALSE(s.active());
  }
  EXPECT_EQ(trace::recorded_events(), 0u);
  EXPECT_EQ(trace::now(), clock);  // the clock moves only for recorded events (and x86 code)
  // Control: the same span while recording is an event.
  Recording r;
  { trace::Span s(tk::kSecureProcessor, "psp", "LAUNCH_START"); }
  EXPECT_EQ(trace::recorded_events(), 1u);
}

TEST(Trace, DocumentIsChromeTraceJson) {
  Recording r;
  {
    trace::Span span(tk::kSecureProcessor, "psp", "SNP_LAUNCH_UPDATE");
    trace::instant(tk::cpu(1), "cache", "WBINVD");
    trace::advance(40);  // 40 instructions of x86 code
    span.end({{"status", "SUCCESS"}, {"code", trace::hex(0)}});
  }
  trace::instant(tk::kAttacker, "attack", "quote \" backslash \\ newline \n byte \xff",
                 {{"n", -3}, {"u", 7u}, {"flag", true}, {"text", std::string("a\tb")}});
  const auto doc = r.parse();
  EXPECT_EQ(doc.at("displayTimeUnit"), "ms");
  EXPECT_EQ(doc.at("otherData").at("events"), 3);
  const auto& ev = doc.at("traceEvents");
  // Every track used is named, and its process too.
  std::map<std::pair<int, int>, std::string> threads;
  std::map<int, std::string> processes;
  for (const auto& e : ev) {
    if (e.at("ph") != "M") continue;
    if (e.at("name") == "thread_name")
      threads[{e.at("pid"), e.at("tid")}] = e.at("args").at("name");
    if (e.at("name") == "process_name") processes[e.at("pid")] = e.at("args").at("name");
  }
  EXPECT_EQ(threads.at({1, 1}), "Secure Processor");
  EXPECT_EQ(threads.at({1, 101}), "CPU 1");
  EXPECT_EQ(threads.at({3, 1}), "attacker");
  EXPECT_EQ(processes.at(1), "hardware");
  EXPECT_EQ(processes.at(3), "attacker");
  EXPECT_EQ(threads.size(), 3u);

  const auto sp = testutil::events_on(doc, tk::kSecureProcessor);
  ASSERT_EQ(sp.size(), 1u);
  EXPECT_EQ(sp[0].at("ph"), "X");
  EXPECT_EQ(sp[0].at("ts"), 0);
  EXPECT_EQ(sp[0].at("dur"), 42);  // its own tick, the WBINVD inside, 40 instructions
  EXPECT_EQ(sp[0].at("args").at("status"), "SUCCESS");
  const auto cpu = testutil::events_on(doc, tk::cpu(1));
  ASSERT_EQ(cpu.size(), 1u);
  EXPECT_EQ(cpu[0].at("ph"), "i");
  EXPECT_EQ(cpu[0].at("s"), "t");
  EXPECT_EQ(cpu[0].at("ts"), 1);
  const auto at = testutil::events_on(doc, tk::kAttacker);
  ASSERT_EQ(at.size(), 1u);
  EXPECT_EQ(at[0].at("ts"), 42);
  EXPECT_EQ(at[0].at("name"), "quote \" backslash \\ newline \n byte \u00ff");
  EXPECT_EQ(at[0].at("args").at("n"), -3);
  EXPECT_EQ(at[0].at("args").at("u"), 7);
  EXPECT_EQ(at[0].at("args").at("flag"), true);
  EXPECT_EQ(at[0].at("args").at("text"), "a\tb");
  // Events in ts order: the complete event recorded last comes first.
  uint64_t last = 0;
  for (const auto& e : ev) {
    if (e.at("ph") == "M") continue;
    EXPECT_GE(e.at("ts").get<uint64_t>(), last);
    last = e.at("ts");
  }
}

TEST(Trace, EmptyRecordingIsValidJson) {
  Recording r;
  const auto doc = r.parse();
  EXPECT_TRUE(doc.at("traceEvents").empty());
  EXPECT_EQ(doc.at("otherData").at("dropped_events"), 0);
}

TEST(TraceFile, WritesTheDocumentWholeAtWrite) {
  const testutil::UniqueTempDir tmp("cbit-trace");
  const std::string path = (tmp.path() / "t.json").string();
  {
    trace::TraceFile f(path);
    EXPECT_TRUE(trace::on());
    trace::instant(tk::kHostKernel, "printk", "printk", {{"line", "hello"}});
    EXPECT_FALSE(std::filesystem::exists(path));  // nothing visible before write()
    f.write();
    EXPECT_FALSE(trace::on());
  }
  const Bytes b = read_file(path, 1 << 20);
  const auto doc = nlohmann::json::parse(std::string(b.begin(), b.end()));
  ASSERT_EQ(testutil::named(doc, "printk").size(), 1u);
  EXPECT_EQ(testutil::named(doc, "printk")[0].at("args").at("line"), "hello");
  // Without write(): nothing appears, recording stops.
  const std::string unwritten = (tmp.path() / "u.json").string();
  {
    trace::TraceFile f(unwritten);
    trace::instant(tk::kHostKernel, "printk", "printk");
  }
  EXPECT_FALSE(trace::on());
  EXPECT_FALSE(std::filesystem::exists(unwritten));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp.path()),
                          std::filesystem::directory_iterator()),
            1);  // no temporary left behind
  // An empty path: no file, no recording.
  {
    trace::TraceFile f("");
    EXPECT_FALSE(f.enabled());
    EXPECT_FALSE(trace::on());
  }
}

TEST(TraceFile, BadPathsAreInputErrorsBeforeRecording) {
  const testutil::UniqueTempDir tmp("cbit-trace");
  const auto dir = tmp.path();
  const auto refuse = [](const std::string& p) {
    return testutil::error_of([&] { trace::TraceFile f(p); });
  };
  EXPECT_NE(refuse((dir / "missing" / "t.json").string()).find("missing"), std::string::npos);
  EXPECT_NE(refuse(dir.string()).find("is a directory"), std::string::npos);
  write_output_file((dir / "target").string(), as_bytes("keep"));
  std::filesystem::create_symlink(dir / "target", dir / "link");
  EXPECT_NE(refuse((dir / "link").string()).find("symbolic link"), std::string::npos);
  EXPECT_FALSE(trace::on());
  const Bytes kept = read_file((dir / "target").string(), 16);
  EXPECT_EQ(std::string(kept.begin(), kept.end()), "keep");
  // A FIFO is written through, never replaced (control: a regular file is fine).
  EXPECT_EQ(refuse((dir / "ok.json").string()), "");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  // O_WRONLY on a FIFO waits for a reader: one is opened first, non-blocking.
  const int rd = ::open((dir / "fifo").c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(rd, 0);
  EXPECT_EQ(testutil::error_of([&] {
              trace::TraceFile f((dir / "fifo").string());
              trace::instant(tk::kAttacker, "attack", "x");
              f.write();
            }),
            "");
  char buf[64] = {};
  EXPECT_GT(::read(rd, buf, sizeof buf), 0);
  EXPECT_EQ(std::string(buf, 15), "{\"traceEvents\":");
  ::close(rd);
  struct stat st {};
  ASSERT_EQ(::lstat((dir / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(TraceFile, WithTraceFileWritesWhenTheBodyFailsAfterRecording) {
  const testutil::UniqueTempDir tmp("cbit-trace");
  const std::string after = (tmp.path() / "after.json").string();
  EXPECT_NE(testutil::error_of([&] {
              trace::with_trace_file(after, [] {
                trace::instant(tk::kSecureProcessor, "psp", "LAUNCH_MEASURE");
                throw InputError("refused");
              });
            }),
            "");
  EXPECT_TRUE(std::filesystem::exists(after));  // the trace shows what led to the failure
  // Control: a failure before anything was recorded (bad flags) leaves no file.
  const std::string before = (tmp.path() / "before.json").string();
  EXPECT_EQ(testutil::error_of(
                [&] { trace::with_trace_file(before, [] { throw InputError("bad flag"); }); }),
            "bad flag");
  EXPECT_FALSE(std::filesystem::exists(before));
  EXPECT_FALSE(trace::on());
}

}  // namespace
}  // namespace cbit
