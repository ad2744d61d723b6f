#include "attacks/sev_matrix.h"

#include <fmt/format.h>

#include "attacks/badram_alias.h"
#include "attacks/cachewarp.h"
#include "attacks/cipherleaks.h"
#include "attacks/cipherleaks_password.h"
#include "attacks/ciphertext_replay.h"
#include "attacks/dma_private.h"
#include "attacks/hv_memory_scan.h"
#include "attacks/hv_register_access.h"
#include "attacks/hv_write_private.h"
#include "attacks/npt_remap.h"
#include "attacks/wesee.h"
#include "common/error.h"

namespace cbit::attacks {
namespace {
SevAttackResult cipherleaks_hlt(HostAttacker& h, SevMode m) { return cipherleaks(h, m); }
SevAttackResult cipherleaks_npf(HostAttacker& h, SevMode m) {
  auto r = cipherleaks(h, m, 0xC0DEB5A3, CipherLeaksExit::Npf);
  r.attack = "cipherleaks-npf";
  return r;
}
SevAttackResult cipherleaks_password_memcmp(HostAttacker& h, SevMode m) {
  return cipherleaks_password_example(h, m, false);
}
SevAttackResult cipherleaks_password_ct(HostAttacker& h, SevMode m) {
  return cipherleaks_password_example(h, m, true);
}
}  // namespace

const std::vector<SevAttackInfo>& sev_attacks() {
  static const std::vector<SevAttackInfo> v = {
      {"hv-memory-scan", "HV memory scan", "read guest RAM through the hypervisor's mapping",
       hv_memory_scan},
      {"hv-write-private", "HV write into private",
       "write a private page through the host's direct map", hv_write_private},
      {"hv-register-access", "HV register read/write",
       "KVM_GET_REGS / KVM_SET_REGS at a HLT exit, else write into the VMSA", hv_register_access},
      {"npt-remap", "NPT remap (SEVered)", "re-point a public page's nested PTE at a secret page",
       npt_remap},
      {"ciphertext-replay", "Ciphertext replay",
       "save a private page's ciphertext, write it back after the guest updates it",
       ciphertext_replay},
      {"cipherleaks", "CipherLeaks at HLT",
       "infer RAX bits at HLT exits by comparing the VMSA's ciphertext", cipherleaks_hlt},
      {"cipherleaks-npf", "CipherLeaks at #NPF",
       "the same at #NPFs the hypervisor provokes by unmapping pages", cipherleaks_npf},
      {"dma-private", "DMA into private memory",
       "a bus master reads and writes a private page (with the C-bit)", dma_private},
      {"cachewarp", "CacheWarp (INVD)",
       "clear HWCR[INVDWBINVD], INVD at an exit: the guest's last write is dropped", cachewarp},
      {"wesee-vc-injection", "WeSee #VC injection",
       "inject #VC(VMMCALL) through EVENTINJ: the guest's handler loads the HV's RAX",
       wesee_vc_injection},
      {"badram-alias", "BadRAM alias replay",
       "replay a private page's old ciphertext through a DRAM alias (SPD-lying DIMM)", badram_alias,
       Platform{{}, true}},
      {"cipherleaks-password", "CipherLeaks: memcmp password",
       "guess password_memcmp's password byte by byte from #NPF exits and VMSA ciphertext",
       cipherleaks_password_memcmp, Platform{}, false},
      {"cipherleaks-password-ct", "CipherLeaks: constant-time",
       "the same against password_ct's constant-time compare (the control)",
       cipherleaks_password_ct, Platform{}, false},
  };
  return v;
}

const std::vector<SnpVariant>& snp_variants() {
  static const std::vector<SnpVariant> v = {
      {"ciphertext-hiding", "ciphertext hiding", "cipherleaks", Platform{{"ciphertext-hiding=1"}},
       Platform{{"ciphertext-hiding=1"}, false, false, true},
       "Li et al., USENIX Sec 2021; AMD-SB-3021"},
      {"alias-check", "firmware alias check", "badram-alias", Platform{{}, true},
       Platform{{}, true, true}, "De Meulemeester et al., S&P 2025; AMD-SB-3015"},
      {"cachewarp-fix", "CacheWarp microcode", "cachewarp", Platform{{"cachewarp-fix=0"}},
       Platform{{"cachewarp-fix=1"}}, "Zhang et al., USENIX Sec 2024; AMD-SB-3005"},
      {"restricted-injection", "restricted injection", "wesee-vc-injection", Platform{},
       Platform{{}, false, false, false, true}, "Schlueter et al., S&P 2024; CVE-2024-25742"},
  };
  return v;
}

const SevAttackInfo& sev_attack_by_name(const std::string& name) {
  std::string known;
  for (const auto& a : sev_attacks()) {
    if (name == a.name) return a;
    known += (known.empty() ? "" : ", ") + std::string(a.name);
  }
  throw InputError("attack '" + name + "': unknown (known: " + known + ")");
}

namespace {
constexpr size_t kTitleW = 24, kCellW = 34;

std::string cell_text(const SevAttackResult& r) {
  const char* mark = r.verdict == Verdict::Succeeded ? "YES"
                     : r.verdict == Verdict::Blocked ? "no "
                                                     : "ERR";
  std::string s = std::string(mark) + " " + r.got;
  if (s.size() > kCellW - 1) s = s.substr(0, kCellW - 3) + "..";
  return s;
}
std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}
}  // namespace

std::string render_matrix_text(const std::vector<MatrixRow>& rows, const MatrixOptions& opt) {
  std::string out = fmt::format(
      "SEV attack matrix (cpu {}, seed {}): did the malicious hypervisor "
      "get it?\n\n",
      opt.cpu, opt.seed);
  std::string head = fmt::format("{:<{}}", "attack", kTitleW);
  for (SevMode m : opt.modes) head += fmt::format("| {:<{}}", sw::hv::sev_mode_name(m), kCellW - 1);
  out += trimmed(head) + "\n" + std::string(kTitleW, '-');
  for (size_t i = 0; i < opt.modes.size(); ++i) out += "+" + std::string(kCellW, '-');
  out += "\n";
  for (const auto& row : rows) {
    std::string line = fmt::format("{:<{}}", row.title, kTitleW);
    for (const auto& c : row.cells) line += fmt::format("| {:<{}}", cell_text(c), kCellW - 1);
    out += trimmed(line) + "\n";
  }
  out +=
      "\nYES = the attack worked, no = blocked (what the attacker got instead), ERR = could "
      "not run.\nDetails:\n";
  for (const auto& row : rows)
    for (const auto& c : row.cells)
      out += fmt::format("  {} [{}]: {}\n", row.attack, mode_flag(c.mode), c.detail);
  return out;
}

std::string render_variants_text(const std::vector<VariantRow>& rows) {
  std::string out =
      "SNP mitigations (SEV-SNP guests, each attack without and with the mitigation):\n\n";
  std::string head =
      fmt::format("{:<{}}| {:<{}}| {}", "mitigation", kTitleW, "without", kCellW - 1, "with");
  out += trimmed(head) + "\n" + std::string(kTitleW, '-') + "+" + std::string(kCellW, '-') + "+" +
         std::string(kCellW, '-') + "\n";
  for (const auto& r : rows)
    out += trimmed(fmt::format("{:<{}}| {:<{}}| {}", r.title, kTitleW, cell_text(r.without),
                               kCellW - 1, cell_text(r.with))) +
           "\n";
  return out;
}

nlohmann::json render_variants_json(const std::vector<VariantRow>& rows) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& r : rows)
    a.push_back({{"variant", r.variant},
                 {"title", r.title},
                 {"attack", r.attack},
                 {"without", r.without.to_json()},
                 {"with", r.with.to_json()}});
  return a;
}

nlohmann::json render_matrix_json(const std::vector<MatrixRow>& rows, const MatrixOptions& opt) {
  nlohmann::json j{{"cpu", opt.cpu}, {"seed", opt.seed}, {"set", opt.cpu_overrides}};
  auto& modes = j["modes"] = nlohmann::json::array();
  for (SevMode m : opt.modes) modes.push_back(mode_flag(m));
  auto& rs = j["rows"] = nlohmann::json::array();
  for (const auto& row : rows) {
    nlohmann::json cells = nlohmann::json::array();
    for (const auto& c : row.cells) cells.push_back(c.to_json());
    rs.push_back({{"attack", row.attack}, {"title", row.title}, {"cells", cells}});
  }
  return j;
}

}  // namespace cbit::attacks
