#include "psp/certs/sim_chip.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "psp/snp/vcek.h"
#include "psp/snp/vlek.h"

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

Bytes SimulatedChip::vlek_wrapped(const TcbVersion& tcb, ByteSpan csp_secret, ByteSpan iv) const {
  const uint64_t raw = tcb.encode(product_.layout);
  const auto vcek = snp::VcekHashsticks::from_chip_secret(chip_secret_, ~uint64_t{0}).derive(raw);
  ossl_check(vcek.has_value(), "VCEK hashstick");
  auto sticks = snp::snp_hashstick_chain(csp_secret, raw);
  Bytes w = snp::snp_vlek_wrap(*vcek, raw, sticks, iv);
  OPENSSL_cleanse(sticks.data(), sizeof(sticks));
  return w;
}

PkeyPtr SimulatedChip::vlek_key(const TcbVersion& tcb, ByteSpan csp_secret) const {
  auto sticks = snp::snp_hashstick_chain(csp_secret, tcb.encode(product_.layout));
  PkeyPtr k = snp::snp_key_from_hashstick(sticks[7], snp::kVlekLabel);
  OPENSSL_cleanse(sticks.data(), sizeof(sticks));
  return k;
}

}  // namespace cbit::psp
