// Output of `cbit scan`: a text summary for people and `-o json` for programs. Both stream the
// optional page-range list as the scan produces it (no per-page state is held), and keep at most
// ScanOptions::max_matches matches for the end.
#pragma once
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tools/scan/progress.h"
#include "tools/scan/scanner.h"

namespace cbit::tools::scan {

struct ReportContext {
  std::string dump_path;
  const DumpLayout* layout = nullptr;
  const Matcher* matcher = nullptr;
  std::string map_path;  // empty: no page map
  bool list_pages = false;
};

class Report : public ScanSink {
 public:
  enum class Format { Text, Json };
  static std::unique_ptr<Report> make(Format f, ReportContext ctx, std::FILE* out);

  explicit Report(ReportContext ctx, std::FILE* out) : ctx_(std::move(ctx)), out_(out) {}
  void set_progress(Progress* p) { progress_ = p; }
  void on_progress(uint64_t done, uint64_t total) override {
    if (progress_) progress_->update(done, total);
  }
  void on_match(const Match& m) override { matches_.push_back(m); }

  virtual void begin() = 0;
  virtual void end(const ScanTotals& t) = 0;

 protected:
  bool have_map() const { return !ctx_.map_path.empty(); }
  ReportContext ctx_;
  std::FILE* out_;
  Progress* progress_ = nullptr;
  std::vector<Match> matches_;
};

// The match's bytes for display: printable ASCII as is, others as \xNN.
std::string escape_bytes(const std::string& bytes);

}  // namespace cbit::tools::scan
