#include "psp/digest/vmsa.h"

#include <ostream>

#include "common/bytes.h"

namespace cbit::psp::digest {

const char* vmm_type_name(VmmType t) {
  switch (t) {
    case VmmType::Qemu:
      return "QEMU";
    case VmmType::Ec2:
      return "ec2";
    case VmmType::Gce:
      return "gce";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, VmmType t) { return os << vmm_type_name(t); }

namespace {
void put_seg(VmsaPage& p, size_t off, uint16_t selector, uint16_t attrib, uint32_t limit,
             uint64_t base) {
  using namespace vmsa_off;
  store_le(p.data() + off + kSegSelector, selector);
  store_le(p.data() + off + kSegAttrib, attrib);
  store_le(p.data() + off + kSegLimit, limit);
  store_le(p.data() + off + kSegBase, base);
}
}  // namespace

VmsaPage build_vmsa(uint32_t eip, uint64_t sev_features, uint64_t vcpu_sig, VmmType vmm) {
  using namespace vmsa_off;
  // Where the hypervisors differ in the reset state they program (as measured on each):
  // segment attribute bytes, RDX (QEMU: CPUID signature; ec2/gce: 0x600, family 6), the
  // x87/SSE control words (QEMU sets the FNINIT/reset values, ec2/gce leave 0), and PAT (gce).
  uint16_t cs_attr = 0x9b, ss_attr = 0x93, tr_attr = 0x8b;
  uint64_t g_pat = 0x0007040600070406;  // PAT reset value (APM Vol 2 A.3)
  uint64_t rdx = vcpu_sig;
  uint32_t mxcsr = 0x1f80;
  uint16_t fcw = 0x37f;
  switch (vmm) {
    case VmmType::Qemu:
      break;
    case VmmType::Ec2:
      if (eip == kBspEip) cs_attr = 0x9a;
      ss_attr = 0x92;
      tr_attr = 0x83;
      rdx = 0x600;
      mxcsr = 0;
      fcw = 0;
      break;
    case VmmType::Gce:
      g_pat = 0x00070106;
      rdx = 0x600;
      mxcsr = 0;
      fcw = 0;
      break;
  }
  VmsaPage p{};
  put_seg(p, kEs, 0, 0x93, 0xffff, 0);
  // Real-mode CS: selector 0xF000 and the base holding the upper bits of the reset address.
  put_seg(p, kCs, 0xf000, cs_attr, 0xffff, eip & 0xffff0000u);
  put_seg(p, kSs, 0, ss_attr, 0xffff, 0);
  put_seg(p, kDs, 0, 0x93, 0xffff, 0);
  put_seg(p, kFs, 0, 0x93, 0xffff, 0);
  put_seg(p, kGs, 0, 0x93, 0xffff, 0);
  put_seg(p, kGdtr, 0, 0, 0xffff, 0);
  put_seg(p, kIdtr, 0, 0, 0xffff, 0);
  put_seg(p, kLdtr, 0, 0x82, 0xffff, 0);
  put_seg(p, kTr, 0, tr_attr, 0xffff, 0);
  store_le<uint64_t>(p.data() + kEfer, 0x1000);  // EFER.SVME, set by KVM
  store_le<uint64_t>(p.data() + kCr4, 0x40);     // CR4.MCE, set by KVM
  store_le<uint64_t>(p.data() + kCr0, 0x10);     // CR0.ET
  store_le<uint64_t>(p.data() + kDr7, 0x400);
  store_le<uint64_t>(p.data() + kDr6, 0xffff0ff0);
  store_le<uint64_t>(p.data() + kRflags, 0x2);
  store_le<uint64_t>(p.data() + kRip, eip & 0xffff);
  store_le<uint64_t>(p.data() + kGPat, g_pat);
  store_le<uint64_t>(p.data() + kRdx, rdx);
  store_le<uint64_t>(p.data() + kSevFeatures, sev_features);
  store_le<uint64_t>(p.data() + kXcr0, 0x1);
  store_le<uint32_t>(p.data() + kMxcsr, mxcsr);
  store_le<uint16_t>(p.data() + kX87Fcw, fcw);
  return p;
}

}  // namespace cbit::psp::digest
