// CPU-model presets: the CPUID values real EPYC parts report and the way their memory
// controller encrypts. Every CPUID value of a preset is a register of a recorded dump of a real
// part (tests/data/cpuid/<part>.txt, which names its source; tests/unit/hw/cpu_presets_test.cc
// compares), except the BIOS settings below. Every field can be overridden
// (cbit demo --cpu genoa --set cbit=47 ...).
// CPUID Fn8000_001F layout: SPEC-FACTS.md (APM Vol. 3 E.4.17, Linux cpufeatures.h).
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
  PmcVirtualization = 20,
  RmpRead = 21,
  GuestInterceptCtl = 22,
  SegmentedRmp = 23,
  VmsaRegProt = 24,
  SmtProtection = 25,
  SecureAvic = 26,
  AllowedSevFeatures = 27,
  SvsmCommPageMsr = 28,
  NestedVirtSnpMsr = 29,
  HvInUseWrAllowed = 30,
  IbpbOnEntry = 31,
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

// BIOS settings that CPUID reports. Fn8000_001F EDX, the minimum ASID of an SEV guest without
// SEV-ES, is the BIOS option "SEV-ES ASID Space Limit" (Dell: "Minimum SEV non-ES ASID"): ASIDs
// below it are for SEV-ES and SNP guests. Every recorded dump (tests/data/cpuid/) shows the
// default, 1: no ASID for SEV-ES ("1 (the common default, all ASIDs cannot use SEV-ES)", AMD in
// AMDESE/AMDSEV#23; AMDSEV#84). The presets of parts that run SEV-ES guests model a BIOS set up
// for them (CpuModel::bios_note says which value and why); `--set min-sev-asid=1` gives the
// default back.
inline constexpr uint32_t kBiosDefaultMinSevAsid = 1;

struct CpuModel {
  std::string name;       // "naples", "rome", ...
  std::string marketing;  // "AMD EPYC 7551P (Zen 1, Naples)"
  std::string brand;      // Fn8000_0002..4: "AMD EPYC 7551P 32-Core Processor"
  uint32_t family = 0, model = 0, stepping = 0;
  unsigned maxphyaddr = 48;   // CPUID Fn8000_0008 EAX[7:0] before any reduction
  unsigned linear_bits = 48;  // CPUID Fn8000_0008 EAX[15:8]
  CpuidFn8000001F fn8000_001f;
  CipherMode cipher = CipherMode::Xex;
  // Cache geometry for the simulated last-level cache.
  uint32_t cache_lines = 32768;
  uint32_t cache_ways = 16;
  std::string source;     // the dump the CPUID values come from (tests/data/cpuid/<file>)
  std::string bios_note;  // which CPUID values are BIOS settings here, and why

  // Properties of the part and its microcode that CPUID does not report (docs/attacks-snp.md).
  //  - cachewarp_fix: the microcode keeps HWCR[INVDWBINVD] (bit 4) set, so INVD always writes
  //    dirty lines back (AMD-SB-3005, CVE-2023-20592: microcode for Zen 3 Milan; Zen 4 and later
  //    are not affected; no fix exists for Zen 1/2). Without it a hypervisor may clear the bit
  //    and INVD drops dirty lines (CacheWarp). `--set cachewarp-fix=0|1`.
  //  - ciphertext_hiding: the memory controller can return 0xFF to host reads of an SNP
  //    guest's pages (Zen 4 and later: SNP_FEATURE_INFO ECX[3]; Linux
  //    kvm-amd.ciphertext_hiding_asids). `--set ciphertext-hiding=0|1`.
  bool cachewarp_fix = true;
  bool ciphertext_hiding = false;
};

const std::vector<CpuModel>& cpu_model_presets();
// Throws InputError naming the option (`what`), the model and the known ones.
const CpuModel& cpu_model_by_name(std::string_view name, std::string_view what = "--cpu");

// One item of `--set features=...`: a CPUID Fn8000_001F EAX feature turned on or off.
struct FeatureChange {
  SevFeature bit;
  bool on;
};
// Comma-separated +name / -name (a bare name adds it), names as Linux's cpufeatures.h spells them.
// Throws InputError naming `what` and the known names for an unknown name or an empty list.
std::vector<FeatureChange> parse_feature_changes(std::string_view list, std::string_view what);

// Applies "field=value" overrides (cbit, reduction, vmpls, asids, min-sev-asid, eax, maxphyaddr,
// cipher=xe|xex, features=+sme_coherent,-sev_es, cachewarp-fix=0|1, ciphertext-hiding=0|1 ...).
// Throws InputError naming the override.
void apply_cpu_override(CpuModel& model, std::string_view assignment);

}  // namespace cbit::hw
