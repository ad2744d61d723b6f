// The SEV-SNP attestation round trip, live (issue 10 §3; docs/attestation.md): a guest launched
// from OVMF on an SNP platform (demo/snp_live_guest.h) proves itself to a relying party
// (sw/owner/snp_relying_party.h) and gets a secret that seed 004's x86 program then prints.
//
//   1. the relying party sends a nonce;
//   2. the attest agent, a guest-kernel task (sw/guest/attest_agent.h), makes a P-384 key and
//      asks /dev/sev-guest for SNP_GET_EXT_REPORT with REPORT_DATA = SHA-512(nonce || SPKI):
//      sealed under VMPCK0, the GHCB's guest-request NAE event, KVM, the firmware's
//      SNP_GUEST_REQUEST (MSG_REPORT_REQ, signed by the VCEK of REPORTED_TCB), and the
//      certificate table the host gave KVM;
//   3. the relying party runs every check (format ... vmpl, each printed), trusting the KDS
//      stand-in's ARK, demanding the platform's committed TCB and expecting `cbit measure`'s
//      digest of the same OVMF, and releases the secret wrapped to the agent's key;
//   4. the agent unwraps it in guest memory and the guest kernel runs examples/guest/secret.elf
//      (seed 004's program) from the VM's disk with the secret as its argument: it prints "My
//      secret is <secret>". The secret goes from the agent to the program inside the guest.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "demo/snp_live_guest.h"
#include "sw/guest/kernel.h"
#include "sw/owner/snp_relying_party.h"

namespace cbit::demo {

// secret.elf on a cbit disk, as ./secret.elf (InputError when it was not built).
Bytes secret_program_disk();

// The relying party's policy for guests of `platform`: its KDS's ARK as the trusted root, the
// committed TCB as the minimum, `expected` as the measurement, VMPL 0 only.
sw::owner::SnpRpPolicy snp_rp_policy(SnpPlatform& platform,
                                     const std::array<uint8_t, 48>& expected);

struct SnpRoundTrip {
  sw::owner::RpVerdict verdict;   // every check the relying party ran
  bool released = false;          // the relying party released a wrapped secret
  bool opened = false;            // the agent unwrapped it in the guest
  std::string secret;             // what the relying party released
  sw::guest::ProgramRun program;  // secret.elf's run (state NotFound when it did not run)
  bool program_printed = false;   // its output holds "My secret is <secret>"
  psp::TcbVersion reported_tcb;
  // What the relying party expects, and what the guest's report says.
  std::array<uint8_t, 48> expected_measurement{}, measurement{};
  std::vector<std::string> dmesg;  // the guest kernel's lines about SEV and attestation
};

// What a caller may vary in the round trip (the scenario action `attest` does).
struct SnpRoundTripSetup {
  // The relying party (its policy decides); nullptr: a fresh one with snp_rp_policy() expecting
  // `cbit measure`'s digest of the platform's OVMF.
  sw::owner::SnpRelyingParty* rp = nullptr;
  // Where the agent's reports come from; nullptr: guest.report_source() (VMPCK0, VMPL 0).
  sw::guest::GetReportFn source;
  // The program the guest kernel runs with the released secret appended to its arguments
  // (argv[0] from the guest's disk); empty: none.
  std::vector<std::string> program = {"./secret.elf"};
};

// The round trip above for `guest` (launched with secret_program_disk()) and `secret` (decimal
// digits: secret.elf prints it with %d). Failures are results (verdict, released, opened,
// program), not exceptions.
SnpRoundTrip run_snp_round_trip(SnpPlatform& platform, LiveSnpGuest& guest,
                                const std::string& secret, const SnpRoundTripSetup& setup = {});

}  // namespace cbit::demo
