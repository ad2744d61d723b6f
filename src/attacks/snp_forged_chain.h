// The forger's tool for the forged-report row (snp_rp_attacks.h): a certificate chain of its
// own that looks exactly like the chip's -- every certificate a copy of the genuine one (AMD's
// names, serials, validity, key identifiers, the VCEK's TCB and hwID extensions), with the
// attacker's keys put in and the attacker's signatures over them (RSASSA-PSS SHA-384 salt 48,
// as AMD signs). Only a verifier that pins the root key tells it apart: the names are the same
// (issue 10 §4: `cbit report verify` accepted such a chain before it pinned AMD's ARKs).
//
// The genuine chain is public (AMD's KDS serves it; the host hands it to every guest in the
// extended report), so the attacker has it. What it lacks is a key AMD signed.
#pragma once
#include "common/bytes.h"
#include "psp/certs/ossl.h"

namespace cbit::attacks {

struct ForgedChain {
  psp::PkeyPtr vcek_key;  // the P-384 key the forger signs reports with
  psp::X509Ptr ark, ask, vcek;
};

// `genuine_*`: the chip's certificates; `ark_key`, `ask_key`: RSA keys of the attacker.
ForgedChain forge_chain(const X509* genuine_ark, const X509* genuine_ask, const X509* genuine_vcek,
                        psp::PkeyPtr ark_key, psp::PkeyPtr ask_key);

}  // namespace cbit::attacks
