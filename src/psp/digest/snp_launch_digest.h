// The SEV-SNP launch digest (SNP ABI 8.17.2, "Measurement"): the Secure Processor folds every
// page given to SNP_LAUNCH_UPDATE into a SHA-384 chain, LD = SHA-384(PAGE_INFO), where
// PAGE_INFO (Table 67, 0x70 bytes) = LD_prev(48) || contents(48) || u16 length 0x70 ||
// u8 page_type || u8 imi || u8 vmpl3_perms || u8 vmpl2_perms || u8 vmpl1_perms || u8 0 ||
// u64 GPA. contents = SHA-384 of the page for NORMAL and VMSA pages, zeros for the others.
// The final LD is the MEASUREMENT in the attestation report.
#pragma once
#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "psp/digest/page_hash.h"

namespace cbit::psp::digest {

enum class PageType : uint8_t {
  Normal = 1,
  Vmsa = 2,
  Zero = 3,
  Unmeasured = 4,
  Secrets = 5,
  Cpuid = 6,
};
const char* page_type_name(PageType t);  // "NORMAL", "VMSA", ...
// True for the types whose contents are hashed into PAGE_INFO (NORMAL, VMSA).
constexpr bool page_type_measures_contents(PageType t) {
  return t == PageType::Normal || t == PageType::Vmsa;
}

// VMSA pages are recorded with GPA (u64)-1, page-aligned and cut to 52 bits.
constexpr uint64_t kVmsaGpa = 0xFFFFFFFFF000;
constexpr size_t kPageInfoSize = 0x70;
using PageInfo = std::array<uint8_t, kPageInfoSize>;

struct PageInfoFields {
  PageType type = PageType::Normal;
  uint64_t gpa = 0;
  bool imi = false;  // page is part of an incoming migration image
  uint8_t vmpl3_perms = 0, vmpl2_perms = 0, vmpl1_perms = 0;
};
PageInfo make_page_info(const crypto::Sha384Digest& prev, const crypto::Sha384Digest& contents,
                        const PageInfoFields& f);

class SnpLaunchDigest {
 public:
  // LAUNCH_START zeroes the digest; a non-zero seed resumes a chain (e.g. a precomputed
  // firmware prefix).
  explicit SnpLaunchDigest(const crypto::Sha384Digest& seed = {}) : ld_(seed) {}

  // One page with its contents digest already computed (what the SP does per 4 KiB page).
  void update(const crypto::Sha384Digest& contents, const PageInfoFields& f);
  // One page as the SP sees it: hashes the 4 KiB `page` for NORMAL/VMSA, ignores it otherwise.
  void update_page(PageType type, uint64_t gpa, ByteSpan page);
  // Page types whose contents are not measured (ZERO, UNMEASURED, SECRETS, CPUID).
  void update_unmeasured(PageType type, uint64_t gpa) { update({}, {type, gpa}); }

  const crypto::Sha384Digest& digest() const { return ld_; }

 private:
  crypto::Sha384Digest ld_;
  PageHasher hasher_;
};

}  // namespace cbit::psp::digest
