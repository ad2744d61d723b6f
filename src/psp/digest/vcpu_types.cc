#include "psp/digest/vcpu_types.h"

#include <array>

namespace cbit::psp::digest {

namespace {
// Family 17h = Zen/Zen2 (Naples 1/2, Rome 31h/0), 19h = Zen3/Zen4 (Milan 1/1, Genoa 11h/0),
// 1Ah = Zen5 (Turin 0/0): the CPU models QEMU defines.
constexpr std::array<VcpuType, 16> kTypes{{
    {"EPYC", 23, 1, 2},
    {"EPYC-v1", 23, 1, 2},
    {"EPYC-v2", 23, 1, 2},
    {"EPYC-IBPB", 23, 1, 2},
    {"EPYC-v3", 23, 1, 2},
    {"EPYC-v4", 23, 1, 2},
    {"EPYC-Rome", 23, 49, 0},
    {"EPYC-Rome-v1", 23, 49, 0},
    {"EPYC-Rome-v2", 23, 49, 0},
    {"EPYC-Rome-v3", 23, 49, 0},
    {"EPYC-Milan", 25, 1, 1},
    {"EPYC-Milan-v1", 25, 1, 1},
    {"EPYC-Milan-v2", 25, 1, 1},
    {"EPYC-Genoa", 25, 17, 0},
    {"EPYC-Genoa-v1", 25, 17, 0},
    {"EPYC-Turin", 26, 0, 0},
}};
}  // namespace

std::span<const VcpuType> vcpu_types() { return kTypes; }

std::optional<uint64_t> vcpu_sig_by_name(std::string_view name) {
  for (const auto& t : kTypes)
    if (t.name == name) return cpu_sig(t.family, t.model, t.stepping);
  return std::nullopt;
}

uint64_t cpu_sig(int64_t family, int64_t model, int64_t stepping) {
  // Unsigned arithmetic: shifts and ORs of two's-complement bit patterns, modulo 2^64.
  uint64_t family_low, family_high;
  if (family > 0xf) {
    family_low = 0xf;
    family_high = (static_cast<uint64_t>(family) - 0xf) & 0xff;
  } else {
    family_low = static_cast<uint64_t>(family);
    family_high = 0;
  }
  const uint64_t m = static_cast<uint64_t>(model);
  const uint64_t model_low = m & 0xf;
  const uint64_t model_high = (static_cast<uint64_t>(model >> 4)) & 0xf;
  const uint64_t stepping_low = static_cast<uint64_t>(stepping) & 0xf;
  return (family_high << 20) | (model_high << 16) | (family_low << 8) | (model_low << 4) |
         stepping_low;
}

}  // namespace cbit::psp::digest
