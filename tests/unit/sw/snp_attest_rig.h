// A simulated SNP platform answering guest report requests the way the firmware fills
// MSG_REPORT_RSP (SNP-FACTS.md §3.2, §4): version 3 report, the guest's launch fields, the
// platform's TCB in CURRENT/REPORTED/COMMITTED/LAUNCH, CHIP_ID, signed by the VCEK derived for
// REPORTED_TCB, and the extended report's certificate table (VCEK, ASK, ARK) as the host
// serves it. The relying-party unit tests and the attack rows get their reports here (any field
// can be set without launching a VM); snp_rp_e2e_test.cc gets them through the live path
// (/dev/sev-guest, GHCB, KVM, firmware) with the same GetReportFn interface.
#pragma once
#include <array>
#include <filesystem>
#include <memory>
#include <string>

#include "psp/certs/cert_io.h"
#include "psp/certs/sim_chain.h"
#include "psp/certs/sim_chip.h"
#include "psp/digest/launch_plan.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"
#include "psp/snp/cert_table.h"
#include "sw/guest/attest_agent.h"
#include "sw/owner/snp_expected_measurement.h"
#include "sw/owner/snp_relying_party.h"
#include "unit/psp/digest_test_util.h"

namespace cbit::testutil {

inline std::string rp_key_path(const char* name) {
  return (std::filesystem::path(CBIT_TEST_CACHE_DIR) / "rsa4096" / name).string();
}

// One simulated Milan chip for the whole binary (RSA-4096 keys cached on disk).
inline const psp::SimulatedChip& rp_chip() {
  static const psp::SimulatedChip chip = [] {
    std::array<uint8_t, 64> id{};
    for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(0xC0 + i);
    std::array<uint8_t, 48> secret{};
    secret.fill(0x5C);
    return psp::SimulatedChip(psp::chip_product("milan"), id, secret,
                              psp::load_or_generate_rsa4096(rp_key_path("ark.pem")),
                              psp::load_or_generate_rsa4096(rp_key_path("ask.pem")));
  }();
  return chip;
}

inline psp::TcbVersion current_tcb() {
  return {.fmc = std::nullopt, .bootloader = 3, .tee = 0, .snp = 14, .microcode = 72};
}
inline psp::TcbVersion old_tcb() {  // the same chip before the SNP firmware update
  return {.fmc = std::nullopt, .bootloader = 3, .tee = 0, .snp = 8, .microcode = 72};
}

// Two launch images: the SNP launch digest of synthetic OVMF images (what `cbit measure`
// computes for them).
inline std::array<uint8_t, 48> image_measurement(uint64_t seed) {
  SynthFirmware fw;
  fw.sections = standard_sections();
  fw.seed = seed;
  const psp::digest::Ovmf ovmf(build_firmware(fw), "image");
  psp::digest::LaunchConfig cfg;
  cfg.vcpu_sig = 0xA00F11;
  return sw::owner::expected_snp_measurement(psp::digest::plan_launch(ovmf, cfg));
}
inline const std::array<uint8_t, 48>& image_a() {
  static const auto m = image_measurement(1);
  return m;
}
inline const std::array<uint8_t, 48>& image_b() {
  static const auto m = image_measurement(2);
  return m;
}

struct SimGuest {
  psp::TcbVersion tcb = current_tcb();  // the platform's firmware
  std::array<uint8_t, 48> measurement = image_a();
  uint64_t policy = 0x30000;  // QEMU's default: MBO | SMT
  uint32_t vmpl = 0;
  uint32_t key_info = 0;  // SIGNING_KEY = VCEK
  uint8_t report_id_seed = 1;
  bool with_ark = true;  // the host's table carries the ARK (snpguest's layout does)
};

inline Bytes firmware_report(const SimGuest& g, const sw::attest::ReportData& rd) {
  const psp::SimulatedChip& chip = rp_chip();
  const psp::ChipProduct& p = chip.product();
  psp::AttestationReport r;
  r.version = 3;
  r.guest_svn = 0;
  r.policy = g.policy;
  r.vmpl = g.vmpl;
  r.signature_algo = psp::kSigAlgoEcdsaP384Sha384;
  r.current_tcb = r.reported_tcb = r.committed_tcb = r.launch_tcb = g.tcb.encode(p.layout);
  r.platform_info = 1;  // SMT_EN
  r.key_info = g.key_info;
  r.report_data = rd;
  r.measurement = g.measurement;
  r.report_id.fill(g.report_id_seed);
  r.report_id_ma.fill(0xFF);
  r.cpuid_fam_id = p.cpuid_family;
  r.cpuid_mod_id = p.cpuid_model;
  r.cpuid_step = p.cpuid_stepping;
  r.chip_id = chip.chip_id();
  r.current_major = r.committed_major = 1;
  r.current_minor = r.committed_minor = 55;
  r.current_build = r.committed_build = 21;
  Bytes out = r.serialize();
  psp::sign_report(out, chip.vcek_key(g.tcb).get());
  return out;
}

using CertEntries = std::vector<psp::snp::CertEntry>;

inline CertEntries host_cert_entries(const psp::TcbVersion& tcb, bool with_ark = true) {
  const psp::SimulatedChip& chip = rp_chip();
  CertEntries t = {{psp::snp::cert_guid_vcek(), psp::certificate_der(chip.vcek_cert(tcb).get())},
                   {psp::snp::cert_guid_ask(), psp::certificate_der(chip.ask())}};
  if (with_ark) t.push_back({psp::snp::cert_guid_ark(), psp::certificate_der(chip.ark())});
  return t;
}
// The extended report's certificate table as the host serves it.
inline Bytes host_cert_table(const psp::TcbVersion& tcb, bool with_ark = true) {
  return psp::snp::cert_table_build(host_cert_entries(tcb, with_ark));
}
// A table from the evidence, to edit in tests.
inline CertEntries entries_of(ByteSpan table) {
  auto t = psp::snp::cert_table_parse(table);
  CBIT_ASSERT(t.has_value());
  return *t;
}

inline sw::guest::GetReportFn report_source(SimGuest g) {
  const Bytes table = host_cert_table(g.tcb, g.with_ark);  // the host's, fixed
  return [g, table](const sw::attest::ReportData& rd) -> std::optional<sw::guest::ReportResponse> {
    return sw::guest::ReportResponse{firmware_report(g, rd), table};
  };
}

// The victim's policy: the chip's ARK, TCB at least current_tcb(), image A, VMPL 0.
inline sw::owner::SnpRpPolicy rp_policy() {
  sw::owner::SnpRpPolicy p;
  p.trusted_ark.reset(X509_dup(const_cast<X509*>(rp_chip().ark())));
  p.min_tcb = current_tcb();
  p.expected_measurement = image_a();
  return p;
}

}  // namespace cbit::testutil
