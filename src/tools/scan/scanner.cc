#include "tools/scan/scanner.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "common/error.h"

namespace cbit::tools::scan {
namespace {

constexpr size_t kTextBytes = 64;            // bytes of each kept match shown in the report
constexpr uint64_t kHistoryPages = 1 << 16;  // page classes remembered: 256 MiB of memory

// Where chunk i lies: the segments in order, each cut into chunks of `chunk` bytes.
class ChunkPlan {
 public:
  struct Where {
    size_t seg;
    uint64_t off;  // in the segment
    size_t len;
  };
  ChunkPlan(const DumpLayout& l, size_t chunk) : l_(l), chunk_(chunk) {
    first_.push_back(0);
    for (const auto& s : l.segments)
      first_.push_back(first_.back() + (s.file_size + chunk - 1) / chunk);
  }
  size_t count() const { return first_.back(); }
  size_t first(size_t seg) const { return first_[seg]; }  // of segment `seg`; first(n) = count()
  Where at(size_t i) const {
    const size_t seg =
        size_t(std::upper_bound(first_.begin(), first_.end(), i) - first_.begin()) - 1;
    const uint64_t off = (i - first_[seg]) * chunk_;
    return {seg, off,
            static_cast<size_t>(std::min<uint64_t>(chunk_, l_.segments[seg].file_size - off))};
  }

 private:
  const DumpLayout& l_;
  size_t chunk_;
  std::vector<size_t> first_;
};

struct Slot {
  // The chunk's bytes. Allocated without being written (not a value-initialised vector): only
  // the data between holes is ever touched, so a sparse dump's scan does not page in 4 MiB.
  std::unique_ptr<uint8_t[]> buf;
  size_t cap = 0;
  std::vector<PageClass> classes;
  // The file's holes inside the chunk, as offsets into it: zeros nobody reads. `buf` holds them
  // as zeros only in pages that are partly data (whole-hole pages are Zero without a look).
  std::vector<DumpFile::Range> holes;
  size_t chunk = SIZE_MAX;
  bool ready = false;
};

// Reads chunk `w` into the slot: the data between the file's holes, then each page's class (a
// page wholly inside a hole is Zero; a page partly in one is classified with its hole bytes
// zeroed, as a read of them would give).
void fill(const DumpFile& file, const DumpLayout& l, const ChunkPlan::Where& w, Slot& s) {
  const Segment& seg = l.segments[w.seg];
  const uint64_t base = seg.file_offset + w.off;
  if (s.cap < w.len) s.buf.reset(new uint8_t[w.len]), s.cap = w.len;
  s.holes = file.holes(base, w.len);
  for (auto& h : s.holes) h.begin -= base, h.end -= base;
  uint64_t at = 0;
  for (const auto& h : s.holes) {
    if (h.begin > at) file.read_at(base + at, {s.buf.get() + at, size_t(h.begin - at)});
    // The hole's bytes in pages it covers only partly.
    const uint64_t head_end = std::min(h.end, (h.begin + kPageSize - 1) / kPageSize * kPageSize);
    const uint64_t tail_begin = std::max(head_end, h.end / kPageSize * kPageSize);
    std::fill(s.buf.get() + h.begin, s.buf.get() + head_end, uint8_t{0});
    std::fill(s.buf.get() + tail_begin, s.buf.get() + h.end, uint8_t{0});
    at = h.end;
  }
  if (at < w.len) file.read_at(base + at, {s.buf.get() + at, size_t(w.len - at)});
  s.classes.clear();
  auto hole = s.holes.begin();
  for (size_t p = 0; p < w.len; p += kPageSize) {
    const size_t n = std::min(kPageSize, w.len - p);
    while (hole != s.holes.end() && hole->end <= p) ++hole;
    const bool in_hole = hole != s.holes.end() && hole->begin <= p && hole->end >= p + n;
    s.classes.push_back(in_hole ? PageClass::Zero : classify_page({s.buf.get() + p, n}));
  }
}

// Workers read and classify chunks ahead into a ring of slots; the scanning thread takes them in
// order. A worker waits while its slot still holds a chunk not yet released, so memory is
// (workers + 2) chunks. With one thread there are no workers: take() reads the chunk itself.
class Pipeline {
 public:
  Pipeline(const DumpFile& file, const DumpLayout& l, const ChunkPlan& plan, unsigned threads)
      : file_(file), l_(l), plan_(plan), workers_(threads > 1 ? threads : 0) {
    slots_.resize(workers_ ? workers_ + 2 : 1);
    for (unsigned t = 0; t < workers_; ++t) pool_.emplace_back([this] { work(); });
  }
  ~Pipeline() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : pool_) t.join();
  }

  // Chunk i, read and classified. Chunks are taken in order, each released before the next.
  Slot& take(size_t i) {
    Slot& s = slots_[i % slots_.size()];
    if (!workers_) {
      fill(file_, l_, plan_.at(i), s);
      return s;
    }
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return stop_ || (s.ready && s.chunk == i); });
    if (error_) std::rethrow_exception(error_);
    CBIT_ASSERT(s.ready && s.chunk == i);
    return s;
  }
  void release(size_t i) {
    if (!workers_) return;
    {
      std::lock_guard lk(mu_);
      slots_[i % slots_.size()].ready = false;
      consumed_ = i + 1;
    }
    cv_.notify_all();
  }

 private:
  void work() {
    for (;;) {
      const size_t i = next_++;
      if (i >= plan_.count()) return;
      Slot& s = slots_[i % slots_.size()];
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return stop_ || i < consumed_ + slots_.size(); });
        if (stop_) return;
      }
      try {
        fill(file_, l_, plan_.at(i), s);
      } catch (...) {
        std::lock_guard lk(mu_);
        error_ = std::current_exception();
        stop_ = true;
        cv_.notify_all();
        return;
      }
      {
        std::lock_guard lk(mu_);
        s.chunk = i;
        s.ready = true;
      }
      cv_.notify_all();
    }
  }

  const DumpFile& file_;
  const DumpLayout& l_;
  const ChunkPlan& plan_;
  const unsigned workers_;
  std::vector<Slot> slots_;
  std::vector<std::thread> pool_;
  std::atomic<size_t> next_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  size_t consumed_ = 0;  // chunks released by the scanning thread
  bool stop_ = false;
  std::exception_ptr error_;
};

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

  // Every match is counted; the first max_matches in address order are kept. Matches arrive in
  // the order they end, so the kept set is trimmed to max_matches whenever it doubles.
  void match(uint32_t pattern, uint64_t gpa, uint64_t file_offset, uint64_t length, PageClass cls) {
    const Region* r = map_.find(gpa);
    const MemKind kind = r ? r->kind : MemKind::Unmapped;
    ++t_.matches[int(kind)][int(cls)];
    ++t_.matches_per_pattern[pattern];
    ++t_.matches_total;
    if (!max_matches_) return;
    kept_.push_back({pattern, gpa, file_offset, length, cls, kind, r, {}});
    if (kept_.size() >= 2 * max_matches_ + 64) trim();
  }

  // Hands the kept matches to the sink in address order, with their first bytes read back from
  // the file (a match may have started chunks before the one where it ended).
  void send_matches(const DumpFile& file) {
    trim();
    std::sort(kept_.begin(), kept_.end(), before);
    for (Match& m : kept_) {
      m.bytes.resize(static_cast<size_t>(std::min<uint64_t>(m.length, kTextBytes)));
      file.read_at(m.file_offset, {reinterpret_cast<uint8_t*>(m.bytes.data()), m.bytes.size()});
      sink_.on_match(m);
    }
    kept_.clear();
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
  static bool before(const Match& a, const Match& b) {
    if (a.gpa != b.gpa) return a.gpa < b.gpa;
    if (a.pattern != b.pattern) return a.pattern < b.pattern;
    return a.file_offset < b.file_offset;
  }
  void trim() {
    if (kept_.size() <= max_matches_) return;
    std::nth_element(kept_.begin(), kept_.begin() + std::ptrdiff_t(max_matches_), kept_.end(),
                     before);
    kept_.resize(max_matches_);
  }

  size_t max_matches_;
  std::vector<Match> kept_;
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
  const unsigned threads = std::clamp(opt.threads, 1u, 64u);

  ScanTotals totals;
  totals.matches_per_pattern.assign(matcher.patterns().size(), 0);
  Merger merge(map, sink, totals, opt.max_matches);
  const ChunkPlan plan(layout, chunk);
  const uint64_t bytes_total = layout.present_bytes();

  // The classes of the current segment's last kHistoryPages pages, for the page a match starts
  // in; a match that started earlier than that (longer than 256 MiB) has its page read again.
  std::vector<PageClass> history(kHistoryPages);
  uint64_t pages_done = 0;  // pages of the current segment merged so far
  const Segment* seg = nullptr;
  auto class_at = [&](uint64_t seg_off) {
    const uint64_t page = seg_off / kPageSize;
    if (page < pages_done && page + kHistoryPages >= pages_done)
      return history[page % kHistoryPages];
    Bytes b(static_cast<size_t>(std::min<uint64_t>(kPageSize, seg->file_size - page * kPageSize)));
    file.read_at(seg->file_offset + page * kPageSize, b);
    return classify_page(b);
  };
  MatchStream stream(matcher, [&](const RawMatch& m) {
    merge.match(m.pattern, seg->gpa + m.offset, seg->file_offset + m.offset, m.length,
                class_at(m.offset));
  });

  Pipeline pipe(file, layout, plan, threads);
  size_t i = 0;
  for (size_t s = 0; s < layout.segments.size(); ++s) {
    seg = &layout.segments[s];
    pages_done = 0;
    for (; i < plan.first(s + 1); ++i) {
      Slot& slot = pipe.take(i);
      const ChunkPlan::Where w = plan.at(i);
      for (size_t p = 0; p < slot.classes.size(); ++p) {
        merge.page(seg->gpa + w.off + p * kPageSize, slot.classes[p]);
        history[(pages_done + p) % kHistoryPages] = slot.classes[p];
      }
      pages_done += slot.classes.size();
      // The data as read, the holes as runs of zeros (which the matcher may skip, exactly).
      uint64_t at = 0;
      for (const auto& h : slot.holes) {
        if (h.begin > at) stream.feed({slot.buf.get() + at, size_t(h.begin - at)});
        stream.feed_zeros(h.end - h.begin);
        at = h.end;
      }
      if (at < w.len) stream.feed({slot.buf.get() + at, size_t(w.len - at)});
      pipe.release(i);
      totals.bytes_read += w.len;
      sink.on_progress(totals.bytes_read, bytes_total);
    }
    stream.finish();  // a match never spans two segments
    const uint64_t present_pages = (seg->file_size + kPageSize - 1) / kPageSize;
    const uint64_t all_pages = (seg->mem_size + kPageSize - 1) / kPageSize;
    if (all_pages > present_pages)
      merge.absent(seg->gpa + present_pages * kPageSize, all_pages - present_pages);
  }
  merge.flush();
  merge.send_matches(file);
  return totals;
}

}  // namespace cbit::tools::scan
