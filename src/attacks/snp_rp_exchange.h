// The steps every relying-party attack row shares (snp_rp_attacks.h): one honest exchange
// (challenge, respond, evaluate, release, unwrap), the control that the expected guest gets the
// secret, and the verdict from what the attacker holds. Internal to src/attacks/snp_rp_*.cc.
#pragma once
#include <optional>
#include <string>

#include "attacks/snp_rp_attacks.h"

namespace cbit::attacks::rp_detail {

struct Exchange {
  std::optional<sw::attest::SnpEvidence> evidence;
  sw::owner::RpVerdict verdict;
  std::optional<Bytes> opened;  // what the guest unwrapped
};

// challenge -> respond -> evaluate -> release -> unwrap, for one guest.
Exchange exchange(sw::owner::SnpRelyingParty& rp, sw::guest::AttestAgent& agent, ByteSpan secret);
// The control every row starts with: lab.guest gets the secret (r.control_released).
void control(const AttestationLab& lab, RpAttackResult& r);
// Verdict from what the attacker holds; Error when the control failed (the row then proves
// nothing).
void conclude(RpAttackResult& r, const std::optional<Bytes>& attacker_plaintext,
              const AttestationLab& lab, const std::string& refused_by);

}  // namespace cbit::attacks::rp_detail
