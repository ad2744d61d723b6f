#include "hw/psp/sev/sim_kds.h"

#include <openssl/crypto.h>

#include "crypto/drbg.h"
#include "hw/cpu_models.h"
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

const ::cbit::psp::ChipProduct* sim_kds_product(const CpuModel& cpu) {
  if (cpu.family == 0x19 && cpu.model <= 0x0F) return &::cbit::psp::chip_product("milan");
  if (cpu.family == 0x19 &&
      ((cpu.model >= 0x10 && cpu.model <= 0x1F) || (cpu.model >= 0xA0 && cpu.model <= 0xAF)))
    return &::cbit::psp::chip_product("genoa");
  if (cpu.family == 0x1A) return &::cbit::psp::chip_product("turin");
  return nullptr;
}

std::optional<::cbit::psp::SimulatedChip> sim_kds_chip(std::optional<uint64_t> machine_seed,
                                                       const CpuModel& cpu,
                                                       ::cbit::psp::PkeyPtr ark_key,
                                                       ::cbit::psp::PkeyPtr ask_key) {
  const ::cbit::psp::ChipProduct* product = sim_kds_product(cpu);
  if (!machine_seed || !product) return std::nullopt;
  crypto::Drbg records(machine_seed);  // AMD's manufacturing records of this chip
  Bytes id(kGetIdLen);
  records.generate(SevFirmware::kChipIdLabel, id);
  std::array<uint8_t, 64> chip_id{};
  std::copy_n(id.begin(), chip_id.size(), chip_id.begin());
  std::array<uint8_t, ::cbit::psp::snp::kChipSecretSize> secret{};
  records.generate(SevFirmware::kSnpChipSecretLabel, secret);
  std::optional<::cbit::psp::SimulatedChip> chip;
  chip.emplace(*product, chip_id, secret, std::move(ark_key), std::move(ask_key));
  OPENSSL_cleanse(secret.data(), secret.size());
  return chip;
}

}  // namespace cbit::hw::psp::sev
