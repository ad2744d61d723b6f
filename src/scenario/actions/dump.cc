// Scenario actions for the hypervisor's dump of a guest and the search of it (seed 004;
// docs/scenarios.md "Dumps"):
//   dump-guest-memory  QEMU's `dump-guest-memory FILE` (paging=false): an ELF core of every
//                      memslot as the hypervisor's mapping shows it (sw/hv/dump.h);
//   scan               what `cbit scan` does to such a file (tools/scan: Hyperscan over the
//                      PT_LOAD segments, every page classified), with the guest's own page map:
//                      its swiotlb bounce buffers and the pages it shared with KVM are "shared",
//                      the rest of its RAM "private". So a finding is attributed as the seed
//                      does it by hand: the format string of seed 004's program is found, but
//                      only in the bounce buffer its executable came through. Without a dump,
//                      `scan` reads the hypervisor's live view of guest RAM instead.
#include "sw/hv/dump.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "demo/demo.h"
#include "scenario/actions/guest_world.h"
#include "scenario/run.h"
#include "tools/scan/dump_reader.h"
#include "tools/scan/page_classifier.h"
#include "tools/scan/page_map.h"
#include "tools/scan/pattern.h"
#include "tools/scan/scanner.h"

namespace cbit::scenario {

namespace {

namespace ts = tools::scan;

constexpr size_t kMaxHitsShown = 100;

// The guest's RAM as the scanner's page map: shared = the bounce-buffer pool and every page the
// guest declared shared with KVM_HC_MAP_GPA_RANGE; private = the rest of RAM. The firmware's
// slot (below 4 GiB) is left out (unmapped in the map).
ts::PageMap guest_page_map(GuestVm& g) {
  const auto* pool = g.started() ? g.kernel().swiotlb() : nullptr;
  const auto& shared = g.vm().shared_gfns();
  nlohmann::json regions = nlohmann::json::array();
  const uint64_t pages = g.vm().ram().size / kPageSize;
  const uint64_t base = g.vm().ram().gpa.value;
  auto kind_of = [&](uint64_t i) {
    const uint64_t gpa = base + i * kPageSize;
    if (pool && pool->contains(GuestPhysAddr(gpa))) return 2;
    return shared.count(gpa >> kPageShift) ? 1 : 0;
  };
  for (uint64_t i = 0; i < pages;) {
    const int k = kind_of(i);
    uint64_t j = i + 1;
    while (j < pages && kind_of(j) == k) ++j;
    nlohmann::json r = {{"gpa", base + i * kPageSize},
                        {"size", (j - i) * kPageSize},
                        {"kind", k == 0 ? "private" : "shared"}};
    if (k == 2) r["label"] = "swiotlb";
    regions.push_back(r);
    i = j;
  }
  return ts::PageMap::parse(
      nlohmann::json{{"format", "cbit-page-map"}, {"version", 1}, {"regions", regions}}.dump(),
      "the guest's page map");
}

struct Hit {
  uint32_t pattern = 0;
  uint64_t gpa = 0;
  ts::MemKind kind = ts::MemKind::Unmapped;
  std::string label;
};

struct Tally {
  std::vector<Hit> hits;
  uint64_t private_pages = 0, private_nonzero = 0, private_plaintext = 0;
};

class Collect final : public ts::ScanSink {
 public:
  explicit Collect(Tally& t) : t_(t) {}
  void on_match(const ts::Match& m) override {
    t_.hits.push_back({m.pattern, m.gpa, m.kind, m.region ? m.region->label : ""});
  }

 private:
  Tally& t_;
};

void tally_pages(const ts::ScanTotals& tot, Tally& t) {
  const int p = int(ts::MemKind::Private);
  for (int c = 0; c < ts::kPageClassCount; ++c) {
    if (c == int(ts::PageClass::Absent)) continue;
    t.private_pages += tot.pages[p][c];
    if (c != int(ts::PageClass::Zero)) t.private_nonzero += tot.pages[p][c];
  }
  t.private_plaintext = tot.pages[p][int(ts::PageClass::Plaintext)];
}

// The hypervisor's live view of the guest's memslots, page by page (no file).
void scan_live(GuestVm& g, const ts::Matcher& matcher, const ts::PageMap& map, Tally& t) {
  for (const auto& slot : g.vm().memory().slots()) {
    Bytes b(slot.size);
    g.vm().memory().read(slot.gpa, b);
    for (const auto& m : matcher.find_all(b)) {
      const uint64_t gpa = slot.gpa.value + m.offset;
      const auto* r = map.find(gpa);
      t.hits.push_back({m.pattern, gpa, r ? r->kind : ts::MemKind::Unmapped, r ? r->label : ""});
    }
    for (uint64_t off = 0; off < slot.size; off += kPageSize) {
      if (map.kind_of(slot.gpa.value + off) != ts::MemKind::Private) continue;
      const auto cls = ts::classify_page(ByteSpan(b).subspan(off, kPageSize));
      ++t.private_pages;
      if (cls != ts::PageClass::Zero) ++t.private_nonzero;
      if (cls == ts::PageClass::Plaintext) ++t.private_plaintext;
    }
  }
}

nlohmann::json dump_guest_memory(const Args& a, Run& run) {
  auto& g = guest_of(a, run);
  if (run.options().workdir.empty())
    throw InputError(a.where("file") + ": the run has no working directory for the dump");
  std::string name = a.str("file");
  if (name.empty())
    name = fmt::format("{}{}{}.core", run.case_id(), run.case_id().empty() ? "" : "-",
                       g.id.empty() ? std::string("guest") : g.id);
  if (name.find('/') != std::string::npos || name == "." || name == "..")
    throw InputError(a.where("file") + ": a file name in the run's working directory, no '/'");
  // A new file (refused if one of that name is there already).
  std::string path;
  try {
    path = demo::make_new_file(run.options().workdir, name);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", a.where("file"), e.what()));
  }
  sw::hv::dump_guest_memory(g.vm().memory(), path);
  auto& d = run.keep(std::make_shared<GuestDump>(GuestDump{&g, path, name}));
  run.say(fmt::format("(qemu) dump-guest-memory {}", d.file));
  return {{"file", name},
          {"bytes", std::filesystem::file_size(path)},
          {"host_dram_touched", g.host().m.dram().touched_pages() * kPageSize}};
}

nlohmann::json scan(const Args& a, Run& run) {
  if (a.has("dump") && a.has("guest"))
    throw InputError(a.where("guest") + ": scan a dump or a guest's live memory, not both");
  const auto find = a.strings("find");
  if (find.empty()) throw InputError(a.where("find") + ": give at least one string");
  std::vector<ts::Pattern> pats;
  for (const auto& f : find) {
    try {
      pats.push_back(ts::parse_literal(f));
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", a.where("find"), e.what()));
    }
  }
  const ts::Matcher matcher(std::move(pats));
  Tally t;
  GuestVm* g = nullptr;
  std::string what;
  if (a.has("guest") || (!a.has("dump") && !run.latest<GuestDump>())) {
    g = &guest_of(a, run);
    const auto map = guest_page_map(*g);
    scan_live(*g, matcher, map, t);
    what = fmt::format("the hypervisor's view of guest {}'s memory", g->id);
  } else {
    auto& d = a.has("dump") ? run.get<GuestDump>(a, "dump", "a dump") : *run.latest<GuestDump>();
    g = d.guest;
    const auto map = guest_page_map(*g);
    const auto layout = ts::read_dump_layout(d.path);
    const ts::DumpFile file(d.path);
    ts::ScanOptions opt;
    opt.threads = 1;
    opt.max_matches = 1u << 20;
    Collect sink(t);
    tally_pages(ts::scan_dump(file, layout, matcher, map, opt, sink), t);
    what = d.file;
  }
  std::sort(t.hits.begin(), t.hits.end(), [](const Hit& x, const Hit& y) { return x.gpa < y.gpa; });
  uint64_t shared = 0;
  nlohmann::json per = nlohmann::json::object(), shown = nlohmann::json::array();
  for (const auto& f : find) per[f] = 0;
  std::string quoted;
  for (const auto& f : find) quoted += (quoted.empty() ? "\"" : ", \"") + f + "\"";
  run.say(fmt::format("[root@host ~]# cbit scan {} for {}", what, quoted));
  for (const auto& h : t.hits) {
    const bool sh = h.kind == ts::MemKind::Shared;
    shared += sh;
    per[find[h.pattern]] = per[find[h.pattern]].get<uint64_t>() + 1;
    if (shown.size() >= kMaxHitsShown) continue;
    shown.push_back({{"string", find[h.pattern]}, {"gpa", h.gpa}, {"shared", sh}});
    run.say(fmt::format("  {}   (GPA {:#x}){}", find[h.pattern], h.gpa,
                        !sh                    ? ""
                        : h.label == "swiotlb" ? "   <- shared bounce buffer"
                                               : "   <- shared page"));
  }
  if (t.hits.empty()) run.say("  (nothing)");
  if (g->mode() != sw::hv::SevMode::None)
    run.say(fmt::format(
        "  private pages: {}, of which {} not all zeros{}", t.private_pages, t.private_nonzero,
        g->mode() == sw::hv::SevMode::Snp ? " (guest_memfd: no host mapping)" : " (ciphertext)"));
  return {{"found", t.hits.size()},
          {"found_shared", shared},
          {"found_not_shared", t.hits.size() - shared},
          {"hits", per},
          {"matches", shown},
          {"private_pages", t.private_pages},
          {"private_pages_nonzero", t.private_nonzero},
          {"private_pages_plaintext", t.private_plaintext}};
}

}  // namespace

void add_dump_actions(std::vector<Action>& out) {
  using K = KeyType;
  out.push_back({"dump-guest-memory",
                 "The hypervisor writes QEMU's dump-guest-memory ELF core of a guest into the "
                 "run's working directory",
                 {{"guest", K::String, false, "the latest guest", "the guest step"},
                  {"file", K::String, false, "CASE-GUEST.core",
                   "the file's name (new; in the working directory)"}},
                 dump_guest_memory});
  out.push_back(
      {"scan",
       "Search a dump (or, with `guest`, the hypervisor's live view of guest RAM) for strings, as "
       "cbit scan does, each finding attributed to a shared or private page",
       {{"dump", K::String, false, "the latest dump", "the dump-guest-memory step"},
        {"guest", K::String, false, "", "scan this guest's memory now instead of a dump"},
        {"find", K::StringList, true, "", "the strings (bytes as written, UTF-8)"}},
       scan});
}

}  // namespace cbit::scenario
