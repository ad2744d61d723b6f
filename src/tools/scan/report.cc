#include "tools/scan/report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/text.h"
#include "tools/scan/interpret.h"

namespace cbit::tools::scan {
namespace {

std::string human(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  return u ? fmt::format("{:.2f} {}", v, units[u]) : fmt::format("{} B", bytes);
}

std::string pattern_label(const Pattern& p) {
  switch (p.kind) {
    case PatternKind::Literal:
      return fmt::format("string \"{}\" ({})", escape_bytes(p.source), encoding_name(p.encoding));
    case PatternKind::Hex:
      return fmt::format("hex \"{}\"", p.source);
    case PatternKind::Regex:
      return fmt::format("regex /{}/", p.source);
  }
  return "?";
}

std::string_view kind_name(PatternKind k) {
  return k == PatternKind::Literal ? "string" : k == PatternKind::Hex ? "hex" : "regex";
}

// "string (UTF-16LE)", "hex", "regex": what found a match, in the text report.
std::string match_label(const Pattern& p) {
  if (p.encoding == Encoding::Bytes) return std::string(kind_name(p.kind));
  return fmt::format("{} ({})", kind_name(p.kind), encoding_name(p.encoding));
}

// JSON "encoding": "utf-8" / "utf-16le" for strings.
std::string encoding_key(Encoding e) {
  return e == Encoding::Utf8 ? "utf-8" : e == Encoding::Utf16le ? "utf-16le" : "";
}

// The matched bytes for display: UTF-16LE matches decoded unit by unit, so "pw" reads as "pw",
// not "p\x00w\x00" (the JSON "hex" field keeps the bytes).
std::string match_text(const Pattern& p, const std::string& bytes) {
  if (p.encoding != Encoding::Utf16le) return escape_bytes(bytes);
  std::string out;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
    const unsigned u = uint8_t(bytes[i]) | unsigned(uint8_t(bytes[i + 1])) << 8;
    if (u >= 0x20 && u < 0x7f && u != '\\' && u != '"')
      out.push_back(static_cast<char>(u));
    else
      out += fmt::format("\\u{:04x}", u);
  }
  return out;
}

class TextReport : public Report {
 public:
  using Report::Report;

  void begin() override {
    const DumpLayout& l = *ctx_.layout;
    fmt::print(out_, "dump: {} ({})\n", ctx_.dump_path, l.describe());
    fmt::print(out_, "  guest memory {} ({} bytes), in the file {}\n", human(l.memory_bytes()),
               l.memory_bytes(), human(l.present_bytes()));
    if (have_map()) fmt::print(out_, "  page map: {}\n", ctx_.map_path);
    if (ctx_.list_pages)
      fmt::print(out_, "page ranges (first GPA - last GPA, pages, class{}):\n",
                 have_map() ? ", page-map kind" : "");
  }

  void on_range(const PageRange& r) override {
    if (!ctx_.list_pages) return;
    std::string kind;
    if (have_map()) {
      kind = fmt::format("  {}", mem_kind_name(r.kind));
      if (r.region && !r.region->label.empty()) kind += " (" + printable(r.region->label) + ")";
    }
    fmt::print(out_, "  0x{:016x}-0x{:016x} {:>10}  {}{}\n", r.gpa, r.gpa + r.pages * kPageSize - 1,
               r.pages,
               have_map() ? fmt::format("{:<12}", page_class_name(r.cls))
                          : std::string(page_class_name(r.cls)),
               kind);
  }

  void end(const ScanTotals& t) override {
    const uint64_t total = t.pages_total();
    fmt::print(out_, "pages (4 KiB): {}\n", total);
    for (PageClass c : {PageClass::Zero, PageClass::Plaintext, PageClass::HighEntropy,
                        PageClass::Other, PageClass::Absent}) {
      const uint64_t n = t.pages_of_class(c);
      if (c == PageClass::Absent && n == 0) continue;
      fmt::print(out_, "  {:<62} {:>10} {:>6.1f}%\n", page_class_label(c), n,
                 total ? 100.0 * double(n) / double(total) : 0.0);
    }
    const EncryptedFraction f = encrypted_fraction(t);
    fmt::print(out_,
               "encrypted fraction: {:.1f}% of readable (non-zero) pages are ciphertext-like "
               "({:.1f}% of all pages in the file)\n",
               100 * f.of_readable(), 100 * f.of_present());
    if (have_map()) {
      fmt::print(out_, "by page-map kind:\n");
      for (int k = 0; k < kMemKindCount; ++k) {
        const uint64_t n = t.pages_of_kind(MemKind(k));
        if (!n) continue;
        fmt::print(out_, "  {:<10} {:>10} pages:", mem_kind_name(MemKind(k)), n);
        for (int c = 0; c < kPageClassCount; ++c)
          if (t.pages[k][c])
            fmt::print(out_, " {} {}", page_class_name(PageClass(c)), t.pages[k][c]);
        fmt::print(out_, "\n");
      }
    }
    const auto& pats = ctx_.matcher->patterns();
    if (!pats.empty()) {
      fmt::print(out_, "matches: {}\n", t.matches_total);
      for (size_t i = 0; i < pats.size(); ++i)
        fmt::print(out_, "  {}: {}\n", pattern_label(pats[i]), t.matches_per_pattern[i]);
      for (const Match& m : matches_) {
        // A match longer than the bytes kept for display says how long it is.
        const std::string more =
            m.length > m.bytes.size() ? fmt::format("... ({} bytes)", m.length) : "";
        fmt::print(out_, "  GPA 0x{:x} (page 0x{:x} + 0x{:x}, file offset 0x{:x}) {}: \"{}\"{}\n",
                   m.gpa, m.gpa & ~uint64_t(kPageSize - 1), m.gpa & (kPageSize - 1), m.file_offset,
                   match_label(pats[m.pattern]), match_text(pats[m.pattern], m.bytes), more);
        fmt::print(out_, "    {} page{}: {}\n", page_class_name(m.page_class),
                   have_map() ? fmt::format(", {}", mem_kind_name(m.kind)) : "",
                   likely_cause(m, t, have_map()));
      }
      if (t.matches_total > matches_.size())
        fmt::print(out_, "  ... {} more not shown (--max-matches)\n",
                   t.matches_total - matches_.size());
    }
    const auto notes = dump_notes(t, have_map(), !pats.empty());
    if (!notes.empty()) {
      fmt::print(out_, "notes:\n");
      for (const auto& n : notes) fmt::print(out_, "  - {}\n", n);
    }
  }
};

class JsonReport : public Report {
 public:
  using Report::Report;

  void begin() override {
    const DumpLayout& l = *ctx_.layout;
    nlohmann::json dump = {{"path", ctx_.dump_path},
                           {"format", l.format == DumpFormat::Raw ? "raw" : "elf-core"},
                           {"memory_bytes", l.memory_bytes()},
                           {"present_bytes", l.present_bytes()},
                           {"file_bytes", l.file_size}};
    if (l.format == DumpFormat::ElfCore) dump["elf_class"] = l.elf_class;
    auto& segs = dump["segments"] = nlohmann::json::array();
    for (const auto& s : l.segments)
      segs.push_back({{"gpa", s.gpa},
                      {"file_offset", s.file_offset},
                      {"file_size", s.file_size},
                      {"mem_size", s.mem_size}});
    if (have_map()) dump["page_map"] = ctx_.map_path;
    fmt::print(out_, "{{\"dump\":{}",
               dump.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (ctx_.list_pages) fmt::print(out_, ",\n\"page_ranges\":[");
  }

  void on_range(const PageRange& r) override {
    if (!ctx_.list_pages) return;
    nlohmann::json j = {{"gpa", r.gpa}, {"pages", r.pages}, {"class", page_class_name(r.cls)}};
    if (have_map()) {
      j["kind"] = mem_kind_name(r.kind);
      if (r.region && !r.region->label.empty()) j["label"] = r.region->label;
    }
    fmt::print(out_, "{}\n{}", first_range_ ? "" : ",",
               j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    first_range_ = false;
  }

  void end(const ScanTotals& t) override {
    if (ctx_.list_pages) fmt::print(out_, "]");
    nlohmann::json rest;
    auto& pages = rest["pages"];
    for (int c = 0; c < kPageClassCount; ++c)
      pages[std::string(page_class_name(PageClass(c)))] = t.pages_of_class(PageClass(c));
    pages["total"] = t.pages_total();
    const EncryptedFraction f = encrypted_fraction(t);
    rest["encrypted_fraction"] = {{"of_readable", f.of_readable()},
                                  {"of_present", f.of_present()},
                                  {"high_entropy_pages", f.high_entropy},
                                  {"readable_pages", f.readable},
                                  {"present_pages", f.present}};
    if (have_map()) {
      auto& by = rest["by_kind"];
      for (int k = 0; k < kMemKindCount; ++k) {
        nlohmann::json e;
        for (int c = 0; c < kPageClassCount; ++c)
          e[std::string(page_class_name(PageClass(c)))] = t.pages[k][c];
        by[std::string(mem_kind_name(MemKind(k)))] = e;
      }
    }
    const auto& pats = ctx_.matcher->patterns();
    auto& pj = rest["patterns"] = nlohmann::json::array();
    for (size_t i = 0; i < pats.size(); ++i) {
      nlohmann::json p = {{"kind", kind_name(pats[i].kind)},
                          {"pattern", pats[i].source},
                          {"matches", t.matches_per_pattern[i]}};
      if (pats[i].encoding != Encoding::Bytes) p["encoding"] = encoding_key(pats[i].encoding);
      pj.push_back(std::move(p));
    }
    rest["matches_total"] = t.matches_total;
    auto& mj = rest["matches"] = nlohmann::json::array();
    for (const Match& m : matches_) {
      nlohmann::json j = {{"pattern", m.pattern},
                          {"gpa", m.gpa},
                          {"page_gpa", m.gpa & ~uint64_t(kPageSize - 1)},
                          {"page_offset", m.gpa & (kPageSize - 1)},
                          {"file_offset", m.file_offset},
                          {"length", m.length},
                          {"text", match_text(pats[m.pattern], m.bytes)},
                          {"hex", to_hex(as_bytes(m.bytes))},
                          {"page_class", page_class_name(m.page_class)},
                          {"kind", mem_kind_name(m.kind)},
                          {"likely_cause", likely_cause(m, t, have_map())}};
      if (m.region && !m.region->label.empty()) j["label"] = m.region->label;
      if (pats[m.pattern].encoding != Encoding::Bytes)
        j["encoding"] = encoding_key(pats[m.pattern].encoding);
      mj.push_back(std::move(j));
    }
    rest["notes"] = dump_notes(t, have_map(), !pats.empty());
    const std::string body = rest.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
    // Splice the members of `rest` into the object opened in begin().
    fmt::print(out_, ",\n{}\n", std::string_view(body).substr(2));
  }

 private:
  bool first_range_ = true;
};

}  // namespace

std::string escape_bytes(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

std::unique_ptr<Report> Report::make(Format f, ReportContext ctx, std::FILE* out) {
  if (f == Format::Json) return std::make_unique<JsonReport>(std::move(ctx), out);
  return std::make_unique<TextReport>(std::move(ctx), out);
}

}  // namespace cbit::tools::scan
