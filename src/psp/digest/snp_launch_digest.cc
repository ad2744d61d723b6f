#include "psp/digest/snp_launch_digest.h"

#include <algorithm>

#include "common/error.h"

namespace cbit::psp::digest {

const char* page_type_name(PageType t) {
  switch (t) {
    case PageType::Normal:
      return "NORMAL";
    case PageType::Vmsa:
      return "VMSA";
    case PageType::Zero:
      return "ZERO";
    case PageType::Unmeasured:
      return "UNMEASURED";
    case PageType::Secrets:
      return "SECRETS";
    case PageType::Cpuid:
      return "CPUID";
  }
  return "?";
}

PageInfo make_page_info(const crypto::Sha384Digest& prev, const crypto::Sha384Digest& contents,
                        const PageInfoFields& f) {
  PageInfo p{};
  std::copy(prev.begin(), prev.end(), p.begin());
  std::copy(contents.begin(), contents.end(), p.begin() + 0x30);
  store_le<uint16_t>(p.data() + 0x60, uint16_t(kPageInfoSize));
  p[0x62] = static_cast<uint8_t>(f.type);
  p[0x63] = f.imi ? 1 : 0;
  p[0x64] = f.vmpl3_perms;
  p[0x65] = f.vmpl2_perms;
  p[0x66] = f.vmpl1_perms;
  p[0x67] = 0;
  store_le<uint64_t>(p.data() + 0x68, f.gpa);
  return p;
}

void SnpLaunchDigest::update(const crypto::Sha384Digest& contents, const PageInfoFields& f) {
  const PageInfo info = make_page_info(ld_, contents, f);
  ld_ = hasher_.sha384(info);
}

void SnpLaunchDigest::update_page(PageType type, uint64_t gpa, ByteSpan page) {
  if (page_type_measures_contents(type)) {
    CBIT_ASSERT(page.size() == 4096);
    update(hasher_.sha384(page), {type, gpa});
  } else {
    update({}, {type, gpa});
  }
}

}  // namespace cbit::psp::digest
