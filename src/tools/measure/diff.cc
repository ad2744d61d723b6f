#include "tools/measure/diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file.h"
#include "common/text.h"
#include "tools/measure/explain.h"

namespace cbit::tools::measure {

using nlohmann::json;

namespace {

json load(const std::string& text, const std::string& name) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("cbit_measure_explain"))
    throw InputError(name + ": not the output of `cbit measure --explain --json`");
  if (j["cbit_measure_explain"] != kExplainVersion)
    throw InputError(fmt::format("{}: explanation version {} (this cbit reads {})", name,
                                 j["cbit_measure_explain"].dump(), kExplainVersion));
  for (const char* k : {"mode", "inputs", "steps", "records", "digest"})
    if (!j.contains(k)) throw InputError(fmt::format("{}: no \"{}\" in the explanation", name, k));
  if (!j["steps"].is_array() || !j["records"].is_array() || !j["inputs"].is_object())
    throw InputError(name + ": malformed explanation (steps, records, inputs)");
  return j;
}

// A value at a JSON pointer, or null.
json at(const json& j, const char* ptr) {
  const json::json_pointer p(ptr);
  return j.contains(p) ? j.at(p) : json();
}

std::string show(const json& v) {
  if (v.is_null()) return "(not given)";
  if (v.is_number_unsigned())
    return fmt::format("0x{:x} ({})", v.get<uint64_t>(), v.get<uint64_t>());
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

struct InputKey {
  const char* ptr;
  const char* flag;
};
// In the order they act on the launch: firmware first, then what shapes the VMSAs.
constexpr InputKey kInputs[] = {
    {"/inputs/mode", "--mode"},
    {"/inputs/ovmf/sha256", "--ovmf (contents)"},
    {"/inputs/snp_ovmf_hash", "--snp-ovmf-hash"},
    {"/inputs/kernel/sha256", "--kernel (contents)"},
    {"/inputs/initrd/sha256", "--initrd (contents)"},
    {"/inputs/append/text", "--append"},
    {"/inputs/vmm_type", "--vmm-type"},
    {"/inputs/vcpus", "--vcpus"},
    {"/inputs/vcpu_sig", "vCPU signature (--vcpu-type / --vcpu-sig / --vcpu-family...)"},
    {"/inputs/guest_features", "--guest-features"},
};

// Which input put a differing page there, from the step it belongs to.
std::string blame(const json& sa, const json& sb, const json& a, const json& b) {
  const std::string src = sa.value("source", "");
  if (src != sb.value("source", "")) return "the launch sequence (different steps at this point)";
  if (src == "firmware") return "--ovmf (firmware contents)";
  if (src == "kernel_hashes") {
    for (const char* p : {"/inputs/kernel/sha256", "/inputs/initrd/sha256", "/inputs/append/text"})
      if (at(a, p) != at(b, p)) return std::string(p).substr(8, std::string(p).find('/', 8) - 8);
    return "the SEV hashes table";
  }
  if (src == "metadata") {
    if (sa.value("page_type", "") != sb.value("page_type", "")) return "--vmm-type";
    return "--ovmf (SEV metadata)";
  }
  if (src == "vmsa") {
    const json fa = sa.value("vmsa_fields", json::object()),
               fb = sb.value("vmsa_fields", json::object());
    std::vector<std::string> diffs;
    for (auto it = fa.begin(); it != fa.end(); ++it)
      if (fb.value(it.key(), json()) != it.value())
        diffs.push_back(fmt::format("{} 0x{:x} vs 0x{:x}", it.key(), it.value().get<uint64_t>(),
                                    fb.value(it.key(), json(0)).get<uint64_t>()));
    std::string who = "VMSA";
    for (const auto& d : diffs) {
      if (d.rfind("rdx", 0) == 0)
        who = at(a, "/inputs/vmm_type") == at(b, "/inputs/vmm_type") ? "vCPU signature"
                                                                     : "--vmm-type";
      else if (d.rfind("sev_features", 0) == 0 && who == "VMSA")
        who = "--guest-features";
      else if (d.rfind("rip", 0) == 0 || d.rfind("cs.base", 0) == 0)
        who = "--ovmf (AP reset EIP)";
      else if (who == "VMSA")
        who = "--vmm-type";
    }
    if (diffs.empty()) return "VMSA";
    std::string s = who + " (VMSA fields:";
    for (const auto& d : diffs) s += " " + d + ";";
    s.back() = ')';
    return s;
  }
  return src;
}

}  // namespace

namespace {
DiffResult diff_loaded(const json& a, const json& b, const std::string& a_name,
                       const std::string& b_name) {
  DiffResult r;
  const std::string da = a["digest"].get<std::string>(), db = b["digest"].get<std::string>();
  if (da == db) {
    r.same = true;
    r.text = fmt::format("same digest {}\n", da);
    return r;
  }
  r.text = fmt::format("digests differ:\n  {}: {}\n  {}: {}\n", a_name, da, b_name, db);
  std::string inputs;
  for (const auto& k : kInputs) {
    const json va = at(a, k.ptr), vb = at(b, k.ptr);
    if (va != vb) inputs += fmt::format("  {}: {} vs {}\n", k.flag, show(va), show(vb));
  }
  r.text += inputs.empty() ? "no input differs by itself (same files and options)\n"
                           : "inputs that differ:\n" + inputs;
  const json& ra = a["records"];
  const json& rb = b["records"];
  const size_t n = std::min(ra.size(), rb.size());
  auto step_of = [](const json& doc, const json& rec) -> json {
    const size_t s = rec.value("step", size_t(0));
    return s < doc["steps"].size() ? doc["steps"][s] : json::object();
  };
  auto same_record = [](const json& x, const json& y) {
    for (const char* k : {"type", "gpa", "contents", "length", "sha256"})
      if (x.value(k, json()) != y.value(k, json())) return false;
    return true;
  };
  for (size_t i = 0; i < n; ++i) {
    if (same_record(ra[i], rb[i])) continue;
    const json sa = step_of(a, ra[i]), sb = step_of(b, rb[i]);
    r.text += fmt::format("first difference: {} #{} (of {} / {})\n",
                          a["mode"] == "SEV_SNP" ? "measured page" : "measured block", i, ra.size(),
                          rb.size());
    auto describe = [&](const std::string& who, const json& s, const json& rec) {
      std::string d = fmt::format("  {}: {}, {} #{}", who, s.value("label", "?"),
                                  rec.contains("type") ? rec.value("type", "") + " page" : "block",
                                  rec.value("index", uint64_t(0)));
      if (rec.contains("gpa")) d += fmt::format(" at GPA 0x{:x}", rec.value("gpa", uint64_t(0)));
      if (rec.contains("contents"))
        d += ", contents " + rec.value("contents", "").substr(0, 16) + "…";
      if (rec.contains("sha256")) d += ", sha256 " + rec.value("sha256", "").substr(0, 16) + "…";
      return d + "\n";
    };
    r.text += describe(a_name, sa, ra[i]) + describe(b_name, sb, rb[i]);
    if (sa.value("source", "") == "firmware" && sb.value("source", "") == "firmware" &&
        ra[i].contains("gpa")) {
      const uint64_t off = ra[i]["gpa"].get<uint64_t>() - at(a, "/inputs/ovmf/gpa").get<uint64_t>();
      r.text += fmt::format("  (OVMF file offset 0x{:x})\n", off);
    }
    r.text += "first input that differs: " + blame(sa, sb, a, b) + "\n";
    return r;
  }
  if (ra.size() != rb.size()) {
    const bool a_longer = ra.size() > rb.size();
    const json& longer = a_longer ? a : b;
    const json& rec = (a_longer ? ra : rb)[n];
    r.text += fmt::format(
        "first difference: {} has {} measured record(s), {} has {}; the next one "
        "in {} is {}\n",
        a_name, ra.size(), b_name, rb.size(), a_longer ? a_name : b_name,
        step_of(longer, rec).value("label", "?"));
    r.text +=
        "first input that differs: " +
        std::string(at(a, "/inputs/vcpus") != at(b, "/inputs/vcpus") ? "--vcpus"
                                                                     : "the launch sequence") +
        "\n";
    return r;
  }
  if (at(a, "/inputs/snp_ovmf_hash") != at(b, "/inputs/snp_ovmf_hash"))
    r.text += "first input that differs: --snp-ovmf-hash (the chain's starting digest)\n";
  return r;
}

}  // namespace

DiffResult diff_explained_text(const std::string& a_json, const std::string& b_json,
                               const std::string& a_name, const std::string& b_name) {
  const json a = load(a_json, a_name), b = load(b_json, b_name);
  try {
    DiffResult r = diff_loaded(a, b, a_name, b_name);
    // Labels and values come from the files: each line printed escaped (common/text.h).
    std::string safe;
    for (size_t at = 0; at < r.text.size();) {
      const size_t nl = std::min(r.text.find('\n', at), r.text.size());
      safe += printable(std::string_view(r.text).substr(at, nl - at));
      if (nl < r.text.size()) safe += '\n';
      at = nl + 1;
    }
    r.text = std::move(safe);
    return r;
  } catch (const json::exception& e) {
    // A hand-edited or truncated explanation: say so rather than fail half-way.
    throw InputError(fmt::format("{} / {}: malformed explanation ({})", a_name, b_name, e.what()));
  }
}

DiffResult diff_explained(const std::string& a_path, const std::string& b_path) {
  auto text = [](const std::string& p) {
    const Bytes b = read_file(p, inputs::kExplanation);
    return std::string(b.begin(), b.end());
  };
  return diff_explained_text(text(a_path), text(b_path), a_path, b_path);
}

}  // namespace cbit::tools::measure
