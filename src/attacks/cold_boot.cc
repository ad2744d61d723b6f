#include "attacks/cold_boot.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace cbit::attacks {

namespace {
size_t longest(const std::vector<std::string>& needles) {
  size_t n = 0;
  for (const auto& s : needles) n = std::max(n, s.size());
  return n;
}
}  // namespace

AttackReport cold_boot(const hw::RawPhysicalView& view, const std::vector<std::string>& needles) {
  AttackReport r{"cold-boot", "", 0, 0, {}};
  const size_t overlap = longest(needles) ? longest(needles) - 1 : 0;
  // Runs of contiguous touched pages are searched with the tail of the previous page carried
  // over, so a secret that straddles two pages is still found, and found once.
  Bytes window;
  uint64_t window_base = 0, next_pfn = ~0ull;
  view.for_each_dram_page([&](Pfn pfn, ByteSpan page) {
    ++r.pages_seen;
    r.bytes_seen += page.size();
    if (pfn.value != next_pfn) window.clear();
    const size_t carried = window.size();
    window.insert(window.end(), page.begin(), page.end());
    window_base = pfn.addr().value - carried;
    AttackReport part;
    search_into(part, window_base, window, needles);
    for (auto& h : part.hits)
      if (h.address + h.needle.size() > pfn.addr().value) r.hits.push_back(h);  // not seen before
    if (window.size() > overlap)
      window.erase(window.begin(), window.end() - static_cast<long>(overlap));
    next_pfn = pfn.value + 1;
  });
  r.summary = std::to_string(r.pages_seen) + " pages read from the DIMMs, " +
              std::to_string(r.hits.size()) + " secret hit(s)";
  return r;
}

void write_cold_boot_image(const hw::RawPhysicalView& view, const std::string& path) {
  const std::string tmp = path + ".cbit-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw InputError(path + ": cannot write: " + std::strerror(errno));
  bool ok = ::ftruncate(fd, static_cast<off_t>(view.dram_size())) == 0;
  view.for_each_dram_page([&](Pfn pfn, ByteSpan page) {
    if (ok)
      ok = ::pwrite(fd, page.data(), page.size(), static_cast<off_t>(pfn.addr().value)) ==
           static_cast<ssize_t>(page.size());
  });
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw InputError(path + ": cannot write the DRAM image: " + std::strerror(errno));
  }
}

}  // namespace cbit::attacks
