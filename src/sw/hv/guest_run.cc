#include "sw/hv/guest_run.h"

#include <fmt/format.h>

#include <cctype>
#include <sstream>

#include "common/error.h"
#include "common/file.h"
#include "sw/guest/cbit_disk.h"
#include "sw/hv/devices.h"
#include "sw/hv/snp_cc_blob.h"
#include "sw/hv/vm.h"
#include "x86/elf_image.h"
#include "x86/guest_programs.h"

namespace cbit::sw::hv {

namespace {

bool is_program_name(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return s.front() != '.';
}

}  // namespace

// Why the guest stopped before the program ended, or nullopt. A GHCB termination request is the
// guest's own verdict (Linux's sev_es_terminate(): the reason set and code, after its last log
// line); a panic is the kernel's.
std::optional<std::string> guest_failure(const guest::GuestKernel& g, const std::string& name) {
  const std::string last = g.dmesg().empty() ? std::string() : g.dmesg().back();
  if (const auto t = g.termination())
    return fmt::format(
        "the guest terminated (GHCB termination request, reason set {}, code {:#x}){}{}", t->first,
        t->second, last.empty() ? "" : ": ", last);
  if (g.panicked()) return fmt::format("the guest kernel panicked: {}", last);
  if (!g.booted()) return fmt::format("the guest kernel did not boot: {}", last);
  using State = guest::ProgramRun::State;
  if (g.programs().empty()) return fmt::format("the guest did not run {}", name);
  const auto& p = g.programs().back();
  switch (p.state) {
    case State::Exited:
    case State::Paused:
      return std::nullopt;
    case State::NotFound:
      return fmt::format("the guest found no {} on its disk", name);
    case State::BadExecutable:
      return fmt::format("the guest could not execute {}: {}", name, p.detail);
    case State::Killed:
      return fmt::format("the guest killed {}: {}", name, p.detail);
  }
  return std::nullopt;
}

GuestProgram guest_program(const std::string& command_line) {
  std::istringstream in(command_line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty())
    throw InputError("--run: give a program and its arguments (e.g. \"secret 123\")");
  GuestProgram p;
  const std::string& prog = words.front();
  if (prog.find('/') != std::string::npos) {
    p.source = prog;
  } else {
    std::string name = prog;
    if (name.size() > 4 && name.ends_with(".elf")) name.resize(name.size() - 4);
    if (!is_program_name(name))
      throw InputError(fmt::format(
          "--run: '{}' is not a guest program name (letters, digits, '_', '-'; or a path)", prog));
    p.source = x86::find_guest_program(name);
  }
  p.elf = read_file(p.source, guest::DiskHeader::kMaxFileSize);
  std::string file = p.source.substr(p.source.rfind('/') + 1);
  if (file.empty() || file.size() >= guest::DiskHeader::kNameSize)
    throw InputError(fmt::format("--run {}: the file name must have 1 to {} characters", p.source,
                                 guest::DiskHeader::kNameSize - 1));
  p.argv.push_back("./" + file);
  p.argv.insert(p.argv.end(), words.begin() + 1, words.end());
  return p;
}

Bytes guest_program_disk(const GuestProgram& program) {
  const std::string& a0 = program.argv.at(0);
  return make_cbit_disk(program.elf, a0.substr(a0.rfind('/') + 1));
}

GuestProgramResult run_guest_program(Vm& vm, const GuestProgram& program,
                                     guest::GuestKernelConfig gcfg) {
  gcfg.ram_bytes = vm.config().ram_bytes;
  // OVMF's handoff to Linux: the CPUID and secrets pages and the validated ranges.
  if (vm.config().mode == SevMode::Snp) apply_cc_blob(vm.snp_cc_blob(), gcfg);
  guest::GuestKernel g(gcfg);
  GuestProgramResult r;
  g.queue_program(program.argv);
  r.last_exit = vm.run(g);
  r.sev_status = g.sev_status();
  r.dmesg = g.dmesg();
  if (!g.programs().empty()) {
    const auto& p = g.programs().back();
    r.output = p.output;
    r.state = p.state;
    r.exit_code = p.exit_code;
  }
  r.failure = guest_failure(g, program.argv.front());
  return r;
}

std::vector<std::string> sev_dmesg_lines(const std::vector<std::string>& dmesg) {
  std::vector<std::string> out;
  for (const auto& l : dmesg)
    if (l.find("SEV") != std::string::npos || l.find("ncryption") != std::string::npos)
      out.push_back(l);
  return out;
}

}  // namespace cbit::sw::hv
