// The SNP firmware's TCB values and its VCEK (AMD-ASPFW sev_plat.c get_running_tcb,
// get_committed_tcb, get_reported_tcb, vcek_hash_derive, vcek_derive; SNP-FACTS.md §4).
//
// The chip secret is drawn once from the Secure Processor's RNG (kSnpChipSecretLabel, as the
// CHIP_ID is) and stands for the fuses: only the "boot" step reads it, turning it into the
// hashsticks of the TCB the part booted (the component-wise maximum of the running and the
// committed TCB: what the boot ROM and the bootloader hand the firmware on a real part). Every
// derivation starts from those sticks, so the firmware derives the VCEK of that TCB or any older
// one but never of a newer one (psp/snp/vcek.h). The VCEK signs for REPORTED_TCB.
#include <openssl/crypto.h>

#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

using ::cbit::psp::TcbVersion;

TcbVersion SevFirmware::snp_current_tcb() const {
  TcbVersion t = committed_tcb_;
  t.snp = snp_tcb_.tcb.snp;
  t.microcode = snp_tcb_.tcb.microcode;
  return t;
}

TcbVersion SevFirmware::snp_reported_tcb() const {
  return reported_tcb_set_ ? reported_tcb_ : committed_tcb_;
}

std::optional<::cbit::psp::snp::Hashstick> SevFirmware::snp_vcek_hashstick(uint64_t tcb_raw) {
  if (!chip_secret_drawn_) {
    sp_.rng_.generate(kSnpChipSecretLabel, chip_secret_);
    chip_secret_drawn_ = true;
  }
  if (!vcek_sticks_) {
    const uint64_t running = snp_tcb_.tcb.encode(snp_tcb_.layout);
    const uint64_t committed = committed_tcb_.encode(snp_tcb_.layout);
    uint64_t top = 0;
    for (unsigned i = 0; i < 8; ++i)
      top |= std::max((running >> (8 * i)) & 0xFF, (committed >> (8 * i)) & 0xFF) << (8 * i);
    vcek_sticks_.emplace(::cbit::psp::snp::VcekHashsticks::from_chip_secret(chip_secret_, top));
  }
  return vcek_sticks_->derive(tcb_raw);
}

EVP_PKEY* SevFirmware::snp_vcek_key() {
  const uint64_t tcb = snp_reported_tcb().encode(snp_tcb_.layout);
  if (!vcek_key_ || vcek_key_tcb_ != tcb) {
    auto stick = snp_vcek_hashstick(tcb);
    if (!stick) return nullptr;
    vcek_key_ = ::cbit::psp::snp::snp_key_from_hashstick(*stick);
    vcek_key_tcb_ = tcb;
    OPENSSL_cleanse(stick->data(), stick->size());
  }
  return vcek_key_.get();
}

bool SevFirmware::snp_key_sel_invalid(const SnpGuestContext& g, uint32_t key_sel) const {
  switch (key_sel) {
    case 0:
      return g.vcek_disabled && !snp_vlek_loaded();
    case 1:
      return g.vcek_disabled;
    case 2:
      return !snp_vlek_loaded();
    default:
      return true;
  }
}

}  // namespace cbit::hw::psp::sev
