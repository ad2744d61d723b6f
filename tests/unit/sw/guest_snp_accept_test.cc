// SEV-SNP unaccepted memory (docs/guest.md "SEV-SNP"; Linux 6.5+ drivers/firmware/efi/
// unaccepted_memory.c and libstub/unaccepted_memory.c, mm/mm_init.c accept_memory=): the guest
// kernel validates RAM the launch did not validate only where it must at boot, and each 2 MiB
// unit when the page allocator first hands out a page in it; accept_memory=eager validates all
// of it at boot. What is validated is read from the RMP, never from the kernel's bitmap:
//   - lazy: every unit the bitmap still marks has no validated page; every other RAM page is
//     validated or was shared by the guest; a program's pages are validated;
//   - an allocation inside a marked unit validates the whole unit and clears its bit (control:
//     the next unit stays unvalidated);
//   - eager (the old rule): after boot no unit is marked and every RAM page is validated or
//     shared;
//   - the guest touching an unaccepted page without accepting it is #VC 0x404 and terminates
//     (control: after accept_memory() the same read works);
//   - accept_memory=bogus is Linux's "Malformed early option" and lazy stays.
#include <gtest/gtest.h>

#include "hw/cpu/fault.h"
#include "hw/machine.h"
#include "hw/rmp/rmp.h"
#include "hw/svm/vmcb.h"
#include "unit/sw/snp_guest_rig.h"

namespace cbit::sw::guest {
namespace {

using hv::SevMode;
using test::kSnpRam;
using test::SnpGuestVm;
namespace ec = hw::svm::exit_code;

constexpr uint64_t kUnit = GuestKernel::kUnacceptedUnit;

hw::rmp::RmpEntry rmp_of(SnpGuestVm& g, GuestPhysAddr gpa) {
  return g.host.m.rmp().table().read(*g.vm->memory().gpa_to_spa(gpa));
}

// The guest kernel of `g` replaced by one with `cmdline` (same CC blob).
void use_cmdline(SnpGuestVm& g, const std::string& cmdline) {
  GuestKernelConfig kc;
  kc.ram_bytes = kSnpRam;
  kc.cmdline = cmdline;
  hv::apply_cc_blob(g.vm->snp_cc_blob(), kc);
  g.k = std::make_unique<GuestKernel>(kc);
}

// How many pages of [start, start + len) the RMP shows validated for this guest.
uint64_t validated_pages(SnpGuestVm& g, uint64_t start, uint64_t len) {
  uint64_t n = 0;
  for (uint64_t a = start; a < start + len; a += kPageSize) {
    const auto e = rmp_of(g, GuestPhysAddr(a));
    n += e.assigned && e.validated && e.asid == g.vm->asid();
  }
  return n;
}

// Every RAM page is validated, or the guest made it shared (bounce pool, GHCB).
void expect_all_ram_validated_or_shared(SnpGuestVm& g) {
  uint64_t bad = 0;
  for (uint64_t a = 0; a < kSnpRam; a += kPageSize)
    if (!g.vm->shared_gfns().count(a >> kPageShift) && validated_pages(g, a, kPageSize) == 0) ++bad;
  EXPECT_EQ(bad, 0u);
}

TEST(SnpAcceptMemory, LazyLeavesUnitsTheAllocatorHasNotUsedUnvalidated) {
  const Bytes elf = test::secret_elf();
  if (elf.empty()) GTEST_FAIL() << "examples/guest/secret.elf was not built";
  SnpGuestVm g(SevMode::Snp, hv::make_cbit_disk(elf, "secret.elf"));
  g.k->queue_program({"secret.elf", "123"});
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  ASSERT_EQ(g.k->programs().at(0).output, "My secret is 123\n") << g.dmesg();
  EXPECT_TRUE(g.k->accept_memory_lazy());
  // Most of the 32 MiB was never needed: still unaccepted, and not validated in the RMP.
  EXPECT_GE(g.k->unaccepted_bytes(), kSnpRam / 2);
  EXPECT_LT(g.k->unaccepted_bytes(), kSnpRam);
  uint64_t marked = 0;
  for (uint64_t u = 0; u < kSnpRam; u += kUnit) {
    if (g.k->range_contains_unaccepted_memory(GuestPhysAddr(u), GuestPhysAddr(u + kUnit))) {
      ++marked;
      EXPECT_EQ(validated_pages(g, u, kUnit), 0u) << "unit at " << std::hex << u;
    } else {
      for (uint64_t a = u; a < u + kUnit; a += kPageSize) {
        if (g.vm->shared_gfns().count(a >> kPageShift)) continue;
        EXPECT_EQ(validated_pages(g, a, kPageSize), 1u) << "page at " << std::hex << a;
      }
    }
  }
  EXPECT_EQ(marked * kUnit, g.k->unaccepted_bytes());
  // The program's pages came from the allocator: validated.
  for (const GuestPhysAddr p : g.k->programs().at(0).user_pages)
    EXPECT_EQ(validated_pages(g, p.value, kPageSize), 1u);
  // Far fewer PVALIDATEs than pages of RAM.
  EXPECT_LT(g.k->pages_validated(), kSnpRam / kPageSize / 2);
}

TEST(SnpAcceptMemory, AnAllocationInAnUnacceptedUnitValidatesTheWholeUnit) {
  SnpGuestVm g;
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  std::optional<VirtAddr> block;
  uint64_t unaccepted_before = 0, unaccepted_after = 0;
  bool marked_next_before = false;
  g.k->queue([&](GuestKernel& k) {
    // A 2 MiB block (order 9): naturally aligned, so exactly one unit.
    unaccepted_before = k.unaccepted_bytes();
    block = k.alloc_pages(9);
    ASSERT_TRUE(block);
    unaccepted_after = k.unaccepted_bytes();
    const GuestPhysAddr pa = k.__pa(*block);
    marked_next_before = k.range_contains_unaccepted_memory(pa + kUnit, pa + 2 * kUnit);
  });
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  ASSERT_TRUE(block);
  const GuestPhysAddr pa = g.k->__pa(*block);
  ASSERT_EQ(pa.value % kUnit, 0u);
  EXPECT_EQ(unaccepted_before - unaccepted_after, kUnit);  // this unit, and only it
  EXPECT_FALSE(g.k->range_contains_unaccepted_memory(pa, pa + kUnit));
  EXPECT_EQ(validated_pages(g, pa.value, kUnit), kUnit / kPageSize);
  // Control: the next unit, untouched by the allocator, is still unaccepted and unvalidated.
  ASSERT_LT(pa.value + 2 * kUnit, kSnpRam + 1);
  EXPECT_TRUE(marked_next_before);
  EXPECT_TRUE(g.k->range_contains_unaccepted_memory(pa + kUnit, pa + 2 * kUnit));
  EXPECT_EQ(validated_pages(g, pa.value + kUnit, kUnit), 0u);
}

TEST(SnpAcceptMemory, EagerValidatesAllRamAtBoot) {
  SnpGuestVm g;
  use_cmdline(g, "console=ttyS0 accept_memory=eager");
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  EXPECT_FALSE(g.k->accept_memory_lazy());
  EXPECT_EQ(g.k->unaccepted_bytes(), 0u);
  expect_all_ram_validated_or_shared(g);
  // Control: the default (lazy) kernel on the same kind of VM leaves RAM unvalidated.
  SnpGuestVm lazy;
  ASSERT_EQ(lazy.run().code, ec::kHlt) << lazy.dmesg();
  EXPECT_GT(lazy.k->unaccepted_bytes(), 0u);
  EXPECT_LT(validated_pages(lazy, 0, kSnpRam), kSnpRam / kPageSize / 2);
}

TEST(SnpAcceptMemory, TouchingUnacceptedMemoryIsVc404AndTerminates) {
  SnpGuestVm g;
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  // The last unit of RAM: far above anything the allocator handed out.
  const GuestPhysAddr last(kSnpRam - kUnit);
  ASSERT_TRUE(g.k->range_contains_unaccepted_memory(last, last + kUnit));
  // Control: accepted first, the same kind of read works (the unit below the last one).
  const GuestPhysAddr below(kSnpRam - 2 * kUnit);
  ASSERT_TRUE(g.k->range_contains_unaccepted_memory(below, below + kUnit));
  Bytes seen(8, 0xAA);
  g.k->queue([&](GuestKernel& k) {
    k.accept_memory(below, below + kUnit);
    k.memcpy_from(k.__va(below), seen);
  });
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  EXPECT_FALSE(g.k->termination().has_value()) << g.dmesg();
  EXPECT_EQ(validated_pages(g, below.value, kUnit), kUnit / kPageSize);
  // Not accepted: the guest's private read of a page it never validated.
  g.k->queue([&](GuestKernel& k) { k.memcpy_from(k.__va(last), seen); });
  g.run();
  ASSERT_TRUE(g.k->termination().has_value()) << g.dmesg();
  EXPECT_TRUE(g.dmesg_has("SEV: Unsupported exit-code 0x404 in #VC exception")) << g.dmesg();
  EXPECT_EQ(validated_pages(g, last.value, kUnit), 0u);
}

TEST(SnpAcceptMemory, AMalformedOptionIsReportedAndLazyStays) {
  SnpGuestVm g;
  use_cmdline(g, "console=ttyS0 accept_memory=bogus");
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  EXPECT_TRUE(g.dmesg_has("Malformed early option 'accept_memory'"));
  EXPECT_TRUE(g.k->accept_memory_lazy());
  EXPECT_GT(g.k->unaccepted_bytes(), 0u);
  // Control: a well-formed option prints nothing of the kind.
  SnpGuestVm ok;
  use_cmdline(ok, "console=ttyS0 accept_memory=lazy");
  ASSERT_EQ(ok.run().code, ec::kHlt) << ok.dmesg();
  EXPECT_FALSE(ok.dmesg_has("Malformed early option"));
}

}  // namespace
}  // namespace cbit::sw::guest
