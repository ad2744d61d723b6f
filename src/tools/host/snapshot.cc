#include "tools/host/snapshot.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace cbit::tools::host {

using nlohmann::json;

namespace {

constexpr size_t kMaxLines = 10000;

[[noreturn]] void bad(const std::string& what, const std::string& key, const std::string& msg) {
  throw InputError(fmt::format("{}: {}: {}", what, key, msg));
}

uint64_t parse_hex(const json& j, const std::string& what, const std::string& key, int bits) {
  if (!j.is_string()) bad(what, key, "expected a hex string like \"0x0000000f\"");
  const std::string& s = j.get_ref<const std::string&>();
  if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    bad(what, key, "expected a hex string like \"0x0000000f\", got \"" + s.substr(0, 40) + "\"");
  uint64_t v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data() + 2, end, v, 16);
  if (ec != std::errc() || p != end || (bits < 64 && (v >> bits) != 0))
    bad(what, key, fmt::format("not a {}-bit hex number: \"{}\"", bits, s.substr(0, 40)));
  return v;
}

std::string hex32(uint32_t v) { return fmt::format("0x{:08x}", v); }

MsrReading parse_msr(const json& j, const std::string& what, const std::string& key) {
  MsrReading m;
  if (j.is_object()) {
    if (j.size() != 1 || !j.contains("unreadable") || !j["unreadable"].is_string())
      bad(what, key, "expected \"0x...\" or {\"unreadable\": \"why\"}");
    m.unreadable = j["unreadable"].get<std::string>();
    if (m.unreadable.empty()) m.unreadable = "unreadable";
    return m;
  }
  m.value = parse_hex(j, what, key, 64);
  return m;
}

json msr_json(const MsrReading& m) {
  if (m.value) return fmt::format("0x{:016x}", *m.value);
  return json{{"unreadable", m.unreadable}};
}

std::vector<std::string> parse_lines(const json& j, const std::string& what,
                                     const std::string& key) {
  if (!j.is_array()) bad(what, key, "expected an array of strings");
  if (j.size() > kMaxLines) bad(what, key, fmt::format("more than {} entries", kMaxLines));
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) bad(what, fmt::format("{}[{}]", key, i), "expected a string");
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

NodeAccess parse_access(const json& j, const std::string& what, const std::string& key) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    for (NodeAccess a : {NodeAccess::Absent, NodeAccess::Present, NodeAccess::Read,
                         NodeAccess::Write, NodeAccess::ReadWrite})
      if (s == to_string(a)) return a;
  }
  bad(what, key, "expected one of \"absent\", \"present\", \"r\", \"w\", \"rw\"");
}

}  // namespace

const char* to_string(NodeAccess a) {
  switch (a) {
    case NodeAccess::Absent:
      return "absent";
    case NodeAccess::Present:
      return "present";
    case NodeAccess::Read:
      return "r";
    case NodeAccess::Write:
      return "w";
    case NodeAccess::ReadWrite:
      return "rw";
  }
  return "absent";
}

CpuidRegs HostSnapshot::leaf(uint32_t l) const {
  auto it = cpuid.find(l);
  return it == cpuid.end() ? CpuidRegs{} : it->second;
}

NodeAccess HostSnapshot::device(const std::string& path) const {
  auto it = devices.find(path);
  return it == devices.end() ? NodeAccess::Absent : it->second;
}

bool HostSnapshot::has_flag(std::string_view flag) const {
  return cpu_flags && std::find(cpu_flags->begin(), cpu_flags->end(), flag) != cpu_flags->end();
}

HostSnapshot snapshot_from_json(std::string_view text, const std::string& what) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    // nlohmann's message is one line ("[json.exception.parse_error.101] parse error at line 1,
    // column 2: ...").
    throw InputError(fmt::format("{}: not valid JSON: {}", what, e.what()));
  }
  if (!j.is_object()) throw InputError(what + ": expected a JSON object (a cbit host snapshot)");
  if (!j.contains("format") || j["format"] != kSnapshotFormat)
    throw InputError(fmt::format("{}: format: expected \"{}\" (write one with `cbit host --save`)",
                                 what, kSnapshotFormat));
  HostSnapshot s;
  s.syscfg.unreadable = s.sev_status.unreadable = "not in the snapshot";
  s.kernel_log_unreadable = "not in the snapshot";
  for (const auto& [key, v] : j.items()) {
    if (key == "format") continue;
    if (key == "description") {
      if (!v.is_string()) bad(what, key, "expected a string");
      s.description = v.get<std::string>();
    } else if (key == "cmdline") {
      if (!v.is_string()) bad(what, key, "expected a string");
      s.cmdline = v.get<std::string>();
    } else if (key == "cpuid") {
      if (!v.is_object()) bad(what, key, "expected an object of leaves");
      for (const auto& [leaf, regs] : v.items()) {
        const std::string k = "cpuid." + leaf;
        const uint32_t l = static_cast<uint32_t>(parse_hex(json(leaf), what, k, 32));
        if (!regs.is_array() || regs.size() != 4)
          bad(what, k, "expected [eax, ebx, ecx, edx] as 4 hex strings");
        s.cpuid[l] = CpuidRegs{static_cast<uint32_t>(parse_hex(regs[0], what, k + ".eax", 32)),
                               static_cast<uint32_t>(parse_hex(regs[1], what, k + ".ebx", 32)),
                               static_cast<uint32_t>(parse_hex(regs[2], what, k + ".ecx", 32)),
                               static_cast<uint32_t>(parse_hex(regs[3], what, k + ".edx", 32))};
      }
    } else if (key == "msr") {
      if (!v.is_object()) bad(what, key, "expected an object");
      for (const auto& [name, m] : v.items()) {
        if (name == "SYSCFG")
          s.syscfg = parse_msr(m, what, "msr.SYSCFG");
        else if (name == "SEV_STATUS")
          s.sev_status = parse_msr(m, what, "msr.SEV_STATUS");
        else
          bad(what, "msr." + name, "unknown MSR (SYSCFG, SEV_STATUS)");
      }
    } else if (key == "kvm_amd") {
      if (v.is_null()) continue;
      if (!v.is_object()) bad(what, key, "expected an object of module parameters, or null");
      s.kvm_amd.emplace();
      for (const auto& [name, val] : v.items()) {
        if (!val.is_string()) bad(what, "kvm_amd." + name, "expected a string");
        (*s.kvm_amd)[name] = val.get<std::string>();
      }
    } else if (key == "devices") {
      if (!v.is_object()) bad(what, key, "expected an object");
      for (const auto& [path, a] : v.items())
        s.devices[path] = parse_access(a, what, "devices." + path);
    } else if (key == "kernel_log") {
      if (v.is_object()) {
        if (!v.contains("unreadable") || !v["unreadable"].is_string())
          bad(what, key, "expected an array of lines or {\"unreadable\": \"why\"}");
        s.kernel_log_unreadable = v["unreadable"].get<std::string>();
      } else {
        s.kernel_log = parse_lines(v, what, key);
        s.kernel_log_unreadable.clear();
      }
    } else if (key == "cpu_flags") {
      s.cpu_flags = parse_lines(v, what, key);
    } else {
      bad(what, key, "unknown key");
    }
  }
  if (s.cpuid.empty()) throw InputError(what + ": cpuid: missing (no CPUID leaves recorded)");
  return s;
}

std::string snapshot_to_json(const HostSnapshot& s) {
  json j = json::object();
  j["format"] = kSnapshotFormat;
  j["description"] = s.description;
  json leaves = json::object();
  for (const auto& [l, r] : s.cpuid)
    leaves[hex32(l)] = json::array({hex32(r.eax), hex32(r.ebx), hex32(r.ecx), hex32(r.edx)});
  j["cpuid"] = leaves;
  j["msr"] = json{{"SYSCFG", msr_json(s.syscfg)}, {"SEV_STATUS", msr_json(s.sev_status)}};
  j["kvm_amd"] = s.kvm_amd ? json(*s.kvm_amd) : json(nullptr);
  json dev = json::object();
  for (const auto& [p, a] : s.devices) dev[p] = to_string(a);
  j["devices"] = dev;
  j["kernel_log"] =
      s.kernel_log ? json(*s.kernel_log) : json{{"unreadable", s.kernel_log_unreadable}};
  if (s.cpu_flags) j["cpu_flags"] = *s.cpu_flags;
  j["cmdline"] = s.cmdline;
  // Kernel log lines may hold bytes that are not UTF-8: replace them rather than fail.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace cbit::tools::host
