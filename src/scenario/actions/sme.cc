// The SME actions: what the host kernel does with the C-bit page by page (seed 000's "Partial
// Memory Encryption"; APM Vol. 2 §7.10.1: the C-bit is a physical-address bit in every paging
// entry, so the OS chooses per page; Linux arch/x86/mm/pat/set_memory.c), and the attacker's
// page-by-page look at DRAM.
//   alloc-pages           alloc_pages() and a text written into each page through the direct
//                         map: encrypted under SME, or shared in the clear when
//                         `set_memory_decrypted = true` (as Linux does for buffers it hands to
//                         devices)
//   set-memory-decrypted  set_memory_decrypted() / set_memory_encrypted() on those pages: only
//   set-memory-encrypted  the mapping changes, the bytes in DRAM stay as they are
//   read-pages            the owner (the host kernel) reads the pages back through its mapping
//   host-dmesg            the host kernel's log lines containing a string (dmesg | grep -F)
//   dump-pages            the attacker reads the same pages from DRAM (a cold-boot image) and
//                         classifies each with `cbit scan`'s classifier (tools/scan); what is
//                         still only in the caches is not there (a `flush-caches` step first)
// Objects: alloc-pages keeps its pages under its step id; the others name it with `pages`.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "common/bytes.h"
#include "common/error.h"
#include "scenario/action.h"
#include "scenario/actions/page_set.h"
#include "scenario/json_args.h"
#include "scenario/objects.h"
#include "scenario/run.h"
#include "sw/host/kernel.h"
#include "tools/scan/page_classifier.h"

namespace cbit::scenario {

namespace {

// The text for page i: `text` with every "{i}" replaced by i.
std::string page_text(const std::string& text, size_t i) {
  std::string out;
  for (size_t p = 0; p < text.size();) {
    if (text.compare(p, 3, "{i}") == 0) {
      out += std::to_string(i);
      p += 3;
    } else {
      out += text[p++];
    }
  }
  return out;
}

// Up to `n` bytes as text, anything unprintable as '.', as a hex viewer shows it.
std::string peek(ByteSpan b, size_t n) {
  std::string s;
  for (size_t i = 0; i < std::min(n, b.size()); ++i)
    s += (b[i] >= 0x20 && b[i] < 0x7f) ? char(b[i]) : '.';
  return s;
}

// One id of a list key as the Args run.get() reads: str(key) is the id, where() the list's,
// so an id naming no step is reported at the list.
class ListItem final : public Args {
 public:
  ListItem(const Args& list, std::string_view key, std::string id)
      : list_(list), key_(key), id_(std::move(id)) {}
  bool has(std::string_view k) const override { return k == key_; }
  std::string str(std::string_view k, std::string_view d) const override {
    return k == key_ ? id_ : std::string(d);
  }
  uint64_t u64(std::string_view, uint64_t d) const override { return d; }
  bool flag(std::string_view, bool d) const override { return d; }
  uint64_t size(std::string_view, uint64_t d) const override { return d; }
  std::vector<std::string> strings(std::string_view k) const override {
    return k == key_ ? std::vector<std::string>{id_} : std::vector<std::string>{};
  }
  nlohmann::json table(std::string_view) const override { return nlohmann::json::object(); }
  std::string where(std::string_view k) const override { return list_.where(k); }

 private:
  const Args& list_;
  std::string key_, id_;
};

// The page sets named by the list key `key` (alloc-pages step ids).
std::vector<PageSet*> page_sets(const Args& a, Run& run, std::string_view key) {
  std::vector<PageSet*> out;
  const auto ids = a.strings(key);
  if (ids.empty()) throw InputError(a.where(key) + ": name at least one alloc-pages step");
  for (const auto& id : ids)
    out.push_back(&run.get<PageSet>(ListItem(a, key, id), key, "pages (do = \"alloc-pages\")"));
  return out;
}

void check_alloc(const Args& a) {
  const uint64_t count = a.u64("count", 1);
  if (count == 0 || count > 4096) throw InputError(a.where("count") + ": must be 1 to 4096 pages");
  const std::string text = a.str("text");
  if (text.empty()) throw InputError(a.where("text") + ": must not be empty");
  if (text.size() > kPageSize) throw InputError(a.where("text") + ": longer than a page (4096)");
}

void check_pages(const Args& a) {
  if (a.strings("pages").empty())
    throw InputError(a.where("pages") + ": name at least one alloc-pages step");
}

void check_dump(const Args& a) {
  check_pages(a);
  if (a.u64("peek", 24) > 64) throw InputError(a.where("peek") + ": at most 64 bytes");
}

nlohmann::json alloc_pages(const Args& a, Run& run) {
  auto& k = *host_arg(a, run).kernel;
  check_alloc(a);
  const uint64_t count = a.u64("count", 1);
  const bool shared = a.flag("set_memory_decrypted", false);
  const std::string text = a.str("text");
  const bool repeat = a.flag("repeat", true);
  auto set = std::make_shared<PageSet>();
  set->host = &k;
  set->decrypted = shared;
  for (uint64_t i = 0; i < count; ++i) {
    const auto va = k.alloc_pages(0);
    if (!va) throw InputError(a.where("count") + ": the host is out of memory");
    if (shared) k.set_memory_decrypted(*va, 1);
    // {i} may lengthen a text of nearly a page: what is written never leaves the page.
    const std::string one = page_text(text, i).substr(0, kPageSize);
    std::string fill = one;
    while (repeat && fill.size() + one.size() <= kPageSize) fill += one;
    if (repeat) fill += one.substr(0, kPageSize - fill.size());
    const ByteSpan bytes = as_bytes(fill);
    k.memcpy_to(*va, bytes);
    set->pages.push_back(*va);
    set->written.emplace_back(bytes.begin(), bytes.end());
  }
  const uint64_t first = k.__pa(set->pages.front()).value;
  run.say(fmt::format("{}the host allocates {} {} at {:#x} ({}) and writes \"{}\" into each",
                      line_tag(run), count, count == 1 ? "page" : "pages", first,
                      !k.sme_me_mask() ? "no C-bit: SME is off"
                      : shared         ? "C-bit cleared: set_memory_decrypted()"
                                       : "C-bit set: encrypted",
                      text));
  run.keep(std::move(set));
  return {{"pages", count}, {"first", first}, {"decrypted", shared}};
}

nlohmann::json set_memory(const Args& a, Run& run, bool enc) {
  int bad = 0;
  size_t n = 0;
  for (auto* set : page_sets(a, run, "pages")) {
    for (const auto va : set->pages) {
      const int r =
          enc ? set->host->set_memory_encrypted(va, 1) : set->host->set_memory_decrypted(va, 1);
      if (r != 0 && bad == 0) bad = r;
      ++n;
    }
    set->decrypted = !enc;
  }
  run.say(fmt::format("{}set_memory_{}() on {} page{}{}", line_tag(run),
                      enc ? "encrypted" : "decrypted", n, n == 1 ? "" : "s",
                      bad ? fmt::format(" returns {}", bad) : ""));
  return {{"ret", bad}, {"pages", n}};
}

nlohmann::json read_pages(const Args& a, Run& run) {
  size_t n = 0, same = 0;
  std::string first;
  for (auto* set : page_sets(a, run, "pages")) {
    for (size_t i = 0; i < set->pages.size(); ++i, ++n) {
      Bytes back(set->written[i].size());
      set->host->memcpy_from(set->pages[i], back);
      if (back == set->written[i]) ++same;
      if (n == 0) first = peek(back, 32);
    }
  }
  run.say(fmt::format("{}the host reads its pages back: {} of {} as written (\"{}\")",
                      line_tag(run), same, n, first));
  return {{"pages", n}, {"as_written", same}, {"first", first}};
}

nlohmann::json dump_pages(const Args& a, Run& run) {
  const auto sets = page_sets(a, run, "pages");
  const auto ids = a.strings("pages");
  check_dump(a);
  const size_t shown = a.u64("peek", 24);
  nlohmann::json by_step = nlohmann::json::object();
  nlohmann::json pages = nlohmann::json::array();
  size_t plain = 0, high = 0, zero = 0, other = 0;
  run.say(line_tag(run) + "the attacker's cold-boot image, page by page:");
  Bytes page(kPageSize);
  for (size_t s = 0; s < sets.size(); ++s) {
    auto& k = *sets[s]->host;
    size_t step_plain = 0, step_high = 0;
    for (const auto va : sets[s]->pages) {
      const SysPhysAddr pa = k.__pa(va);
      k.machine().raw_view().read(pa, page);
      tools::scan::PageStats st;
      const auto c = tools::scan::classify_page(page, &st);
      switch (c) {
        case tools::scan::PageClass::Plaintext:
          ++plain, ++step_plain;
          break;
        case tools::scan::PageClass::HighEntropy:
          ++high, ++step_high;
          break;
        case tools::scan::PageClass::Zero:
          ++zero;
          break;
        default:
          ++other;
      }
      const std::string cls(tools::scan::page_class_name(c));
      run.say(fmt::format("      {:#010x}  {:<8}  {:<12}  entropy {:.2f} bits/byte  \"{}\"",
                          pa.value, ids[s],
                          c == tools::scan::PageClass::Plaintext ? "PLAINTEXT" : cls, st.entropy,
                          peek(page, shown)));
      pages.push_back({{"step", ids[s]},
                       {"address", pa.value},
                       {"class", cls},
                       {"entropy", std::round(st.entropy * 100) / 100}});
    }
    by_step[ids[s]] = {
        {"pages", sets[s]->pages.size()}, {"plaintext", step_plain}, {"high_entropy", step_high}};
  }
  run.say(fmt::format("    {} of {} pages plaintext, {} high-entropy (ciphertext)", plain,
                      pages.size(), high));
  return {{"pages", pages.size()}, {"plaintext", plain}, {"high_entropy", high}, {"zero", zero},
          {"other", other},        {"by_step", by_step}, {"page_list", pages}};
}

nlohmann::json host_dmesg(const Args& a, Run& run) {
  const auto& k = *host_arg(a, run).kernel;
  const std::string grep = a.str("grep");
  nlohmann::json lines = nlohmann::json::array();
  bool first = true;
  for (const auto& l : k.dmesg()) {
    const size_t stamp = l.find("] ");  // "[    0.123456] text"
    const std::string text = stamp == std::string::npos ? l : l.substr(stamp + 2);
    if (text.find(grep) == std::string::npos) continue;
    if (first)
      run.say(line_tag(run) + "$ dmesg" + (grep.empty() ? "" : " | grep -F '" + grep + "'"));
    first = false;
    run.say("    dmesg: " + text);
    lines.push_back(text);
  }
  if (first) run.say(line_tag(run) + "$ dmesg | grep -F '" + grep + "': no line");
  return {{"lines", lines}, {"count", lines.size()}};
}

const Key kHost{
    "host", KeyType::String, false, "the latest host", "the host-boot step whose kernel does this",
    {}};
const Key kPages{
    "pages", KeyType::StringList, true, "", "the alloc-pages steps whose pages this acts on", {}};

}  // namespace

void add_sme_actions(std::vector<Action>& out) {
  out.push_back(
      {"alloc-pages",
       "the host kernel allocates pages (alloc_pages) and writes a text into each through its "
       "direct map: encrypted under SME, or shared in the clear after set_memory_decrypted()",
       {kHost,
        {"count", KeyType::Integer, false, "1", "how many pages (1 to 4096)", {}},
        {"text",
         KeyType::String,
         true,
         "",
         "what is written into each page; {i} becomes the page's number (0, 1, ...)",
         {}},
        {"repeat",
         KeyType::Bool,
         false,
         "true",
         "repeat the text to fill the page; false writes it once at the page's start",
         {}},
        {"set_memory_decrypted",
         KeyType::Bool,
         false,
         "false",
         "clear the C-bit of each page before writing (a buffer shared with devices)",
         {}}},
       alloc_pages,
       check_alloc});
  out.push_back({"host-dmesg",
                 "the host kernel's log lines that contain a string (dmesg | grep -F), without "
                 "their uptime stamps",
                 {kHost,
                  {"grep",
                   KeyType::String,
                   false,
                   "\"\" (every line)",
                   "the fixed string a line must contain",
                   {}}},
                 host_dmesg,
                 {}});
  out.push_back({"set-memory-decrypted",
                 "set_memory_decrypted() on earlier alloc-pages steps' pages: the mapping loses "
                 "the C-bit, DRAM keeps its bytes (so the owner now reads them raw)",
                 {kPages},
                 [](const Args& a, Run& r) { return set_memory(a, r, false); },
                 check_pages});
  out.push_back({"set-memory-encrypted",
                 "set_memory_encrypted(): the mapping gets the C-bit back, DRAM keeps its bytes",
                 {kPages},
                 [](const Args& a, Run& r) { return set_memory(a, r, true); },
                 check_pages});
  out.push_back({"read-pages",
                 "the owner (the host kernel) reads the pages back through its own mapping and "
                 "compares them with what alloc-pages wrote",
                 {kPages},
                 read_pages,
                 check_pages});
  out.push_back(
      {"dump-pages",
       "the attacker reads the pages from DRAM as stored (a cold-boot image) and classifies each "
       "as `cbit scan` does: plaintext, high-entropy (ciphertext), zero or other",
       {kPages,
        {"peek",
         KeyType::Integer,
         false,
         "24",
         "bytes of each page shown in the transcript (at "
         "most 64)",
         {}}},
       dump_pages,
       check_dump});
}

}  // namespace cbit::scenario
