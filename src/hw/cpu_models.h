// CPU-model presets: the values a part reports and the way its memory controller encrypts.
// CPUID Fn8000_001F layout: SPEC-FACTS.md (Linux cpuid.csv, cpufeatures.h). Every field can be
// overridden (cbit demo --cpu genoa --set cbit=47 ...).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hw/memctrl/aes_engine.h"

namespace cbit::hw {

// CPUID Fn8000_001F EAX feature bits.
enum class SevFeature : uint32_t {
  Sme = 0,
  Sev = 1,
  VmPageFlush = 2,
  SevEs = 3,
  SevSnp = 4,
  Vmpl = 5,
  RmpQuery = 6,
  VmplSss = 7,
  SecureTsc = 8,
  TscAuxVirtualization = 9,
  SmeCoherent = 10,
  Req64BitHypervisor = 11,
  RestrictedInjection = 12,
  AlternateInjection = 13,
  DebugSwap = 14,
  PreventHostIbs = 15,
  Vte = 16,
  VmgexitParameter = 17,
  VirtualTomMsr = 18,
  IbsVirtualization = 19,
  RmpRead = 21,
  SegmentedRmp = 23,
  VmsaRegProt = 24,
  SmtProtection = 25,
  SvsmCommPageMsr = 28,
};

struct CpuidFn8000001F {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool has(SevFeature f) const { return eax >> static_cast<uint32_t>(f) & 1; }
  unsigned cbit_position() const { return ebx & 0x3f; }               // EBX[5:0]
  unsigned phys_addr_reduction() const { return (ebx >> 6) & 0x3f; }  // EBX[11:6]
  unsigned num_vmpls() const { return (ebx >> 12) & 0xf; }            // EBX[15:12]
  uint32_t num_encrypted_guests() const { return ecx; }
  uint32_t min_sev_asid() const { return edx; }
};

struct CpuModel {
  std::string name;       // "naples", "rome", ...
  std::string marketing;  // "AMD EPYC 7601 (Zen 1, Naples)"
  uint32_t family = 0, model = 0, stepping = 0;
  unsigned maxphyaddr = 48;  // CPUID Fn8000_0008 EAX[7:0] before any reduction
  CpuidFn8000001F fn8000_001f;
  CipherMode cipher = CipherMode::Xex;
  // Cache geometry for the simulated last-level cache.
  uint32_t cache_lines = 32768;
  uint32_t cache_ways = 16;
};

const std::vector<CpuModel>& cpu_model_presets();
// Throws InputError naming the model and the known ones.
const CpuModel& cpu_model_by_name(std::string_view name);

// Applies "field=value" overrides (cbit, reduction, vmpls, asids, min-sev-asid, eax, maxphyaddr,
// cipher=xe|xex, features=+sme_coherent,-sev_es ...). Throws InputError naming the override.
void apply_cpu_override(CpuModel& model, std::string_view assignment);

}  // namespace cbit::hw
