// CipherLeaks against a real program (Li et al., USENIX Security 2021, §4-5, with the
// controlled channel of Xu et al., S&P 2015, that gives its attacker the exits): a password
// check (examples/guest/password_memcmp.c, password_ct.c) runs in an SEV-ES guest under cbit's
// guest kernel, and the hypervisor, which can neither read the guest's memory nor its
// registers, learns what the exits give away.
//
// What the hypervisor does, for each guess it submits (it plays the user typing at the
// program's prompt: the guess is argv[1]; it can restart the guest at will):
//   - it knows the binary (public, non-PIE): the virtual addresses of the typed and stored
//     buffers, each on a page of its own (PasswordTarget::typed_va, stored_va);
//   - it learns the two guest frames behind them once, from a profiling run (here from the guest
//     kernel's record of the program's frames, in place of the paper's page-fault trace; a
//     fresh VM allocates the same frames);
//   - in each run it unmaps both frames in the nested page tables, and at each #NPF on one it
//     maps that one and unmaps the other, so every alternation between the buffers exits; at
//     each exit it reads the VMSA's ciphertext (RAX and RIP/RFLAGS blocks: the program's
//     registers, saved by the CPU at the #NPF and encrypted deterministically at that address).
// What it recovers: memcmp stops at the first differing byte, so the exits grow with the
// matching prefix; with the guess extended one byte at a time (candidates of the alphabet in
// order until two give different exits: the one with more is right) it recovers the password in
// at most |alphabet| x length runs. The constant-time compare reads every byte of both buffers
// whatever the guess: every candidate gives the same exits, so nothing is recovered beyond the
// result the program prints anyway (the control). The ciphertext evidence: the number of
// distinct RAX-block ciphertexts at the exits (the compare loop's counter, when the compiler
// keeps it in RAX) follows the same count. Not done here: a ciphertext dictionary on the
// constant-time loop's accumulator register (the paper's attack on constant-time code); SNP's
// ciphertext hiding.
#pragma once
#include <cstdint>
#include <string>

#include "attacks/attacker.h"
#include "attacks/sev_attack.h"
#include "sw/hv/guest_run.h"

namespace cbit::attacks {

struct PasswordTarget {
  sw::hv::GuestProgram program;  // the checker; the guess is appended as argv[1]
  uint64_t typed_va = 0, stored_va = 0;
  std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  size_t max_len = 16;
  uint64_t ram = 16ull << 20;
};

// Evidence: "recovered" (the bytes found), "granted" (the program accepted them), "runs",
// "exits_per_position" (the candidates' exit counts at each position), "method",
// "distinct_rax_ciphertexts" (at the best guess of the first position).
SevAttackResult cipherleaks_password(HostAttacker& attacker, SevMode mode, const PasswordTarget& t);

// `cbit attack cipherleaks-password` / `cipherleaks-password-ct`: the example programs
// (password_memcmp.elf or password_ct.elf, found as x86::find_guest_program does), their buffers
// from the binary's symbol table, the alphabet a-z 0-9, at most 16 bytes.
SevAttackResult cipherleaks_password_example(HostAttacker& attacker, SevMode mode,
                                             bool constant_time);

}  // namespace cbit::attacks
