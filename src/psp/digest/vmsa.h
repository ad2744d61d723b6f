// The initial VMSA (SEV-ES save area, APM Vol 2 Table B-4; Linux struct sev_es_save_area) that
// a VMM hands to LAUNCH_UPDATE_VMSA for each vCPU. Its bytes feed the SEV-ES and SNP launch
// digests, so every field the VMM sets matters: reset-state segments, CR0/CR4/EFER as KVM sets
// them, RDX = CPUID signature (QEMU) and the SEV_FEATURES the guest asked for.
#pragma once
#include <array>
#include <cstdint>
#include <iosfwd>
#include <string_view>

namespace cbit::psp::digest {

enum class VmmType { Qemu, Ec2, Gce };
const char* vmm_type_name(VmmType t);  // "QEMU", "ec2", "gce" (sev-snp-measure's spelling)
// vmm_type_name(t), also gtest's print of a VmmType in every file (see launch_plan.h).
std::ostream& operator<<(std::ostream& os, VmmType t);

constexpr size_t kVmsaSize = 4096;
using VmsaPage = std::array<uint8_t, kVmsaSize>;

// Byte offsets inside the save area (APM Vol 2 Table B-4; SPEC-FACTS "SEV-ES, GHCB").
namespace vmsa_off {
constexpr size_t kEs = 0x000, kCs = 0x010, kSs = 0x020, kDs = 0x030, kFs = 0x040, kGs = 0x050;
constexpr size_t kGdtr = 0x060, kLdtr = 0x070, kIdtr = 0x080, kTr = 0x090;
constexpr size_t kEfer = 0x0D0, kCr4 = 0x148, kCr0 = 0x158, kDr7 = 0x160, kDr6 = 0x168;
constexpr size_t kRflags = 0x170, kRip = 0x178, kRsp = 0x1D8, kRax = 0x1F8;
constexpr size_t kGPat = 0x268, kRdx = 0x310, kSevFeatures = 0x3B0, kXcr0 = 0x3E8;
constexpr size_t kMxcsr = 0x408, kX87Fcw = 0x410;
// A segment register: u16 selector, u16 attributes, u32 limit, u64 base.
constexpr size_t kSegSelector = 0, kSegAttrib = 2, kSegLimit = 4, kSegBase = 8;
}  // namespace vmsa_off

// The reset-vector EIP of the bootstrap processor.
constexpr uint32_t kBspEip = 0xFFFFFFF0;

// One vCPU's initial save area. `eip` is the reset address (BSP: 0xFFFFFFF0; APs: OVMF's
// SEV-ES reset block), `sev_features` the VMSA SEV_FEATURES (0 for SEV-ES; guest features
// for SNP), `vcpu_sig` the CPUID signature (only QEMU puts it in RDX).
VmsaPage build_vmsa(uint32_t eip, uint64_t sev_features, uint64_t vcpu_sig, VmmType vmm);

}  // namespace cbit::psp::digest
