// What a VMM hands the Secure Processor, in order, to launch OVMF (QEMU's sev_launch_update
// path as sev-snp-measure predicts it, and ec2/gce's variants): the firmware pages, the pages
// the SEV metadata names (zero / unmeasured / secrets / CPUID / kernel hashes), and one VMSA
// per vCPU. The same plan drives the offline predictor (tools/measure) and the simulated
// VMM feeding cbit's Secure Processor, so both compute the same digest by construction.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "psp/digest/ovmf.h"
#include "psp/digest/sev_hashes.h"
#include "psp/digest/snp_launch_digest.h"
#include "psp/digest/vmsa.h"

namespace cbit::psp::digest {

enum class SevMode { Sev, SevEs, Snp };
const char* sev_mode_name(SevMode m);  // "SEV", "SEV_ES", "SEV_SNP"
// sev_mode_name(m): also what gtest prints for a SevMode, the same in every file that sees the
// enum (a printer declared in one test file only would make gtest's printers differ: ODR).
std::ostream& operator<<(std::ostream& os, SevMode m);

struct LaunchConfig {
  SevMode mode = SevMode::Snp;
  uint64_t vcpus = 1;
  uint64_t vcpu_sig = 0;
  VmmType vmm = VmmType::Qemu;
  uint64_t guest_features = 0x1;                 // SNP VMSA SEV_FEATURES (bit 0 SNPActive)
  std::optional<SevHashes> hashes;               // measured direct boot
  std::optional<crypto::Sha384Digest> snp_seed;  // SNP: start from a precomputed OVMF digest
};

struct LaunchStep {
  enum class Source { Firmware, MetadataSection, KernelHashes, Vmsa };
  Source source = Source::Firmware;
  std::string label;  // e.g. "OVMF image", "SEV metadata section 2 (SNP_SECRETS)"
  PageType page_type = PageType::Normal;  // SNP page type (SEV: NORMAL or VMSA)
  uint64_t gpa = 0;                       // first page's GPA (SNP)
  uint64_t pages = 1;   // SNP: number of 4 KiB pages; repeated VMSAs: number of vCPUs
  ByteSpan data;        // bytes measured: whole firmware, hashes page/table, one VMSA
  bool repeat = false;  // every page measures the same `data` at the same GPA (VMSA)
  int section = -1;     // SEV metadata section index, where the step comes from one
  uint64_t first_vcpu = 0;
};

struct LaunchPlan {
  SevMode mode = SevMode::Snp;
  std::vector<LaunchStep> steps;
  std::vector<std::shared_ptr<const Bytes>> buffers;  // owns what steps point at beyond the OVMF
  std::optional<crypto::Sha384Digest> snp_seed;
  uint32_t ap_eip = 0;
};

// Builds the plan, refusing (InputError naming the firmware) exactly where sev-snp-measure
// refuses: no SEV-ES reset block, kernel hashes without a hashes table / SNP_KERNEL_HASHES
// section, sizes that are not whole pages, unknown section types. `ovmf` must outlive the plan.
LaunchPlan plan_launch(const Ovmf& ovmf, const LaunchConfig& cfg);

}  // namespace cbit::psp::digest
