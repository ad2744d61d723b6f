// Confidential-computing attributes, as Linux's include/linux/cc_platform.h names them.
#pragma once
#include <string_view>

namespace cbit::sw {

enum class CcAttr {
  MemEncrypt,         // CC_ATTR_MEM_ENCRYPT: memory encryption is active (host or guest)
  HostMemEncrypt,     // CC_ATTR_HOST_MEM_ENCRYPT: SME is active
  GuestMemEncrypt,    // CC_ATTR_GUEST_MEM_ENCRYPT: SEV guest
  GuestStateEncrypt,  // CC_ATTR_GUEST_STATE_ENCRYPT: SEV-ES guest
  GuestSevSnp,        // CC_ATTR_GUEST_SEV_SNP
  HostSevSnp,         // CC_ATTR_HOST_SEV_SNP
};

constexpr std::string_view cc_attr_name(CcAttr a) {
  switch (a) {
    case CcAttr::MemEncrypt:
      return "CC_ATTR_MEM_ENCRYPT";
    case CcAttr::HostMemEncrypt:
      return "CC_ATTR_HOST_MEM_ENCRYPT";
    case CcAttr::GuestMemEncrypt:
      return "CC_ATTR_GUEST_MEM_ENCRYPT";
    case CcAttr::GuestStateEncrypt:
      return "CC_ATTR_GUEST_STATE_ENCRYPT";
    case CcAttr::GuestSevSnp:
      return "CC_ATTR_GUEST_SEV_SNP";
    case CcAttr::HostSevSnp:
      return "CC_ATTR_HOST_SEV_SNP";
  }
  return "?";
}

}  // namespace cbit::sw
