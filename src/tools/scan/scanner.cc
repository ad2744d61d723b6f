#include "tools/scan/scanner.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>

#include "common/error.h"

namespace cbit::tools::scan {
namespace {

constexpr size_t kChunksPerThread = 4;  // chunks per thread in one batch

struct Chunk {
  size_t seg = 0;
  uint64_t seg_off = 0;  // first new byte, relative to the segment start
  size_t len = 0;        // new bytes
  size_t overlap = 0;    // bytes of left context before seg_off
  bool more_follows = false;
};

struct ChunkResult {
  std::vector<PageClass> classes;
  std::vector<RawMatch> matches;   // all of them, in address order
  std::vector<std::string> texts;  // the bytes of the first `keep` of them
};

void process_chunk(const DumpFile& file, const Segment& seg, const Chunk& c, const Matcher& m,
                   size_t keep, Bytes& buf, ChunkResult& out) {
  const size_t total = c.overlap + c.len;
  if (buf.size() < total) buf.resize(total);
  file.read_at(seg.file_offset + c.seg_off - c.overlap, {buf.data(), total});
  out.classes.clear();
  for (size_t p = 0; p < c.len; p += kPageSize)
    out.classes.push_back(
        classify_page({buf.data() + c.overlap + p, std::min(kPageSize, c.len - p)}));
  out.matches.clear();
  out.texts.clear();
  if (m.empty()) return;
  m.find({buf.data(), total}, c.overlap, c.more_follows, out.matches);
  // Matches come out pattern by pattern; report them in address order.
  std::sort(out.matches.begin(), out.matches.end(), [](const RawMatch& a, const RawMatch& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.pattern < b.pattern;
  });
  for (size_t i = 0; i < out.matches.size() && i < keep; ++i)
    out.texts.emplace_back(reinterpret_cast<const char*>(buf.data() + out.matches[i].offset),
                           std::min<size_t>(out.matches[i].length, 64));
}

class Merger {
 public:
  Merger(const PageMap& map, ScanSink& sink, ScanTotals& t, size_t max_matches)
      : map_(map), sink_(sink), t_(t), max_matches_(max_matches) {}

  void page(uint64_t gpa, PageClass cls) {
    const Region* r = map_.find(gpa);
    add_pages(gpa, 1, cls, r);
  }

  // Pages not in the file: attributed span by span along the page map, without a per-page loop.
  void absent(uint64_t gpa, uint64_t pages) {
    const uint64_t end = gpa + pages * kPageSize;
    const auto& regs = map_.regions();
    auto it = std::upper_bound(regs.begin(), regs.end(), gpa,
                               [](uint64_t g, const Region& r) { return g < r.gpa; });
    if (it != regs.begin()) --it;
    uint64_t at = gpa;
    while (at < end) {
      while (it != regs.end() && it->gpa + it->size <= at) ++it;
      uint64_t next = end;
      const Region* r = nullptr;
      if (it != regs.end() && it->gpa <= at) {
        r = &*it;
        next = std::min(end, it->gpa + it->size);
      } else if (it != regs.end()) {
        next = std::min(end, it->gpa);
      }
      const uint64_t n = (next - at + kPageSize - 1) / kPageSize;
      add_pages(at, n, PageClass::Absent, r);
      at += n * kPageSize;
    }
  }

  // Every match is counted; the first max_matches (whose bytes were kept) go to the sink.
  void match(const RawMatch& m, const std::string* text, uint64_t gpa, uint64_t file_offset,
             PageClass cls) {
    const Region* r = map_.find(gpa);
    const MemKind kind = r ? r->kind : MemKind::Unmapped;
    ++t_.matches[int(kind)][int(cls)];
    ++t_.matches_per_pattern[m.pattern];
    ++t_.matches_total;
    if (text && sent_ < max_matches_) {
      ++sent_;
      sink_.on_match({m.pattern, gpa, file_offset, m.length, cls, kind, r, *text});
    }
  }

  void flush() {
    if (cur_.pages) sink_.on_range(cur_);
    cur_ = {};
  }

 private:
  void add_pages(uint64_t gpa, uint64_t n, PageClass cls, const Region* r) {
    const MemKind kind = r ? r->kind : MemKind::Unmapped;
    t_.pages[int(kind)][int(cls)] += n;
    if (cur_.pages && cur_.cls == cls && cur_.region == r &&
        cur_.gpa + cur_.pages * kPageSize == gpa) {
      cur_.pages += n;
      return;
    }
    flush();
    cur_ = {gpa, n, cls, kind, r};
  }

  const PageMap& map_;
  ScanSink& sink_;
  ScanTotals& t_;
  size_t max_matches_;
  size_t sent_ = 0;
  PageRange cur_;
};

}  // namespace

uint64_t ScanTotals::pages_of_class(PageClass c) const {
  uint64_t n = 0;
  for (int k = 0; k < kMemKindCount; ++k) n += pages[k][int(c)];
  return n;
}
uint64_t ScanTotals::pages_of_kind(MemKind k) const {
  uint64_t n = 0;
  for (int c = 0; c < kPageClassCount; ++c) n += pages[int(k)][c];
  return n;
}
uint64_t ScanTotals::pages_total() const {
  uint64_t n = 0;
  for (int c = 0; c < kPageClassCount; ++c) n += pages_of_class(PageClass(c));
  return n;
}

ScanTotals scan_dump(const DumpFile& file, const DumpLayout& layout, const Matcher& matcher,
                     const PageMap& map, const ScanOptions& opt, ScanSink& sink) {
  size_t chunk = std::max<size_t>(opt.chunk_size, size_t(64) << 10);
  chunk = (chunk + kPageSize - 1) / kPageSize * kPageSize;
  CBIT_ASSERT(matcher.overlap() < chunk);
  const unsigned threads = std::clamp(opt.threads, 1u, 64u);

  ScanTotals totals;
  totals.matches_per_pattern.assign(matcher.patterns().size(), 0);
  Merger merge(map, sink, totals, opt.max_matches);
  std::vector<Bytes> buffers(threads);
  std::vector<ChunkResult> results(kChunksPerThread * threads);
  std::vector<PageClass> prev_classes;  // the previous chunk's, for matches starting in overlap
  const uint64_t bytes_total = layout.present_bytes();

  for (size_t s = 0; s < layout.segments.size(); ++s) {
    const Segment& seg = layout.segments[s];
    std::vector<Chunk> batch;
    uint64_t prev_off = 0;
    prev_classes.clear();
    for (uint64_t off = 0; off < seg.file_size;) {
      batch.clear();
      for (size_t i = 0; i < kChunksPerThread * threads && off < seg.file_size; ++i) {
        const size_t len = static_cast<size_t>(std::min<uint64_t>(chunk, seg.file_size - off));
        const size_t ov = static_cast<size_t>(std::min<uint64_t>(matcher.overlap(), off));
        batch.push_back({s, off, len, ov, off + len < seg.file_size});
        off += len;
      }
      // Threads take chunks from a shared counter, so a thread slowed by other load on the
      // machine takes fewer of them instead of holding the batch up.
      std::atomic<size_t> next{0};
      std::atomic<bool> failed{false};
      std::vector<std::exception_ptr> errors(threads);
      auto work = [&](unsigned tid) {
        try {
          for (size_t i; !failed && (i = next++) < batch.size();)
            process_chunk(file, seg, batch[i], matcher, opt.max_matches, buffers[tid], results[i]);
        } catch (...) {
          errors[tid] = std::current_exception();
          failed = true;
        }
      };
      const unsigned helpers = static_cast<unsigned>(std::min<size_t>(threads, batch.size())) - 1;
      std::vector<std::thread> pool;
      for (unsigned t = 1; t <= helpers; ++t) pool.emplace_back(work, t);
      work(0);
      for (auto& t : pool) t.join();
      for (auto& e : errors)
        if (e) std::rethrow_exception(e);
      // Merge in address order.
      for (size_t i = 0; i < batch.size(); ++i) {
        const Chunk& c = batch[i];
        ChunkResult& r = results[i];
        for (size_t p = 0; p < r.classes.size(); ++p)
          merge.page(seg.gpa + c.seg_off + p * kPageSize, r.classes[p]);
        for (size_t k = 0; k < r.matches.size(); ++k) {
          const RawMatch& m = r.matches[k];
          const uint64_t pos = c.seg_off - c.overlap + m.offset;  // in the segment
          PageClass cls;
          if (pos >= c.seg_off) {
            cls = r.classes[(pos - c.seg_off) / kPageSize];
          } else {
            const uint64_t idx = (pos - prev_off) / kPageSize;
            cls = idx < prev_classes.size() ? prev_classes[idx] : PageClass::Other;
          }
          merge.match(m, k < r.texts.size() ? &r.texts[k] : nullptr, seg.gpa + pos,
                      seg.file_offset + pos, cls);
        }
        prev_off = c.seg_off;
        prev_classes = r.classes;
        totals.bytes_read += c.len;
      }
      sink.on_progress(totals.bytes_read, bytes_total);
    }
    const uint64_t present_pages = (seg.file_size + kPageSize - 1) / kPageSize;
    const uint64_t all_pages = (seg.mem_size + kPageSize - 1) / kPageSize;
    if (all_pages > present_pages)
      merge.absent(seg.gpa + present_pages * kPageSize, all_pages - present_pages);
  }
  merge.flush();
  return totals;
}

}  // namespace cbit::tools::scan
