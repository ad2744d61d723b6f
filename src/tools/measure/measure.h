// Runs a launch plan through the launch-digest models, as the Secure Processor would, and
// optionally records what every page (SNP) or block (SEV, SEV-ES) contributed for --explain.
#pragma once
#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "psp/digest/launch_plan.h"

namespace cbit::tools::measure {

struct PageRecord {  // SNP: one SNP_LAUNCH_UPDATE page
  size_t step = 0;
  uint64_t index = 0;  // page within the step
  psp::digest::PageType type = psp::digest::PageType::Normal;
  uint64_t gpa = 0;
  crypto::Sha384Digest contents{}, ld{};  // PAGE_INFO contents field, and the digest after it
};

struct BlockRecord {  // SEV / SEV-ES: one LAUNCH_UPDATE_DATA or LAUNCH_UPDATE_VMSA
  size_t step = 0;
  uint64_t index = 0;
  uint64_t length = 0;
  crypto::Sha256Digest sha256{};  // of the block's bytes (what it adds to the running hash)
};

struct Measurement {
  psp::digest::SevMode mode = psp::digest::SevMode::Snp;
  Bytes digest;  // 32 bytes (SEV, SEV-ES) or 48 (SNP)
  std::vector<PageRecord> pages;
  std::vector<BlockRecord> blocks;
};

// record: keep per-page / per-block records. threads: 0 = both cores.
Measurement measure(const psp::digest::LaunchPlan& plan, bool record, unsigned threads = 0);

// The SNP digest of the firmware pages alone (sev-snp-measure's --mode snp:ovmf-hash).
crypto::Sha384Digest snp_ovmf_hash(const psp::digest::Ovmf& ovmf, unsigned threads = 0);

}  // namespace cbit::tools::measure
