// vCPU types a guest can be launched with, and their CPUID Fn0000_0001_EAX signatures.
// The signature lands in RDX of the initial VMSA (QEMU puts the CPUID signature there at reset,
// APM Vol 2 "Processor Initialization State"), so it changes SEV-ES and SNP launch digests.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace cbit::psp::digest {

struct VcpuType {
  std::string_view name;  // QEMU's builtin_x86_defs name (and its -vN aliases)
  uint32_t family, model, stepping;
};

// Every QEMU EPYC model name that sev-snp-measure accepts for --vcpu-type, in its order.
std::span<const VcpuType> vcpu_types();
std::optional<uint64_t> vcpu_sig_by_name(std::string_view name);

// CPUID Fn0000_0001_EAX from family/model/stepping (AMD CPUID spec #25481, "Family, Model,
// Stepping Identifiers"): family above 0xF is split into base 0xF plus extended family.
// Computed modulo 2^64 on two's-complement values, as an unbounded integer truncated to a u64
// (which is what a VMSA field holds), so out-of-range inputs give the same bits as the
// reference tool rather than an error.
uint64_t cpu_sig(int64_t family, int64_t model, int64_t stepping);

}  // namespace cbit::psp::digest
