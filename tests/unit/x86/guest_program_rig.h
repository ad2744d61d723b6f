// A guest program (examples/guest/) run in a guest of 16 MiB on a fresh SEV host, and the
// "name: value" lines the probe programs print (cbit_guest.h cbit_report, cbit_report_hex), for
// the tests of the guest kernel's system calls.
#pragma once
#include <map>
#include <sstream>
#include <string>

#include "sw/hv/guest_run.h"
#include "testbed/sev_host.h"

namespace cbit::x86::testing {

inline sw::hv::GuestProgramResult run_in_guest(const std::string& command_line,
                                               sw::hv::SevMode mode = sw::hv::SevMode::SevEs) {
  testbed::SevHost h;
  const auto p = sw::hv::guest_program(command_line);
  auto vm = h.make_vm(mode, 16ull << 20, sw::hv::guest_program_disk(p));
  return sw::hv::run_guest_program(*vm, p);
}

inline std::map<std::string, long> probe_lines(const std::string& out) {
  std::map<std::string, long> m;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(": ");
    if (colon != std::string::npos)  // decimal, or 0x-hex (cbit_report_hex)
      m[line.substr(0, colon)] = std::stol(line.substr(colon + 2), nullptr, 0);
  }
  return m;
}

}  // namespace cbit::x86::testing
