// The relying party of SEV-SNP attestation (issue 10 §3): the party that holds a secret and
// gives it only to a guest whose signed report it has checked. Beside the SEV guest owner
// (sev_owner.h), which trusts the launch measurement the host relays; here the guest itself
// asks the Secure Processor for the report (SNP_GUEST_REQUEST MSG_REPORT_REQ, SNP-FACTS.md
// §3.2) and nothing the host says is believed.
//
//   RP                                   guest (sw/guest/attest_agent.h)
//   challenge() ---- nonce[32] --------> key = fresh P-384; REPORT_DATA = SHA-512(nonce||SPKI)
//                                        report + cert table from the firmware
//   evaluate() <--- {nonce, SPKI, report, cert table} (SnpEvidence)
//     checks, in this order, every one recorded in the verdict (first failure named):
//       format        the report parses (0x4A0 bytes, version >= 2) and passes the verifier's
//                     strict format rules (MBZ bytes, reserved bits, VMPL range)
//       signing-key certificates root chain signature vcek-binding: the report verifier's
//                     library (tools/report/verify.h) under the policy's ARK
//                     (snp_rp_authenticity.h)
//       report-data   REPORT_DATA == SHA-512(nonce || SPKI) and SPKI is an EC P-384 key
//       nonce         issued by this RP, not used before, not expired (consumed either way)
//       tcb           REPORTED, CURRENT and COMMITTED TCB >= the minimum, component-wise
//       policy        DEBUG (bit 19) forbidden, MIGRATE_MA (18) and SMT (16) as configured,
//                     SINGLE_SOCKET (20) if required, ABI >= minimum, bit 17 set, 63:26 clear
//       measurement   MEASUREMENT == the expected launch digest (snp_expected_measurement.h)
//       vmpl          VMPL is an allowed level (0 only by default; 0xFFFFFFFF = host report)
//   release(secret) ---- WrappedSecret -> unwrap with the private key (sw/attest/secret_wrap.h)
//
// The trusted ARK is the policy's own (for the simulated chip the caller passes it; for real
// parts AMD's published ARK): the evidence's certificates are only intermediates.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "psp/certs/ossl.h"
#include "psp/report/tcb_version.h"
#include "sw/attest/evidence.h"
#include "sw/attest/secret_wrap.h"
#include "sw/owner/snp_rp_verdict.h"

namespace cbit::sw::owner {

// Guest policy bits (SNP-FACTS.md §2.5; Linux psp-sev.h SNP_POLICY_*).
namespace snp_policy {
inline constexpr uint64_t kSmt = 1ull << 16;
inline constexpr uint64_t kMbo = 1ull << 17;
inline constexpr uint64_t kMigrateMa = 1ull << 18;
inline constexpr uint64_t kDebug = 1ull << 19;
inline constexpr uint64_t kSingleSocket = 1ull << 20;
inline constexpr uint64_t kReservedMask = ~((1ull << 26) - 1);  // bits 63:26 must be zero
}  // namespace snp_policy

inline constexpr uint32_t kHostRequestedVmpl = 0xFFFFFFFF;  // SNP_HV_REPORT_REQ

struct SnpRpPolicy {
  psp::X509Ptr trusted_ark;  // required: the root the RP trusts (its own copy)
  psp::TcbVersion min_tcb;   // component-wise minimum (fmc only checked when set)
  uint8_t min_abi_major = 0, min_abi_minor = 0;  // the guest policy's ABI minimum
  bool allow_debug = false;
  bool allow_migrate_ma = false;
  bool allow_smt = true;
  bool require_single_socket = false;
  std::optional<std::array<uint8_t, 48>> expected_measurement;  // required
  std::vector<uint32_t> allowed_vmpls = {0};
  bool accept_vcek = true;
  bool accept_vlek = false;
  std::chrono::seconds nonce_lifetime{300};
};

using attest::SnpEvidence;

class SnpRelyingParty {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Throws InputError when the policy has no trusted ARK or no expected measurement.
  explicit SnpRelyingParty(SnpRpPolicy policy, Clock clock = nullptr);

  // A fresh 32-byte nonce (OpenSSL RAND_bytes), remembered until used or expired.
  Bytes challenge();
  // Runs every check; consumes the evidence's nonce. On acceptance, remembers the guest key
  // and the report for one release().
  RpVerdict evaluate(const SnpEvidence& evidence);
  // The secret wrapped to the key of the last accepted evidence; nullopt when the last
  // evaluate() refused or the secret was already released for it.
  std::optional<attest::WrappedSecret> release(ByteSpan secret);

  const SnpRpPolicy& policy() const { return policy_; }

 private:
  void check_nonce(RpVerdict& v, const Bytes& nonce);

  SnpRpPolicy policy_;
  Clock clock_;
  std::map<std::string, std::chrono::steady_clock::time_point> outstanding_;  // hex nonce -> expiry
  std::map<std::string, std::chrono::steady_clock::time_point> spent_;        // until its expiry
  struct Accepted {
    psp::PkeyPtr guest_key;
    std::array<uint8_t, 32> report_id;
    std::array<uint8_t, 48> measurement;
  };
  std::optional<Accepted> accepted_;
};

}  // namespace cbit::sw::owner
