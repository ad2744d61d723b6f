// The stand-in for AMD's Key Distribution Service (KDS) for a simulated machine: what the host
// (the hypervisor's administrator, `cbit`, a relying party) fetches to verify a report from the
// simulated firmware: the VCEK certificate for this chip at a TCB, and the product's ASK and ARK
// (SNP-FACTS.md §4 "KDS": /vcek/v1/{product}/{hwid}?blSPL=..., /vcek/v1/{product}/cert_chain).
//
// It lives outside the Secure Processor and takes nothing from it: AMD keeps each chip's fused
// secret and CHIP_ID from manufacturing, and for a cbit machine those are the first draws of the
// Secure Processor's seeded RNG under SevFirmware::kChipIdLabel and kSnpChipSecretLabel, so AMD's
// records of a machine built with seed S are those draws of a generator seeded with S. A machine
// without a seed drew its fuses from the OS RNG: no record exists and the KDS knows no such chip
// (nullopt, as the real KDS answers 404 for a chip it does not know). The certificate is for
// the key the firmware derives (psp/snp/vcek.h), from an ARK and ASK that say "simulated, not
// AMD" (psp/certs/sim_chain.h).
#pragma once
#include <cstdint>
#include <optional>

#include "psp/certs/sim_chip.h"

namespace cbit::hw {
struct CpuModel;
}

namespace cbit::hw::psp::sev {

// The product of a part by its CPUID family and model (Milan: 19h models 00h-0Fh; Genoa: 19h
// 10h-1Fh and A0h-AFh; Turin: 1Ah); nullptr for a part without SNP attestation.
const ::cbit::psp::ChipProduct* sim_kds_product(const CpuModel& cpu);

// The KDS's view of the chip in a machine seeded with `machine_seed` and built on `cpu`, with
// the product's ARK and ASK keys (RSA-4096; load_or_generate_rsa4096 caches them). nullopt for
// an unseeded machine or a part without a product. The chip's vcek_cert(tcb) is what
// /vcek/v1/{product}/{hwid}?...SPL= returns; ask() and ark() what cert_chain returns.
std::optional<::cbit::psp::SimulatedChip> sim_kds_chip(std::optional<uint64_t> machine_seed,
                                                       const CpuModel& cpu,
                                                       ::cbit::psp::PkeyPtr ark_key,
                                                       ::cbit::psp::PkeyPtr ask_key);

}  // namespace cbit::hw::psp::sev
