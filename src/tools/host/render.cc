#include "tools/host/render.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/text.h"
#include "tools/host/bits.h"

namespace cbit::tools::host {

using nlohmann::json;

// Every string here may come from a snapshot file (--from) or this machine's kernel: printed
// through common/text.h's printable(), one line each.
std::string render_text(const Checklist& c) {
  std::string out = fmt::format("cbit host: {}\n", printable(c.headline));
  for (const auto& r : c.rows) {
    // sevctl's layout: "[ PASS ] " then 2 spaces per level, "- name: detail".
    const std::string indent(static_cast<size_t>(r.depth) * 2, ' ');
    out += fmt::format("[ {} ] {}- {}", to_string(r.status), indent, printable(r.name));
    if (!r.detail.empty()) out += fmt::format(": {}", printable(r.detail));
    if (r.status == Status::Skip && !r.hint.empty()) out += fmt::format(" ({})", printable(r.hint));
    out += "\n";
    if (r.status == Status::Fail)
      out += fmt::format("         {}  hint: {}\n", indent, printable(r.hint));
  }
  out += "\n";
  for (const auto& l : c.syscfg_lines)
    out += fmt::format("{}{}\n", l.rfind("bit", 0) == 0 ? "  " : "", printable(l));
  if (c.mode == "guest")
    for (const auto& l : c.sev_status_lines)
      out += fmt::format("{}{}\n", l.rfind("bit", 0) == 0 ? "  " : "", printable(l));
  out += fmt::format("\n{} passed, {} failed, {} skipped ({} checks)\n", c.count(Status::Pass),
                     c.count(Status::Fail), c.count(Status::Skip), c.rows.size());
  return out;
}

std::string render_json(const Checklist& c) {
  json tests = json::array(), failures = json::array(), skipped = json::array();
  for (const auto& r : c.rows) {
    tests.push_back({{"name", r.name},
                     {"status", to_string(r.status)},
                     {"detail", r.detail},
                     {"depth", r.depth}});
    if (r.status == Status::Fail) failures.push_back({{"name", r.name}, {"hint", r.hint}});
    if (r.status == Status::Skip) skipped.push_back({{"name", r.name}, {"reason", r.hint}});
  }
  json j = {{"mode", c.mode},
            {"headline", c.headline},
            {"tests", tests},
            {"failures", failures},
            {"skipped", skipped},
            {"syscfg", c.syscfg_lines},
            {"sev_status", c.sev_status_lines},
            {"summary",
             {{"passed", c.count(Status::Pass)},
              {"failed", c.count(Status::Fail)},
              {"skipped", c.count(Status::Skip)},
              {"total", c.rows.size()}}}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string render_raw(const HostSnapshot& s) {
  std::string out = "CPU:\n";
  for (const auto& [leaf, r] : s.cpuid)
    out += fmt::format("   0x{:08x} 0x00: eax=0x{:08x} ebx=0x{:08x} ecx=0x{:08x} edx=0x{:08x}\n",
                       leaf, r.eax, r.ebx, r.ecx, r.edx);
  const std::pair<const char*, const MsrReading*> msrs[] = {
      {"SYSCFG     0xc0010010", &s.syscfg}, {"SEV_STATUS 0xc0010131", &s.sev_status}};
  for (const auto& [name, m] : msrs)
    out += m->value ? fmt::format("MSR {}: 0x{:016x}\n", name, *m->value)
                    : fmt::format("MSR {}: unreadable ({})\n", name, printable(m->unreadable));
  if (s.kvm_amd) {
    for (const auto& [k, v] : *s.kvm_amd)
      out += fmt::format("kvm_amd.{} = {}\n", printable(k), printable(v));
  } else {
    out += "kvm_amd: not loaded\n";
  }
  for (const auto& [p, a] : s.devices)
    out += fmt::format("device {}: {}\n", printable(p), to_string(a));
  if (s.cpu_flags) {
    out += "cpu flags (memory encryption):";
    for (const auto& f : *s.cpu_flags) out += fmt::format(" {}", printable(f));
    out += "\n";
  } else {
    out += "cpu flags: not recorded\n";
  }
  if (s.kernel_log) {
    out += fmt::format("kernel log ({} memory-encryption lines):\n", s.kernel_log->size());
    for (const auto& l : *s.kernel_log) out += fmt::format("  {}\n", printable(l));
  } else {
    out += fmt::format("kernel log: unreadable ({})\n", printable(s.kernel_log_unreadable));
  }
  return out;
}

}  // namespace cbit::tools::host
