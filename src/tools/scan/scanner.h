// The streaming scan: reads a dump chunk by chunk (memory use depends on the chunk size and the
// thread count, never on the dump size or the number of matches), classifies every page, finds
// patterns, attributes both to the page map, and hands results to a sink in address order.
//
// Pipeline: `threads` workers read 4 MiB chunks with pread and classify their pages into a ring
// of threads + 2 buffers; the calling thread takes the chunks in address order, merges the page
// classes and feeds the bytes to one Hyperscan stream per PT_LOAD segment (a match never spans
// two segments, whose memory is not contiguous), so a match crossing a chunk or page boundary is
// found exactly once, whatever its length. Every match is counted by the page class and
// page-map kind of the page it starts in; only the first `max_matches` in address order are
// kept, and their bytes are read back from the file at the end.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tools/scan/dump_reader.h"
#include "tools/scan/page_classifier.h"
#include "tools/scan/page_map.h"
#include "tools/scan/pattern.h"

namespace cbit::tools::scan {

struct ScanOptions {
  size_t chunk_size = size_t(4) << 20;  // rounded up to a multiple of kPageSize, >= 64 KiB
  unsigned threads = 2;                 // readers/classifiers; 1: all on the calling thread
  size_t max_matches = 1000;            // matches handed to the sink; all are counted
};

// A run of consecutive pages with the same class and the same page-map region.
struct PageRange {
  uint64_t gpa = 0;
  uint64_t pages = 0;
  PageClass cls = PageClass::Zero;
  MemKind kind = MemKind::Unmapped;
  const Region* region = nullptr;  // in the page map, or nullptr
};

struct Match {
  uint32_t pattern = 0;
  uint64_t gpa = 0;
  uint64_t file_offset = 0;
  uint64_t length = 0;
  PageClass page_class = PageClass::Zero;  // of the page the match starts in
  MemKind kind = MemKind::Unmapped;
  const Region* region = nullptr;
  std::string bytes;  // the first up to 64 matched bytes
};

struct ScanTotals {
  uint64_t pages[kMemKindCount][kPageClassCount] = {};
  uint64_t matches[kMemKindCount][kPageClassCount] = {};
  std::vector<uint64_t> matches_per_pattern;
  uint64_t matches_total = 0;
  uint64_t bytes_read = 0;

  uint64_t pages_of_class(PageClass c) const;
  uint64_t pages_of_kind(MemKind k) const;
  uint64_t pages_total() const;
};

class ScanSink {
 public:
  virtual ~ScanSink() = default;
  virtual void on_range(const PageRange&) {}
  virtual void on_match(const Match&) {}
  virtual void on_progress(uint64_t /*bytes_done*/, uint64_t /*bytes_total*/) {}
};

// Throws InputError if the file cannot be read as laid out.
ScanTotals scan_dump(const DumpFile& file, const DumpLayout& layout, const Matcher& matcher,
                     const PageMap& map, const ScanOptions& opt, ScanSink& sink);

}  // namespace cbit::tools::scan
