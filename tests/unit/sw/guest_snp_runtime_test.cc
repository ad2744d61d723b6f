// An SEV-SNP guest against its hypervisor at run time (APM Vol. 2 §15.36.10 Table 15-39,
// Table 15-41; GHCB specification 2.x §4.1.6 Page State Change, §4.1.9 AP Creation; KVM sev.c;
// SNP-FACTS.md §1.5, §5), each with the control that must come out the other way:
//   - remap: the hypervisor points a guest page's nested entry at another of the guest's pages:
//     the access is an #NPF with the RMP bit (reverse map); after the hypervisor RMPUPDATEs that
//     page to the new GPA the guest gets #VC 0x404 (not validated) and terminates. Control: the
//     same guest, not remapped, reads its page;
//   - set_memory_decrypted() / set_memory_encrypted() through the PSC NAE event, the RMP showing
//     the page hypervisor-owned, then private and validated again;
//   - a PSC buffer with a bad header: the GHCB's INVALID_HDR error (control: a good one works);
//   - AP creation: a VMSA page the guest marked with RMPADJUST runs as the second vCPU; VMRUN
//     refuses the same request for a page without RMP.VMSA;
//   - a 4 KiB PVALIDATE inside a 2 MiB RMP entry: #NPF with SIZEM, KVM PSMASHes, the guest goes on
//     (control: 4 KiB entries, no PSMASH);
//   - dump-guest-memory: an SNP guest's private pages are zeros in the dump (guest_memfd);
//     control: the SEV-ES guest's dump holds its ciphertext.
#include <gtest/gtest.h>

#include <filesystem>

#include "hw/cpu/cpu.h"
#include "hw/machine.h"
#include "hw/rmp/rmp.h"
#include "hw/svm/vmcb.h"
#include "psp/digest/vmsa.h"
#include "sw/ghcb/ghcb.h"
#include "sw/ghcb/psc.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_snp.h"
#include "sw/hv/dump.h"
#include "tools/scan/dump_reader.h"
#include "unit/sw/snp_guest_rig.h"
#include "unit/temp_dir.h"

namespace cbit::sw::guest {
namespace {

using hv::SevMode;
using test::SnpGuestVm;
namespace ec = hw::svm::exit_code;
namespace mp = ghcb::msr_proto;

constexpr uint64_t kNpfRmp = 1ull << 31, kNpfSizem = 1ull << 35;

hw::rmp::RmpEntry rmp_of(SnpGuestVm& g, GuestPhysAddr gpa) {
  return g.host.m.rmp().table().read(*g.vm->memory().gpa_to_spa(gpa));
}

// Boots the guest; two private pages with a secret in each. Returns their GPAs.
std::pair<GuestPhysAddr, GuestPhysAddr> boot_with_two_pages(SnpGuestVm& g) {
  GuestPhysAddr a, b;
  g.k->queue([&](GuestKernel& k) {
    const auto pa = k.alloc_pages(0), pb = k.alloc_pages(0);
    ASSERT_TRUE(pa && pb);
    k.memcpy_to(*pa, as_bytes("page A secret"));
    k.memcpy_to(*pb, as_bytes("page B secret"));
    a = k.__pa(*pa);
    b = k.__pa(*pb);
  });
  EXPECT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  return {a, b};
}

TEST(SnpGuestRuntime, RemappedPageGivesReverseMapNpfThenVc404AndTheGuestTerminates) {
  SnpGuestVm g;
  const auto [a, b] = boot_with_two_pages(g);
  ASSERT_TRUE(g.k->booted()) << g.dmesg();
  // The hypervisor points GPA a at b's system page (a replay of b's ciphertext at a).
  const SysPhysAddr spa_b = *g.vm->memory().gpa_to_spa(b);
  g.vm->npt().map_page(a, spa_b, true, g.host.k.sme_me_mask() != 0);
  std::vector<uint64_t> npf_info;
  g.vm->on_npf = [&](hv::Vcpu&, uint64_t gpa, uint64_t info1) {
    npf_info.push_back(info1);
    if (npf_info.size() > 1 || (gpa & ~0xfffull) != a.value) return false;
    // RMPUPDATE b's page to GPA a: assigned to the guest there, but not validated.
    return g.host.k.snp().rmp_make_private(Pfn(spa_b.pfn()), a.value, host::PG_LEVEL_4K,
                                           g.vm->asid(), false) == 0;
  };
  Bytes seen(13);
  g.k->queue([&](GuestKernel& k) { k.memcpy_from(k.__va(a), seen); });
  const auto exit = g.run();
  ASSERT_EQ(npf_info.size(), 1u);
  EXPECT_TRUE(npf_info[0] & kNpfRmp) << std::hex << npf_info[0];
  // The retried access: #VC 0x404, Linux's line, a termination request (set 0, reason 0).
  EXPECT_NE(exit.code, ec::kHlt);
  EXPECT_TRUE(g.dmesg_has("SEV: Unsupported exit-code 0x404 in #VC exception")) << g.dmesg();
  ASSERT_TRUE(g.k->termination().has_value());
  EXPECT_EQ(*g.k->termination(), std::make_pair(0u, 0u));
  EXPECT_NE(std::string(seen.begin(), seen.end()), "page B secret");
}

TEST(SnpGuestRuntime, ControlTheUntouchedGuestReadsItsPage) {
  SnpGuestVm g;
  const auto [a, b] = boot_with_two_pages(g);
  unsigned npfs = 0;
  g.vm->on_npf = [&](hv::Vcpu&, uint64_t, uint64_t) { return ++npfs, false; };
  Bytes seen(13);
  g.k->queue([&](GuestKernel& k) { k.memcpy_from(k.__va(a), seen); });
  EXPECT_EQ(g.run().code, ec::kHlt);
  EXPECT_EQ(npfs, 0u);
  EXPECT_EQ(std::string(seen.begin(), seen.end()), "page A secret");
  EXPECT_FALSE(g.k->termination().has_value());
  EXPECT_TRUE(rmp_of(g, a).validated);
}

TEST(SnpGuestRuntime, SetMemoryDecryptedRoundTripThroughPsc) {
  SnpGuestVm g;
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  VirtAddr va;
  GuestPhysAddr gpa;
  int dec = -1;
  const uint64_t psc_before = g.vm->vcpu().vmgexits().count(ghcb::vmgexit::kPsc)
                                  ? g.vm->vcpu().vmgexits().at(ghcb::vmgexit::kPsc)
                                  : 0;
  g.k->queue([&](GuestKernel& k) {
    va = *k.alloc_pages(0);
    gpa = k.__pa(va);
    dec = k.set_memory_decrypted(va, 1);
    if (dec == 0) k.memcpy_to(va, as_bytes("hello hypervisor"));
  });
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  ASSERT_EQ(dec, 0);
  EXPECT_GT(g.vm->vcpu().vmgexits().at(ghcb::vmgexit::kPsc), psc_before);
  auto e = rmp_of(g, gpa);
  EXPECT_FALSE(e.assigned);  // hypervisor-owned
  EXPECT_FALSE(e.validated);
  EXPECT_TRUE(g.vm->shared_gfns().count(gpa.pfn()));
  Bytes page(16);
  g.vm->memory().read(gpa, page);
  EXPECT_EQ(std::string(page.begin(), page.end()), "hello hypervisor");

  int enc = -1;
  Bytes back(8);
  g.k->queue([&](GuestKernel& k) {
    enc = k.set_memory_encrypted(va, 1);
    k.memcpy_to(va, as_bytes("private!"));
    k.memcpy_from(va, back);
  });
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  EXPECT_EQ(enc, 0);
  e = rmp_of(g, gpa);
  EXPECT_TRUE(e.assigned);
  EXPECT_TRUE(e.validated);
  EXPECT_EQ(e.asid, g.vm->asid());
  EXPECT_EQ(e.gpa, gpa.value);
  EXPECT_FALSE(g.vm->shared_gfns().count(gpa.pfn()));
  EXPECT_EQ(std::string(back.begin(), back.end()), "private!");
  g.vm->memory().read(gpa, page);  // guest_memfd: the host sees no private bytes
  EXPECT_EQ(page, Bytes(16, 0));
}

TEST(SnpGuestRuntime, PscBufferWithABadHeaderGetsTheGhcbError) {
  SnpGuestVm g;
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  std::pair<uint64_t, uint64_t> bad{}, good{};
  GuestPhysAddr gpa;
  g.k->queue([&](GuestKernel& k) {
    gpa = k.__pa(*k.alloc_pages(0));
    ghcb::PscEntry e;
    e.gfn = gpa.pfn();
    e.operation = static_cast<uint8_t>(ghcb::PscOp::Private);
    Bytes b = ghcb::PscBuffer::make({e}).serialize();
    store_le<uint16_t>(b.data() + 2, 300);  // end_entry beyond VMGEXIT_PSC_MAX_ENTRY
    bad = k.vmgexit_psc_raw(b);
    // Control: the same entry with a good header (private -> private: nothing to change).
    Bytes ok = ghcb::PscBuffer::make({e}).serialize();
    good = k.vmgexit_psc_raw(ok);
  });
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  EXPECT_EQ(bad.first & 0xffffffffu, 0u);
  EXPECT_EQ(bad.second, ghcb::kPscErrorInvalidHdr);
  EXPECT_EQ(good.first & 0xffffffffu, 0u);
  EXPECT_EQ(good.second, 0u);
  EXPECT_TRUE(rmp_of(g, gpa).validated);  // neither call touched the page
}

// The AP's entry state in the SNP VMSA format (SEV_FEATURES SNPActive), as the BSP builds it.
Bytes ap_vmsa() {
  auto p = psp::digest::build_vmsa(psp::digest::kBspEip, 1, 0, psp::digest::VmmType::Qemu);
  store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kCr0, hv::kEntryCr0);
  store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kRip, 0x2000);
  store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kCs + 8, 0);
  return Bytes(p.begin(), p.end());
}

void ap_creation(bool mark_vmsa) {
  SnpGuestVm g(SevMode::Snp, {}, /*vcpus=*/2);
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  int adj = -1, created = -1;
  GuestPhysAddr vmsa_gpa;
  g.k->queue([&](GuestKernel& k) {
    const VirtAddr va = *k.alloc_pages(0);
    vmsa_gpa = k.__pa(va);
    k.memcpy_to(va, ap_vmsa());
    adj = mark_vmsa ? k.snp_set_vmsa(va, true) : 0;
    created = k.snp_ap_create(1, va, 1);
  });
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  EXPECT_EQ(adj, 0);
  EXPECT_EQ(created, 0);  // KVM takes the request; VMRUN is what checks the page
  EXPECT_EQ(g.vm->vcpu(1).snp_vmsa_gpa(), std::optional<uint64_t>(vmsa_gpa.value));
  EXPECT_EQ(rmp_of(g, vmsa_gpa).vmsa, mark_vmsa);
  uint64_t ap_rip = 0, ap_status = 0;
  hv::test::FnGuest ap([&](hw::Cpu& cpu) {
    ap_rip = cpu.regs().rip;
    ap_status = cpu.rdmsr(hw::msr::kSevStatus);
  });
  const auto exit = g.vm->run(ap, 1);
  if (mark_vmsa) {
    EXPECT_EQ(exit.code, ec::kHlt);
    EXPECT_EQ(ap_rip, 0x2000u);  // the state the BSP wrote
    EXPECT_EQ(ap_status & 7, 7u);
  } else {
    EXPECT_EQ(exit.code, ec::kInvalid);  // Table 15-41: RMP.VMSA=0
    EXPECT_EQ(ap_rip, 0u);
  }
}

TEST(SnpGuestRuntime, ApCreationRunsAVmsaPageMarkedWithRmpadjust) { ap_creation(true); }
TEST(SnpGuestRuntime, ControlVmrunRefusesAnApVmsaWithoutRmpVmsa) { ap_creation(false); }

// A 2 MiB guest_memfd folio made private as one 2 MiB RMP entry (sev_gmem_prepare at
// PG_LEVEL_2M) before the guest accepts it (accept_memory() of its unit, as the page allocator
// does on first use): its 2 MiB PVALIDATE succeeds; a later 4 KiB
// PVALIDATE inside it (set_memory_decrypted's rescind) is an #NPF with SIZEM, KVM PSMASHes.
void psmash_case(bool huge) {
  constexpr uint64_t k2M = 2ull << 20, kRegion = 16ull << 20;
  SnpGuestVm g;
  const SysPhysAddr spa = *g.vm->memory().gpa_to_spa(GuestPhysAddr(kRegion));
  ASSERT_EQ(spa.value % k2M, 0u);
  if (huge) {
    ASSERT_EQ(g.host.k.snp().rmp_make_private(Pfn(spa.pfn()), kRegion, host::PG_LEVEL_2M,
                                              g.vm->asid(), false),
              0);
  }
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  // Unaccepted until the kernel's page allocator first uses the unit (accept_memory=lazy).
  ASSERT_TRUE(
      g.k->range_contains_unaccepted_memory(GuestPhysAddr(kRegion), GuestPhysAddr(kRegion + k2M)));
  EXPECT_FALSE(rmp_of(g, GuestPhysAddr(kRegion + 0x5000)).validated);
  g.k->queue([&](GuestKernel& k) {
    k.accept_memory(GuestPhysAddr(kRegion), GuestPhysAddr(kRegion + k2M));
  });
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  EXPECT_EQ(rmp_of(g, GuestPhysAddr(kRegion)).page_size_2m, huge);
  EXPECT_TRUE(rmp_of(g, GuestPhysAddr(kRegion + 0x5000)).validated);
  const uint64_t faults = g.vm->vcpu().rmp_faults();
  int rc = -1;
  g.k->queue([&](GuestKernel& k) {
    rc = k.set_memory_decrypted(k.__va(GuestPhysAddr(kRegion + 0x5000)), 1);
  });
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(g.vm->vcpu().rmp_faults() - faults, huge ? 1u : 0u);
  EXPECT_EQ(g.vm->vcpu().rmp_psmashes(), huge ? 1u : 0u);
  // 4 KiB entries now; the neighbour kept its Validated bit through PSMASH.
  EXPECT_FALSE(rmp_of(g, GuestPhysAddr(kRegion)).page_size_2m);
  EXPECT_TRUE(rmp_of(g, GuestPhysAddr(kRegion + 0x4000)).validated);
  EXPECT_FALSE(rmp_of(g, GuestPhysAddr(kRegion + 0x5000)).assigned);
}

TEST(SnpGuestRuntime, FourKPvalidateInA2MRmpEntryIsSizemNpfAndKvmPsmashes) { psmash_case(true); }
TEST(SnpGuestRuntime, ControlWith4KEntriesNoPsmash) { psmash_case(false); }

// The guest's program page through QEMU's dump: zeros for SNP, ciphertext for SEV-ES.
Bytes dumped_page(SevMode mode, GuestPhysAddr* where, Bytes* raw) {
  SnpGuestVm g(mode);
  GuestPhysAddr gpa;
  g.k->queue([&](GuestKernel& k) {
    const VirtAddr va = *k.alloc_pages(0);
    gpa = k.__pa(va);
    k.memcpy_to(va, as_bytes("My secret is 123"));
  });
  EXPECT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  testutil::UniqueTempDir dir("snp-dump");
  const std::string path = (dir.path() / "guest.core").string();
  hv::dump_guest_memory(g.vm->memory(), path);
  *where = gpa;
  *raw = g.host.raw(*g.vm->memory().gpa_to_spa(gpa), 16);
  Bytes out(16);
  const auto layout = tools::scan::read_dump_layout(path);
  const tools::scan::DumpFile file(path);
  for (const auto& seg : layout.segments)
    if (gpa.value >= seg.gpa && gpa.value + 16 <= seg.gpa + seg.file_size)
      file.read_at(seg.file_offset + (gpa.value - seg.gpa), out);
  return out;
}

TEST(SnpGuestRuntime, DumpGuestMemoryShowsZerosWherePrivatePagesAre) {
  GuestPhysAddr gpa;
  Bytes raw;
  const Bytes page = dumped_page(SevMode::Snp, &gpa, &raw);
  EXPECT_EQ(page, Bytes(16, 0));
  EXPECT_NE(raw, Bytes(16, 0));  // the DRAM does hold the guest's ciphertext
}

TEST(SnpGuestRuntime, ControlSevEsDumpShowsCiphertext) {
  GuestPhysAddr gpa;
  Bytes raw;
  const Bytes page = dumped_page(SevMode::SevEs, &gpa, &raw);
  EXPECT_NE(page, Bytes(16, 0));
  EXPECT_NE(std::string(page.begin(), page.end()), "My secret is 123");
}

}  // namespace
}  // namespace cbit::sw::guest
