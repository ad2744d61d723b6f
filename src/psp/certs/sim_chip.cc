#include "psp/certs/sim_chip.h"

#include <algorithm>

#include "psp/snp/vcek.h"

namespace cbit::psp {

SimulatedChip::SimulatedChip(const ChipProduct& product, std::array<uint8_t, 64> chip_id,
                             std::array<uint8_t, 48> chip_secret, PkeyPtr ark_key, PkeyPtr ask_key)
    : product_(product),
      chip_id_(chip_id),
      chip_secret_(chip_secret),
      ark_key_(std::move(ark_key)),
      ask_key_(std::move(ask_key)) {
  if (product_.layout == TcbLayout::Turin) std::fill(chip_id_.begin() + 8, chip_id_.end(), 0);
  ark_ = make_ark_cert(ark_key_.get(), product_);
  ask_ = make_ask_cert(ask_key_.get(), ark_.get(), ark_key_.get(), product_);
}

PkeyPtr SimulatedChip::vcek_key(const TcbVersion& tcb) const {
  // The KDS knows the chip secret itself, so it derives from the top of every component.
  const auto sticks = snp::VcekHashsticks::from_chip_secret(chip_secret_, ~uint64_t{0});
  const auto stick = sticks.derive(tcb.encode(product_.layout));
  ossl_check(stick.has_value(), "VCEK hashstick");
  return snp::snp_key_from_hashstick(*stick);
}

X509Ptr SimulatedChip::vcek_cert(const TcbVersion& tcb) const {
  return vcek_cert(tcb, vcek_extensions_for(product_, tcb, chip_id_));
}

X509Ptr SimulatedChip::vcek_cert(const TcbVersion& key_tcb, const VcekExtensions& ext) const {
  PkeyPtr key = vcek_key(key_tcb);
  return make_vcek_cert(key.get(), ask_.get(), ask_key_.get(), ext, product_);
}

}  // namespace cbit::psp
