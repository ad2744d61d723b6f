#include "psp/snp/cpuid_page.h"

#include <fmt/format.h>

namespace cbit::psp::snp {

using hw::psp::sev::SevStatus;

std::optional<CpuidTable> CpuidTable::parse(ByteSpan page) {
  if (page.size() != kCpuidPageSize) return std::nullopt;
  const uint32_t count = load_le<uint32_t>(page.data());
  if (count > kCpuidCountMax) return std::nullopt;
  CpuidTable t;
  t.reserved1 = load_le<uint32_t>(page.data() + 4);
  t.reserved2 = load_le<uint64_t>(page.data() + 8);
  t.functions.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* p = page.data() + kCpuidHeaderSize + i * kCpuidEntrySize;
    CpuidFunction& f = t.functions[i];
    f.eax_in = load_le<uint32_t>(p);
    f.ecx_in = load_le<uint32_t>(p + 0x04);
    f.xcr0_in = load_le<uint64_t>(p + 0x08);
    f.xss_in = load_le<uint64_t>(p + 0x10);
    f.eax = load_le<uint32_t>(p + 0x18);
    f.ebx = load_le<uint32_t>(p + 0x1C);
    f.ecx = load_le<uint32_t>(p + 0x20);
    f.edx = load_le<uint32_t>(p + 0x24);
    f.reserved = load_le<uint64_t>(p + 0x28);
  }
  return t;
}

Bytes CpuidTable::serialize() const {
  Bytes page(kCpuidPageSize, 0);
  const size_t n = std::min<size_t>(functions.size(), kCpuidCountMax);
  store_le<uint32_t>(page.data(), static_cast<uint32_t>(n));
  store_le<uint32_t>(page.data() + 4, reserved1);
  store_le<uint64_t>(page.data() + 8, reserved2);
  for (size_t i = 0; i < n; ++i) {
    uint8_t* p = page.data() + kCpuidHeaderSize + i * kCpuidEntrySize;
    const CpuidFunction& f = functions[i];
    store_le<uint32_t>(p, f.eax_in);
    store_le<uint32_t>(p + 0x04, f.ecx_in);
    store_le<uint64_t>(p + 0x08, f.xcr0_in);
    store_le<uint64_t>(p + 0x10, f.xss_in);
    store_le<uint32_t>(p + 0x18, f.eax);
    store_le<uint32_t>(p + 0x1C, f.ebx);
    store_le<uint32_t>(p + 0x20, f.ecx);
    store_le<uint32_t>(p + 0x24, f.edx);
    store_le<uint64_t>(p + 0x28, f.reserved);
  }
  return page;
}

const CpuidFunction* CpuidTable::find(uint32_t eax_in, uint32_t ecx_in) const {
  for (const CpuidFunction& f : functions)
    if (f.eax_in == eax_in && f.ecx_in == ecx_in) return &f;
  return nullptr;
}

namespace {

constexpr uint32_t kStdMax = 0x0000FFFF, kExtMin = 0x80000000, kExtMax = 0x8000FFFF;
constexpr uint32_t kOsxsave = 1u << 27, kHypervisor = 1u << 31;         // Fn1 ECX
constexpr uint32_t kClflushMask = 0xFF00;                               // Fn1 EBX[15:8]
constexpr uint32_t kReductionMask = 0x3F << 6, kVmplsMask = 0xF << 12;  // Fn8000_001F EBX
constexpr uint64_t kXcr0Avx = 1u << 2, kXcr0Kregs = 1u << 5, kXcr0ZmmHi = 1u << 6,
                   kXcr0HiZmm = 1u << 7, kXcr0Mpk = 1u << 9;
constexpr uint64_t kXssCetU = 1u << 11, kXssCetS = 1u << 12;

// CPUID_RULE_MASK / _EXACT / _LESSTHAN: the corrected register value.
uint32_t rule_mask(uint32_t v, uint32_t hw) { return v & hw; }
uint32_t rule_less(uint32_t v, uint32_t hw) { return v > hw ? hw : v; }

// Family, model, stepping of a Fn1 EAX signature (APM Vol. 3 E.3.2).
struct Fms {
  uint32_t family, model, stepping;
};
Fms fms(uint32_t eax) {
  const uint32_t base_family = (eax >> 8) & 0xF;
  const uint32_t family = base_family == 0xF ? base_family + ((eax >> 20) & 0xFF) : base_family;
  const uint32_t model =
      base_family == 0xF ? ((eax >> 16) & 0xF) << 4 | ((eax >> 4) & 0xF) : (eax >> 4) & 0xF;
  return {family, model, eax & 0xF};
}
// AMD-ASPFW compare_FMS: the guest's family/model/stepping may not be above the part's.
bool fms_not_above(uint32_t guest, uint32_t part) {
  const Fms g = fms(guest), p = fms(part);
  if (g.family != p.family) return g.family < p.family;
  if (g.model != p.model) return g.model < p.model;
  return g.stepping <= p.stepping;
}
// The reserved bits of Fn1 EAX ([31:28], [15:14]) must be zero.
constexpr uint32_t kFn1EaxReserved = 0xF000C000;

// Per byte LESSTHAN (Fn8000_0008 EAX/EDX: "applied separately to each field").
uint32_t bytes_less(uint32_t v, uint32_t hw) {
  uint32_t out = 0;
  for (int sh = 0; sh < 32; sh += 8) out |= rule_less((v >> sh) & 0xFF, (hw >> sh) & 0xFF) << sh;
  return out;
}

// XSAVE area sizes the firmware expects for the features enabled in xcr0_in / xss_in
// (AMD-ASPFW FN0000000D_X00_CUSTOM / _X01_CUSTOM).
uint32_t xsave_size_x00(uint64_t xcr0) {
  if (xcr0 & kXcr0Mpk) return 0x988;
  if (xcr0 & kXcr0HiZmm) return 0x980;
  if (xcr0 & kXcr0ZmmHi) return 0x580;
  if (xcr0 & kXcr0Kregs) return 0x380;
  if (xcr0 & kXcr0Avx) return 0x340;
  return 0x240;
}
uint32_t xsave_size_x01(uint64_t xcr0, uint64_t xss) {
  uint32_t s = 0x240;
  if (xcr0 & kXcr0Mpk) s += 0x8;
  if (xcr0 & kXcr0HiZmm) s += 0x400;
  if (xcr0 & kXcr0ZmmHi) s += 0x200;
  if (xcr0 & kXcr0Kregs) s += 0x40;
  if (xcr0 & kXcr0Avx) s += 0x100;
  if (xss & kXssCetU) s += 0x10;
  if (xss & kXssCetS) s += 0x18;
  return s;
}

// The leaves the model's hardware answers (hw/cpu/cpuid.h), subleaf 0, plus the XSAVE leaf the
// firmware has custom rules for.
bool model_implements(uint32_t leaf) {
  switch (leaf) {
    case hw::cpuid_leaf::kVendor:
    case hw::cpuid_leaf::kFeatures:
    case hw::cpuid_leaf::kExtMax:
    case hw::cpuid_leaf::kExtFeatures:
    case hw::cpuid_leaf::kBrand0:
    case hw::cpuid_leaf::kBrand1:
    case hw::cpuid_leaf::kBrand2:
    case hw::cpuid_leaf::kAddrSizes:
    case hw::cpuid_leaf::kMemEncrypt:
      return true;
    default:
      return false;
  }
}

// The corrected registers of one entry.
hw::CpuidResult sanitize_entry(const CpuidFunction& f, const hw::CpuModel& model) {
  hw::CpuidResult r = f.regs();
  if (f.eax_in == 0xD && (f.ecx_in == 0 || f.ecx_in == 1)) {
    if (f.ecx_in == 0) {
      r.eax |= 0x3;  // x87 and SSE state are always there
      r.ebx = xsave_size_x00(f.xcr0_in);
      r.edx = 0;
    } else {
      r.ebx = xsave_size_x01(f.xcr0_in, f.xss_in);
    }
    return r;
  }
  if (f.ecx_in != 0 || !model_implements(f.eax_in)) return {};  // unknown leaf: all zero
  const hw::CpuidResult hw = hw::cpuid(model, f.eax_in, f.ecx_in);
  switch (f.eax_in) {
    case hw::cpuid_leaf::kVendor:
    case hw::cpuid_leaf::kExtMax:
      r.eax = rule_less(r.eax, hw.eax);  // the vendor string is unchecked
      break;
    case hw::cpuid_leaf::kFeatures:
    case hw::cpuid_leaf::kExtFeatures:
      if (!fms_not_above(r.eax, hw.eax)) r.eax = hw.eax;
      r.eax &= ~kFn1EaxReserved;
      if (f.eax_in == hw::cpuid_leaf::kFeatures) {
        r.ebx = (r.ebx & ~kClflushMask) | (hw.ebx & kClflushMask);
        r.ecx = rule_mask(r.ecx, hw.ecx | kOsxsave | kHypervisor);
      } else {
        r.ecx = rule_mask(r.ecx, hw.ecx);
      }
      r.edx = rule_mask(r.edx, hw.edx);
      break;
    case hw::cpuid_leaf::kBrand0:
    case hw::cpuid_leaf::kBrand1:
    case hw::cpuid_leaf::kBrand2:
      break;  // the brand string is the VMM's to choose
    case hw::cpuid_leaf::kAddrSizes:
      r.eax = bytes_less(r.eax, hw.eax);
      r.ebx = rule_mask(r.ebx, hw.ebx);
      r.edx = bytes_less(r.edx, hw.edx);
      break;
    case hw::cpuid_leaf::kMemEncrypt: {
      r.eax = rule_mask(r.eax, hw.eax);
      // EBX exact except the reduction [11:6] (unchecked) and the VMPL count [15:12] (at most
      // the part's); ECX and EDX (ASID counts) unchecked.
      const uint32_t vmpls = std::min(r.ebx & kVmplsMask, hw.ebx & kVmplsMask);
      r.ebx = (hw.ebx & ~(kReductionMask | kVmplsMask)) | (r.ebx & kReductionMask) | vmpls;
      break;
    }
    default:
      break;
  }
  return r;
}

}  // namespace

CpuidSanitizeResult snp_cpuid_sanitize(const CpuidTable& table, const hw::CpuModel& model) {
  CpuidSanitizeResult out;
  out.table = table;
  bool failed =
      table.reserved1 != 0 || table.reserved2 != 0 || table.functions.size() > kCpuidCountMax;
  for (CpuidFunction& f : out.table.functions) {
    const bool std_range = f.eax_in <= kStdMax;
    const bool ext_range = f.eax_in >= kExtMin && f.eax_in <= kExtMax;
    if (!std_range && !ext_range) continue;  // hypervisor leaves: not checked
    if (f.reserved != 0) failed = true;
    const hw::CpuidResult provided = f.regs();
    const hw::CpuidResult expected = sanitize_entry(f, model);
    if (provided == expected) continue;
    failed = true;
    f.eax = expected.eax;
    f.ebx = expected.ebx;
    f.ecx = expected.ecx;
    f.edx = expected.edx;
    out.mismatches.push_back({f.eax_in, f.ecx_in, provided, expected});
  }
  out.status = failed ? SevStatus::InvalidParam : SevStatus::Success;
  return out;
}

std::string cpuid_mismatch_message(const CpuidMismatch& m) {
  return fmt::format(
      "SEV-SNP: CPUID validation failed for function 0x{:x}, index: 0x{:x}, provided: "
      "eax:0x{:08x}, ebx: 0x{:08x}, ecx: 0x{:08x}, edx: 0x{:08x}\n"
      "  expected: eax:0x{:08x}, ebx: 0x{:08x}, ecx: 0x{:08x}, edx: 0x{:08x}",
      m.function, m.index, m.provided.eax, m.provided.ebx, m.provided.ecx, m.provided.edx,
      m.expected.eax, m.expected.ebx, m.expected.ecx, m.expected.edx);
}

CpuidTable snp_cpuid_table_build(const GuestCpuid& guest_cpuid) {
  CpuidTable t;
  auto add = [&](uint32_t leaf) {
    if (t.functions.size() >= kCpuidCountMax) return;
    const hw::CpuidResult r = guest_cpuid(leaf, 0);
    CpuidFunction f;
    f.eax_in = leaf;
    f.xcr0_in = 1;  // x87 only, as QEMU fills it
    f.eax = r.eax;
    f.ebx = r.ebx;
    f.ecx = r.ecx;
    f.edx = r.edx;
    t.functions.push_back(f);
  };
  const uint32_t max_std = std::min<uint32_t>(guest_cpuid(0, 0).eax, kStdMax);
  for (uint32_t leaf = 0; leaf <= max_std && t.functions.size() < kCpuidCountMax; ++leaf) add(leaf);
  const uint32_t max_ext = guest_cpuid(kExtMin, 0).eax;
  if (max_ext >= kExtMin)
    for (uint32_t leaf = kExtMin;
         leaf <= std::min(max_ext, kExtMax) && t.functions.size() < kCpuidCountMax; ++leaf)
      add(leaf);
  return t;
}

}  // namespace cbit::psp::snp
