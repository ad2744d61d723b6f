#include "tools/host/bits.h"

#include <fmt/format.h>

#include <algorithm>

namespace cbit::tools::host {

const std::vector<BitInfo>& cpuid_8000001f_eax_bits() {
  // SPEC-FACTS.md "CPUID Fn8000_001F".
  static const std::vector<BitInfo> t = {
      {0, "SME", "Secure Memory Encryption supported"},
      {1, "SEV", "Secure Encrypted Virtualization supported"},
      {2, "VM_PAGE_FLUSH MSR", "page flush MSR available"},
      {3, "SEV-ES", "SEV Encrypted State supported"},
      {4, "SNP", "SEV Secure Nested Paging supported"},
      {5, "VMPL", "VM Permission Levels supported"},
      {6, "RMPQUERY", "RMPQUERY instruction supported"},
      {7, "VMPL supervisor shadow stack", "VMPL supervisor shadow stack supported"},
      {8, "SecureTSC", "Secure TSC supported"},
      {9, "TSC_AUX virtualization", "TSC_AUX virtualization supported"},
      {10, "SME_COHERENT", "hardware cache coherency across encryption domains"},
      {11, "requires 64-bit hypervisor", "SEV guests require a 64-bit hypervisor"},
      {12, "RestrictedInjection", "restricted injection supported"},
      {13, "AlternateInjection", "alternate injection supported"},
      {14, "DebugSwap", "full debug state swap supported"},
      {15, "PreventHostIBS", "disallowing IBS use by the host supported"},
      {16, "VTE", "virtual transparent encryption supported"},
      {17, "VMGEXIT parameter", "VMGEXIT parameter supported"},
      {18, "vTOM MSR", "virtual TOM MSR supported"},
      {19, "IBS virtualization", "IBS virtualization for SEV-ES guests supported"},
      {20, "PMC virtualization", "PMC virtualization for SEV-ES guests supported"},
      {21, "RMPREAD", "RMPREAD instruction supported"},
      {22, "GuestInterceptCtl", "guest intercept control supported"},
      {23, "segmented RMP", "segmented RMP supported"},
      {24, "VMSA register protection", "VMSA register protection supported"},
      {25, "SMT protection", "SMT protection supported"},
      {26, "SecureAVIC", "Secure AVIC supported"},
      {27, "AllowedSevFeatures", "allowed SEV features checked at VMRUN"},
      {28, "SVSM comm-page MSR", "SVSM communication page MSR supported"},
      {29, "NestedVirtSnpMsr", "VIRT_RMPUPDATE/VIRT_PSMASH MSRs supported"},
      {30, "HvInUseWrAllowed", "writes to in-use hypervisor-owned pages allowed"},
      {31, "IbpbOnEntry", "IBPB on VM entry supported"},
  };
  return t;
}

const std::vector<BitInfo>& syscfg_bits() {
  // SPEC-FACTS.md "MSRs" (19, 23, 24, 25); 18/21/22 from Linux (K8_MTRRFIXRANGE_DRAM_ENABLE,
  // Tom2Enabled, Tom2ForceMemTypeWB in the MTRR code); 20 from the APM.
  static const std::vector<BitInfo> t = {
      {18, "MtrrFixDramEn", "fixed-range MTRR RdMem/WrMem attributes enabled"},
      {19, "MFDM (MtrrFixDramModEn)",
       "fixed-range MTRR RdMem/WrMem attributes modifiable; must be set before SNP_EN"},
      {20, "MtrrVarDramEn", "TOP_MEM and variable-range DRAM decoding enabled"},
      {21, "MtrrTom2En", "TOP_MEM2 enabled (memory above 4 GiB)"},
      {22, "Tom2ForceMemTypeWB", "memory between 4 GiB and TOP_MEM2 is write-back"},
      {23, "MemEncryptionModEn",
       "memory encryption (SME/SEV) enabled by firmware/BIOS; the OS never sets it"},
      {24, "SNP_EN", "SEV-SNP enabled (RMP checks active)"},
      {25, "SNP_VMPL_EN", "VM Permission Levels enabled"},
  };
  return t;
}

const std::vector<BitInfo>& sev_status_bits() {
  // SPEC-FACTS.md "MSRs": SEV_STATUS bit n+2 = VMSA SEV_FEATURES bit n.
  static const std::vector<BitInfo> t = {
      {0, "SEV", "guest memory is encrypted (SEV active)"},
      {1, "SEV-ES", "guest register state is encrypted (SEV-ES active)"},
      {2, "SNP", "SEV-SNP active"},
      {3, "vTOM", "virtual TOM in use"},
      {4, "ReflectVC", "#VC reflected to the hypervisor"},
      {5, "RestrictedInjection", "restricted injection"},
      {6, "AlternateInjection", "alternate injection"},
      {7, "DebugSwap", "debug register swap"},
      {8, "PreventHostIBS", "host IBS prevented"},
      {9, "BTB isolation", "branch target buffer isolation"},
      {10, "VMPL_SSS", "VMPL supervisor shadow stack"},
      {11, "SecureTSC", "Secure TSC"},
      {12, "VMGEXIT parameter", "VMGEXIT parameter"},
      {14, "IBS virt", "IBS virtualization"},
      {16, "VMSA register protection", "VMSA register protection"},
      {17, "SMT protection", "SMT protection"},
  };
  return t;
}

std::vector<std::string> decode_bits(uint64_t value, const std::vector<BitInfo>& table, int width) {
  std::vector<std::string> out;
  for (const auto& b : table)
    out.push_back(
        fmt::format("bit {:2} {} = {}: {}", b.bit, b.name, bit(value, b.bit) ? 1 : 0, b.meaning));
  for (int i = 0; i < width; ++i) {
    if (!bit(value, i)) continue;
    if (std::any_of(table.begin(), table.end(), [&](const BitInfo& b) { return b.bit == i; }))
      continue;
    out.push_back(fmt::format("bit {:2} = 1: not decoded by cbit", i));
  }
  return out;
}

}  // namespace cbit::tools::host
