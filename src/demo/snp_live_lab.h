// The relying-party attack rows (attacks/snp_rp_attacks.h) on the live path: every report a row
// uses is a guest's own request through /dev/sev-guest, the GHCB, KVM and the firmware
// (demo/snp_live_guest.h), none is built by hand.
//
//   guest               the expected guest (OVMF as the owner measured it) on `platform`
//   other_image_guest   a second VM on the same host, launched from OVMF with one byte changed
//                       in its code volume (the host's own firmware build): MEASUREMENT differs
//   old_firmware_guest  the expected guest while the host has SNP_CONFIG report a TCB one SNP
//                       SVN below the committed one (`snphost config set`); the report is
//                       genuine, signed by the VCEK of that older TCB, and the host serves that
//                       VCEK; REPORTED_TCB is restored after each request
//   fresh_guest         a new VM of the expected image per call (the request-path rows wipe or
//                       zero its VMPCKs), with KVM's request-page hook for the host
//   relying_party       snp_rp_policy(): the KDS's ARK, the committed TCB, the expected digest
//
// The forger's RSA keys come from `rsa_key` (when it is empty: one generated RSA-4096 key for
// both its ARK and its ASK).
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "attacks/snp_rp_attacks.h"
#include "demo/snp_live_guest.h"

namespace cbit::demo {

struct LiveAttestationLab {
  attacks::AttestationLab lab;
  psp::TcbVersion old_tcb;  // what old_firmware_guest's reports say
  std::unique_ptr<LiveSnpGuest> other_image;
  std::vector<std::unique_ptr<LiveSnpGuest>> fresh;
};

// OVMF with one byte of its code changed (the same size and layout, another launch digest).
Bytes other_ovmf_image(const Bytes& ovmf);

// The TCB one step below `tcb`: one SNP SVN lower (else one bootloader SVN lower), as older
// SNP firmware reports it.
psp::TcbVersion older_tcb(psp::TcbVersion tcb);
// `guest`'s report requests while the host has SNP_CONFIG report `tcb` (`snphost config set`):
// genuine reports signed by that TCB's VCEK, which the host serves in the certificate table;
// REPORTED_TCB is restored after each request. nullopt when SNP_CONFIG or the request fails.
// Not from inside the guest (the host's SNP_CONFIG runs between the guest's runs).
sw::guest::GetReportFn reported_tcb_source(SnpPlatform& platform, LiveSnpGuest& guest,
                                           psp::TcbVersion tcb);

// `guest` and `platform` must outlive the lab. `secret`: what the relying party releases.
std::unique_ptr<LiveAttestationLab> make_live_attestation_lab(
    SnpPlatform& platform, LiveSnpGuest& guest, Bytes secret,
    std::function<psp::PkeyPtr(const char* role)> rsa_key = nullptr);

}  // namespace cbit::demo
