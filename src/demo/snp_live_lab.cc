#include "demo/snp_live_lab.h"

#include "common/error.h"
#include "demo/snp_round_trip.h"
#include "psp/certs/sim_chain.h"
#include "psp/report/attestation_report.h"
#include "sw/owner/snp_expected_measurement.h"

namespace cbit::demo {

Bytes other_ovmf_image(const Bytes& ovmf) {
  if (ovmf.size() < 0x10000) throw InputError("OVMF image too small to change");
  Bytes b = ovmf;
  b[b.size() / 2] ^= 0x01;  // inside the code volume, away from the reset vector's metadata
  return b;
}

psp::TcbVersion older_tcb(psp::TcbVersion tcb) {
  if (tcb.snp > 0)
    --tcb.snp;
  else if (tcb.bootloader > 0)
    --tcb.bootloader;
  return tcb;
}

sw::guest::GetReportFn reported_tcb_source(SnpPlatform& platform, LiveSnpGuest& guest,
                                           psp::TcbVersion tcb) {
  SnpPlatform* p = &platform;
  LiveSnpGuest* g = &guest;
  return [p, g, tcb](const sw::attest::ReportData& rd) -> std::optional<sw::guest::ReportResponse> {
    if (p->set_reported_tcb(tcb) != 0) return std::nullopt;
    auto out = g->request_report(rd).report;
    p->set_reported_tcb(std::nullopt);
    // The host serves the VCEK of the TCB it has the firmware report.
    if (out) out->cert_table = p->cert_table(tcb);
    return out;
  };
}

std::unique_ptr<LiveAttestationLab> make_live_attestation_lab(
    SnpPlatform& platform, LiveSnpGuest& guest, Bytes secret,
    std::function<psp::PkeyPtr(const char* role)> rsa_key) {
  auto l = std::make_unique<LiveAttestationLab>();
  LiveAttestationLab* raw = l.get();
  const auto expected = SnpPlatform::expected_measurement(platform.ovmf());
  SnpPlatform* p = &platform;
  l->lab.secret = std::move(secret);
  l->lab.relying_party = [p, expected] {
    return std::make_unique<sw::owner::SnpRelyingParty>(snp_rp_policy(*p, expected));
  };
  l->lab.guest = guest.report_source();

  l->other_image = std::make_unique<LiveSnpGuest>(platform, other_ovmf_image(platform.ovmf()));
  l->lab.other_image_guest = l->other_image->report_source();

  l->old_tcb = older_tcb(platform.committed_tcb());
  l->lab.old_firmware_guest = reported_tcb_source(platform, guest, l->old_tcb);

  l->lab.fresh_guest = [p, raw]() -> std::optional<attacks::LiveGuestHandle> {
    raw->fresh.push_back(std::make_unique<LiveSnpGuest>(*p));
    LiveSnpGuest* f = raw->fresh.back().get();
    attacks::LiveGuestHandle h;
    h.request = [f](const sw::attest::ReportData& rd, unsigned vmpck, uint32_t vmpl) {
      return f->request_report(rd, vmpck, vmpl);
    };
    h.host_edits_requests = [f](std::function<void(MutByteSpan)> edit) {
      f->vm().on_guest_request = std::move(edit);
    };
    h.vmpck_zero = [f](unsigned vmpck) { return f->vmpck_zero(vmpck); };
    h.svsm_zeroes_vmpck = [f](unsigned vmpck) { f->zero_vmpck(vmpck); };
    return h;
  };
  if (!rsa_key) {
    // One RSA-4096 key for the forger's ARK and ASK alike (the relying party refuses the root
    // whatever the keys): one key generation fewer, a second or so of the demo.
    auto key = std::shared_ptr<EVP_PKEY>(psp::generate_rsa4096().release(), EVP_PKEY_free);
    rsa_key = [key](const char*) {
      EVP_PKEY_up_ref(key.get());
      return psp::PkeyPtr(key.get());
    };
  }
  l->lab.attacker_rsa_key = std::move(rsa_key);
  return l;
}

}  // namespace cbit::demo
