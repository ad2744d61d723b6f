// Initial VMSA contents per VMM type, vCPU signatures, and the SEV hashes table layout.
#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "psp/digest/sev_hashes.h"
#include "psp/digest/vcpu_types.h"
#include "psp/digest/vmsa.h"

namespace cbit::psp::digest {
namespace {

TEST(DigestVcpuTypes, SignaturesOfQemuEpycModels) {
  EXPECT_EQ(*vcpu_sig_by_name("EPYC-v4"), 0x800f12u);     // family 17h model 1 stepping 2
  EXPECT_EQ(*vcpu_sig_by_name("EPYC-Rome"), 0x830f10u);   // 17h/31h/0
  EXPECT_EQ(*vcpu_sig_by_name("EPYC-Milan"), 0xa00f11u);  // 19h/1/1
  EXPECT_EQ(*vcpu_sig_by_name("EPYC-Genoa"), 0xa10f10u);  // 19h/11h/0
  EXPECT_EQ(*vcpu_sig_by_name("EPYC-Turin"), 0xb00f00u);  // 1Ah/0/0
  EXPECT_FALSE(vcpu_sig_by_name("EPYC-Foo"));
  EXPECT_EQ(vcpu_types().size(), 16u);
  EXPECT_EQ(cpu_sig(15, 4, 1), 0xf41u);             // family <= 0xF: no extended family
  EXPECT_EQ(cpu_sig(-1, 0, 0), ~uint64_t(0) << 8);  // two's complement, as a u64 field holds
}

TEST(DigestVmsa, QemuBspFields) {
  const VmsaPage v = build_vmsa(kBspEip, 0x1, 0x800f12, VmmType::Qemu);
  using namespace vmsa_off;
  EXPECT_EQ(load_le<uint16_t>(v.data() + kCs + kSegSelector), 0xf000);
  EXPECT_EQ(load_le<uint16_t>(v.data() + kCs + kSegAttrib), 0x9b);
  EXPECT_EQ(load_le<uint64_t>(v.data() + kCs + kSegBase), 0xffff0000u);
  EXPECT_EQ(load_le<uint64_t>(v.data() + kRip), 0xfff0u);
  EXPECT_EQ(load_le<uint64_t>(v.data() + kRdx), 0x800f12u);
  EXPECT_EQ(load_le<uint64_t>(v.data() + kSevFeatures), 1u);
  EXPECT_EQ(load_le<uint64_t>(v.data() + kEfer), 0x1000u);
  EXPECT_EQ(load_le<uint64_t>(v.data() + kGPat), 0x0007040600070406u);
  EXPECT_EQ(load_le<uint32_t>(v.data() + kMxcsr), 0x1f80u);
  EXPECT_EQ(load_le<uint16_t>(v.data() + kX87Fcw), 0x37f);
  EXPECT_EQ(load_le<uint64_t>(v.data() + kXcr0), 1u);
}

TEST(DigestVmsa, Ec2AndGceDiffer) {
  using namespace vmsa_off;
  const VmsaPage q = build_vmsa(kBspEip, 1, 0x800f12, VmmType::Qemu);
  const VmsaPage e = build_vmsa(kBspEip, 1, 0x800f12, VmmType::Ec2);
  const VmsaPage e_ap = build_vmsa(0x80b004, 1, 0x800f12, VmmType::Ec2);
  const VmsaPage g = build_vmsa(kBspEip, 1, 0x800f12, VmmType::Gce);
  EXPECT_EQ(load_le<uint16_t>(e.data() + kCs + kSegAttrib), 0x9a);  // BSP only
  EXPECT_EQ(load_le<uint16_t>(e_ap.data() + kCs + kSegAttrib), 0x9b);
  EXPECT_EQ(load_le<uint16_t>(e.data() + kTr + kSegAttrib), 0x83);
  EXPECT_EQ(load_le<uint64_t>(e.data() + kRdx), 0x600u);
  EXPECT_EQ(load_le<uint64_t>(g.data() + kGPat), 0x70106u);
  EXPECT_EQ(load_le<uint32_t>(g.data() + kMxcsr), 0u);
  EXPECT_NE(q, e);
  EXPECT_NE(q, g);
  EXPECT_NE(e, g);
  // gce and ec2 ignore the vCPU signature; QEMU does not.
  EXPECT_EQ(g, build_vmsa(kBspEip, 1, 0xa00f11, VmmType::Gce));
  EXPECT_NE(q, build_vmsa(kBspEip, 1, 0xa00f11, VmmType::Qemu));
}

TEST(DigestSevHashes, TableLayout) {
  const SevHashes h = SevHashes::from_contents(as_bytes("kernel"), {}, "console=ttyS0");
  const Bytes t = h.table();
  ASSERT_EQ(t.size(), 176u);
  EXPECT_EQ(to_hex(ByteSpan(t).first(16)), "06d63894224fc94cb479a793d411fd21");
  EXPECT_EQ(load_le<uint16_t>(t.data() + 16), 168);
  EXPECT_EQ(load_le<uint16_t>(t.data() + 18 + 16), 50);  // cmdline entry first
  EXPECT_EQ(to_hex(ByteSpan(t).subspan(18 + 18, 32)),
            to_hex(crypto::sha256(as_bytes(std::string_view("console=ttyS0\0", 14)))));
  EXPECT_EQ(to_hex(ByteSpan(t).subspan(68 + 18, 32)), to_hex(crypto::sha256({})));  // initrd
  EXPECT_EQ(to_hex(ByteSpan(t).subspan(118 + 18, 32)), to_hex(crypto::sha256(as_bytes("kernel"))));
  const auto page = h.page(0xc00);
  ASSERT_TRUE(page);
  EXPECT_EQ(Bytes(page->begin() + 0xc00, page->begin() + 0xc00 + 176), t);
  EXPECT_TRUE(h.page(0x1000 - 176));
  EXPECT_FALSE(h.page(0x1000 - 175));  // would cross the page
}

}  // namespace
}  // namespace cbit::psp::digest
