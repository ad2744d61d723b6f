// A simulated SNP chip's identity, as the simulated Secure Processor uses it: the CHIP_ID, a
// chip secret, the product, and the ARK/ASK pair that endorses it.
//
// On real parts the VCEK is "versioned": firmware derives it from a chip-unique secret and the
// TCB, so a TCB update changes the key, and AMD's KDS issues one VCEK certificate per
// (CHIP_ID, TCB) (SPEC-FACTS.md "SNP attestation report"; snpguest#32). The derivation is
// ASPFW's hashstick chain (psp/snp/vcek.h), the same function the simulated firmware signs
// with: this class is the KDS stand-in, and a report from the firmware of a chip with this
// secret verifies under vcek_cert(REPORTED_TCB) (hw/psp/sev/sim_kds.h builds one for a Machine).
#pragma once
#include <array>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "psp/certs/ossl.h"
#include "psp/certs/sim_chain.h"
#include "psp/report/tcb_version.h"

namespace cbit::psp {

class SimulatedChip {
 public:
  // `ark_key`/`ask_key`: RSA-4096 keys (see load_or_generate_rsa4096); the chip id and secret
  // come from the caller's RNG. On Turin only the first 8 bytes of the CHIP_ID are used.
  SimulatedChip(const ChipProduct& product, std::array<uint8_t, 64> chip_id,
                std::array<uint8_t, 48> chip_secret, PkeyPtr ark_key, PkeyPtr ask_key);

  const ChipProduct& product() const { return product_; }
  const std::array<uint8_t, 64>& chip_id() const { return chip_id_; }
  const X509* ark() const { return ark_.get(); }
  const X509* ask() const { return ask_.get(); }

  // The VCEK private key for this TCB (deterministic: same chip, same TCB, same key).
  PkeyPtr vcek_key(const TcbVersion& tcb) const;
  // The VCEK certificate the KDS would issue for this TCB, signed by the ASK.
  X509Ptr vcek_cert(const TcbVersion& tcb) const;
  // Same, with extensions chosen by the caller (tests of verifiers: a wrong TCB or hwID).
  X509Ptr vcek_cert(const TcbVersion& key_tcb, const VcekExtensions& ext) const;

  // The KDS's VLEK service for a cloud provider whose VLEK secret is `csp_secret` (48 bytes):
  // the wrapped VLEK for this chip at `tcb` that SNP_VLEK_LOAD takes (psp/snp/vlek.h), and the
  // VLEK key pair it holds (the public half is what the provider's VLEK certificate carries).
  Bytes vlek_wrapped(const TcbVersion& tcb, ByteSpan csp_secret, ByteSpan iv) const;
  PkeyPtr vlek_key(const TcbVersion& tcb, ByteSpan csp_secret) const;

 private:
  const ChipProduct& product_;
  std::array<uint8_t, 64> chip_id_;
  std::array<uint8_t, 48> chip_secret_;
  PkeyPtr ark_key_, ask_key_;
  X509Ptr ark_, ask_;
};

}  // namespace cbit::psp
