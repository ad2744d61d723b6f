#include "demo/snp_round_trip.h"

#include <fmt/format.h>

#include <optional>

#include "common/error.h"
#include "common/file.h"
#include "psp/report/attestation_report.h"
#include "sw/guest/attest_agent.h"
#include "sw/hv/devices.h"
#include "sw/owner/snp_expected_measurement.h"
#include "x86/guest_programs.h"

namespace cbit::demo {

Bytes secret_program_disk() {
  return sw::hv::make_cbit_disk(read_file(x86::find_guest_program("secret"), uint64_t(64) << 20),
                                "secret.elf");
}

sw::owner::SnpRpPolicy snp_rp_policy(SnpPlatform& platform,
                                     const std::array<uint8_t, 48>& expected) {
  sw::owner::SnpRpPolicy p;
  p.trusted_ark.reset(X509_dup(const_cast<X509*>(platform.kds().ark())));
  p.min_tcb = platform.committed_tcb();
  p.expected_measurement = expected;
  return p;
}

SnpRoundTrip run_snp_round_trip(SnpPlatform& platform, LiveSnpGuest& guest,
                                const std::string& secret, const SnpRoundTripSetup& setup) {
  SnpRoundTrip rt;
  rt.secret = secret;
  rt.reported_tcb = platform.reported_tcb();
  std::optional<sw::owner::SnpRelyingParty> own;
  if (!setup.rp)
    own.emplace(snp_rp_policy(platform, SnpPlatform::expected_measurement(platform.ovmf())));
  sw::owner::SnpRelyingParty& rp = setup.rp ? *setup.rp : *own;
  rt.expected_measurement = rp.policy().expected_measurement.value_or(std::array<uint8_t, 48>{});
  sw::guest::AttestAgent agent(setup.source ? setup.source : guest.report_source());

  // 1-2: the nonce to the guest; the agent's evidence back.
  const Bytes nonce = rp.challenge();
  std::optional<sw::attest::SnpEvidence> evidence;
  guest.in_guest([&](sw::guest::GuestKernel& k) {
    evidence = agent.respond(nonce);
    k.printk(evidence ? "attest: SNP_GET_EXT_REPORT answered; evidence sent to the relying party"
                      : "attest: the report request failed");
  });
  if (!evidence) {
    rt.verdict.fail("guest", "the guest's report request failed");
    return rt;
  }
  rt.measurement = psp::AttestationReport::parse(evidence->report, "report").measurement;

  // 3: every check, then the secret wrapped to the agent's key.
  rt.verdict = rp.evaluate(*evidence);
  const Bytes secret_bytes(secret.begin(), secret.end());
  const auto wrapped = rp.release(secret_bytes);
  rt.released = wrapped.has_value();
  if (!wrapped) return rt;

  // 4: unwrapped in the guest, handed to seed 004's program by the guest kernel.
  const size_t runs_before = guest.kernel().programs().size();
  guest.in_guest([&](sw::guest::GuestKernel& k) {
    const std::optional<Bytes> opened = agent.unwrap(*wrapped);
    rt.opened = opened.has_value();
    if (!opened) {
      k.printk("attest: the released secret did not open");
      return;
    }
    k.printk(fmt::format("attest: the relying party released {} secret bytes", opened->size()));
    if (setup.program.empty()) return;
    std::vector<std::string> argv = setup.program;
    argv.emplace_back(opened->begin(), opened->end());
    k.queue_program(std::move(argv));
  });
  const auto& runs = guest.kernel().programs();
  if (runs.size() > runs_before) rt.program = runs.back();
  rt.program_printed = rt.program.output.find("My secret is " + secret) != std::string::npos;
  for (const auto& l : guest.kernel().dmesg())
    if (l.find("SEV") != std::string::npos || l.find("attest") != std::string::npos ||
        l.find("sev-guest") != std::string::npos)
      rt.dmesg.push_back(l);
  return rt;
}

}  // namespace cbit::demo
