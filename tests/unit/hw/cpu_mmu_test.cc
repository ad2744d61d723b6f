// The 4-level walk: the C-bit at every level, #PF error codes, reserved bits (including the
// address bits memory encryption takes away), A/D updates, large pages.
#include <gtest/gtest.h>

#include "hw/cpu/fault.h"
#include "unit/hw/cpu_test_rig.h"

namespace cbit::hw {
namespace {

using testing::CpuRig;

constexpr uint64_t kVa = 0x00007f1234567000ull;
constexpr uint64_t kData = 0x2000000;  // a data page, 32 MiB into DRAM
constexpr uint64_t kRwUser = pte::kP | pte::kRw | pte::kUs;

// Runs fn and returns the #PF it raised (fails the test if none).
template <typename Fn>
PageFault expect_pf(Fn&& fn) {
  try {
    fn();
  } catch (const PageFault& pf) {
    return pf;
  }
  ADD_FAILURE() << "no #PF";
  return PageFault(VirtAddr(0), 0xdead);
}

TEST(CpuMmu, CBitHonouredInCr3AndAtEveryLevel) {
  CpuRig r("naples");
  // CR3 C=1 (PML4 encrypted) -> PML4E C=0 -> PDPE C=1 -> PDE C=0 -> PTE C=1 (data encrypted).
  auto& pt = r.pt;
  pt.make_root(true);
  const uint64_t c = r.cpu.c_bit_mask();
  const uint64_t pdpt = pt.new_table(false), pd = pt.new_table(true), ptab = pt.new_table(false);
  pt.set(pt.root(), pte::index_at(kVa, 4), pdpt | kRwUser);
  pt.set(pdpt, pte::index_at(kVa, 3), pd | kRwUser | c);
  pt.set(pd, pte::index_at(kVa, 2), ptab | kRwUser);
  pt.set(ptab, pte::index_at(kVa, 1), kData | kRwUser | c);
  r.enter_long_mode();
  r.cpu.write<uint64_t>(VirtAddr(kVa + 8), 0x1122334455667788ull);
  r.port.log.clear();
  r.cpu.tlb().flush_all();
  EXPECT_EQ(r.cpu.read<uint64_t>(VirtAddr(kVa + 8)), 0x1122334455667788ull);

  const auto& log = r.port.log;
  ASSERT_EQ(log.size(), 5u);  // four table reads (A bits already set), one data read
  const uint64_t expect_pa[] = {pt.root() + 8 * pte::index_at(kVa, 4),
                                pdpt + 8 * pte::index_at(kVa, 3), pd + 8 * pte::index_at(kVa, 2),
                                ptab + 8 * pte::index_at(kVa, 1), kData + 8};
  const bool expect_c[] = {true, false, true, false, true};
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(log[i].write);
    EXPECT_EQ(log[i].pa, expect_pa[i]);  // the C-bit never reaches the address
    EXPECT_EQ(log[i].attr.c_bit, expect_c[i]);
    EXPECT_EQ(log[i].attr.asid, Asid(0));
  }
  // The data really is encrypted in DRAM (control for the leaf C-bit).
  r.cpu.wbinvd();
  EXPECT_NE(load_le<uint64_t>(r.raw(kData + 8, 8).data()), 0x1122334455667788ull);
}

TEST(CpuMmu, AlwaysPrivatePolicyReadsTablesWithTheKeyWhateverTheCBit) {
  // The hook the SEV guest walk will use: tables read private even where no C-bit is set.
  CpuRig r;
  testing::RecordingPort& port = r.port;
  PhysTableReader reader(port, Asid(0));
  r.pt.make_root(true);
  r.pt.map(kVa, kData, kRwUser, false, true);
  Mmu mmu(reader, r.cpu.phys_layout(), WalkPolicy{true, true});
  PagingMode mode{true, true, true, true, r.pt.root()};  // CR3 without the C-bit
  port.log.clear();
  const Translation t = mmu.translate(VirtAddr(kVa), Access::Fetch, false, mode);
  EXPECT_EQ(t.pa.value, kData);
  EXPECT_TRUE(t.c_bit);  // fetch always private
  for (const auto& a : port.log) EXPECT_TRUE(a.attr.c_bit);
  // Control: the host policy reads the (encrypted) root with C=0 and gets garbage.
  Mmu host(reader, r.cpu.phys_layout());
  r.cpu.wbinvd();
  bool ok = false;
  try {
    ok = host.translate(VirtAddr(kVa), Access::Read, false, mode).pa.value == kData;
  } catch (const PageFault&) {
  }
  EXPECT_FALSE(ok);
}

// The walker reaches tables only through its PageTableReader: a reader that relocates every
// table address (as the nested walk will turn a guest physical address into a system one)
// is all it takes to walk tables that live elsewhere.
class RelocatingReader final : public PageTableReader {
 public:
  RelocatingReader(PhysMemPort& mem, uint64_t offset) : inner_(mem, Asid(0)), offset_(offset) {}
  uint64_t read_entry(uint64_t addr, bool c) override {
    seen.push_back(addr);
    return inner_.read_entry(addr + offset_, c);
  }
  void write_entry(uint64_t addr, uint64_t v, bool c) override {
    inner_.write_entry(addr + offset_, v, c);
  }
  std::vector<uint64_t> seen;

 private:
  PhysTableReader inner_;
  uint64_t offset_;
};

TEST(CpuMmu, WalkerReadsTablesOnlyThroughItsPort) {
  CpuRig r;
  constexpr uint64_t kShift = 0x1000000;  // tables really sit 16 MiB higher
  testing::PageTableBuilder real(r.cache, r.cpu.c_bit_mask(), 0x100000 + kShift);
  real.make_root(false);
  // Entries hold the "guest" addresses (real - kShift); the reader adds kShift back.
  auto [t, i] = real.map(kVa, kData, kRwUser, false);
  (void)t;
  (void)i;
  for (uint64_t tbl = real.root(); tbl < real.root() + 4 * kPageSize; tbl += kPageSize)
    for (unsigned k = 0; k < 512; ++k) {
      const uint64_t e = real.get(tbl, k);
      if ((e & pte::kP) && tbl + kPageSize <= real.root() + 3 * kPageSize)
        real.set(tbl, k, e - kShift);  // non-leaf entries point at relocated tables
    }
  RelocatingReader reader(r.cache, kShift);
  Mmu mmu(reader, r.cpu.phys_layout());
  const PagingMode mode{true, true, true, true, real.root() - kShift};
  EXPECT_EQ(mmu.translate(VirtAddr(kVa), Access::Read, false, mode).pa.value, kData);
  ASSERT_EQ(reader.seen.size(), 4u);
  for (uint64_t a : reader.seen) EXPECT_LT(a, 0x100000 + 4 * kPageSize);  // "guest" addresses
}

TEST(CpuMmu, NotPresentErrorCodes) {
  CpuRig r;
  r.pt.make_root(false);
  r.enter_long_mode();
  auto& cpu = r.cpu;
  uint8_t b[1];
  EXPECT_EQ(expect_pf([&] { cpu.read_virt(VirtAddr(kVa), b); }).error_code(), 0u);
  EXPECT_EQ(cpu.cr2(), kVa);
  EXPECT_EQ(expect_pf([&] { cpu.write_virt(VirtAddr(kVa), b); }).error_code(), pf_err::kWrite);
  EXPECT_EQ(expect_pf([&] { cpu.fetch_virt(VirtAddr(kVa), b); }).error_code(), pf_err::kFetch);
  cpu.set_cpl(3);
  EXPECT_EQ(expect_pf([&] { cpu.read_virt(VirtAddr(kVa + 5), b); }).error_code(), pf_err::kUser);
  EXPECT_EQ(cpu.cr2(), kVa + 5);
  EXPECT_EQ(expect_pf([&] { cpu.write_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kUser | pf_err::kWrite);
  EXPECT_EQ(expect_pf([&] { cpu.fetch_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kUser | pf_err::kFetch);
  // Not present at the leaf only (upper levels present) gives the same code.
  r.pt.map(kVa, kData, 0 /* P=0 */, false);
  cpu.set_cpl(0);
  EXPECT_EQ(expect_pf([&] { cpu.read_virt(VirtAddr(kVa), b); }).error_code(), 0u);
  // Control: once present, the read works.
  r.pt.map(kVa, kData, kRwUser, false);
  cpu.invlpg(VirtAddr(kVa));
  EXPECT_NO_THROW(cpu.read_virt(VirtAddr(kVa), b));
}

TEST(CpuMmu, WriteToReadOnlyHonoursCr0Wp) {
  CpuRig r;
  r.pt.make_root(false);
  r.pt.map(kVa, kData, pte::kP | pte::kUs, false);  // read-only user page
  r.enter_long_mode(true, true, /*wp=*/true);
  auto& cpu = r.cpu;
  uint8_t b[1] = {7};
  EXPECT_NO_THROW(cpu.read_virt(VirtAddr(kVa), b));
  EXPECT_EQ(expect_pf([&] { cpu.write_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kPresent | pf_err::kWrite);
  cpu.set_cpl(3);
  EXPECT_EQ(expect_pf([&] { cpu.write_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kPresent | pf_err::kWrite | pf_err::kUser);
  // CR0.WP=0: the supervisor may write a read-only page, the user still may not.
  cpu.set_cpl(0);
  cpu.mov_to_cr0(cpu.cr0() & ~cr0::kWp);
  EXPECT_NO_THROW(cpu.write_virt(VirtAddr(kVa), b));
  cpu.set_cpl(3);
  EXPECT_THROW(cpu.write_virt(VirtAddr(kVa), b), PageFault);
}

TEST(CpuMmu, ReadOnlyAtAnUpperLevelIsEnough) {
  CpuRig r;
  r.pt.make_root(false);
  r.pt.map(kVa, kData, kRwUser, false, false, 1, pte::kP | pte::kUs);  // tables read-only
  r.enter_long_mode();
  uint8_t b[1] = {};
  EXPECT_EQ(expect_pf([&] { r.cpu.write_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kPresent | pf_err::kWrite);
}

TEST(CpuMmu, UserAccessToSupervisorPage) {
  CpuRig r;
  r.pt.make_root(false);
  r.pt.map(kVa, kData, pte::kP | pte::kRw, false);  // supervisor page
  r.enter_long_mode();
  uint8_t b[1];
  EXPECT_NO_THROW(r.cpu.read_virt(VirtAddr(kVa), b));  // control: CPL 0 may
  r.cpu.set_cpl(3);
  EXPECT_EQ(expect_pf([&] { r.cpu.read_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kPresent | pf_err::kUser);
  EXPECT_EQ(expect_pf([&] { r.cpu.fetch_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kPresent | pf_err::kUser | pf_err::kFetch);
}

TEST(CpuMmu, FetchFromNxPage) {
  CpuRig r;
  r.pt.make_root(false);
  r.pt.map(kVa, kData, kRwUser | pte::kNx, false);
  r.enter_long_mode(/*nxe=*/true);
  uint8_t b[1];
  EXPECT_NO_THROW(r.cpu.read_virt(VirtAddr(kVa), b));  // data reads are fine
  EXPECT_EQ(expect_pf([&] { r.cpu.fetch_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kPresent | pf_err::kFetch);
  // With EFER.NXE=0 bit 63 is reserved: any access faults with RSVD (and no I/D bit).
  r.cpu.mov_to_cr0(0);
  r.cpu.wrmsr(msr::kEfer, efer::kLme);
  r.cpu.mov_to_cr0(cr0::kPe | cr0::kPg);
  EXPECT_EQ(expect_pf([&] { r.cpu.read_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kPresent | pf_err::kRsvd);
}

TEST(CpuMmu, ReducedAddressBitsAreReservedButNotTheCBit) {
  // Naples: MAXPHYADDR 48, reduction 5 -> bits 43..46 reserved (47 is the C-bit), and 48..51
  // are above MAXPHYADDR anyway.
  for (unsigned bit : {43u, 46u, 48u, 51u}) {
    SCOPED_TRACE(bit);
    CpuRig r("naples", true);
    r.pt.make_root(false);
    auto [table, idx] = r.pt.map(kVa, kData, kRwUser, false);
    r.pt.set(table, idx, r.pt.get(table, idx) | 1ull << bit);
    r.enter_long_mode();
    uint8_t b[1];
    const PageFault pf = expect_pf([&] { r.cpu.read_virt(VirtAddr(kVa), b); });
    EXPECT_EQ(pf.error_code(), pf_err::kPresent | pf_err::kRsvd);
    EXPECT_EQ(r.cpu.cr2(), kVa);
  }
  // Control: the C-bit itself is not reserved.
  CpuRig r("naples", true);
  r.pt.make_root(false);
  r.pt.map(kVa, kData, kRwUser, true);
  r.enter_long_mode();
  uint8_t b[1];
  EXPECT_NO_THROW(r.cpu.read_virt(VirtAddr(kVa), b));
}

TEST(CpuMmu, WithoutMemoryEncryptionTheBitsAreAddressBits) {
  // SYSCFG[MemEncryptionModEn]=0: no reduction, no C-bit. Bit 43 and bit 47 are address bits.
  CpuRig r("naples", false);
  r.pt.make_root(false);
  auto [table, idx] = r.pt.map(kVa, kData, kRwUser, false);
  r.pt.set(table, idx, r.pt.get(table, idx) | 1ull << 43 | 1ull << 47);
  r.enter_long_mode();
  const Translation t = r.cpu.translate(VirtAddr(kVa), Access::Read);
  EXPECT_EQ(t.pa.value, kData | 1ull << 43 | 1ull << 47);
  EXPECT_FALSE(t.c_bit);
  // Bits above MAXPHYADDR stay reserved.
  r.pt.set(table, idx, r.pt.get(table, idx) | 1ull << 49);
  r.cpu.invlpg(VirtAddr(kVa));
  EXPECT_EQ(expect_pf([&] { r.cpu.translate(VirtAddr(kVa), Access::Read); }).error_code(),
            pf_err::kPresent | pf_err::kRsvd);
}

TEST(CpuMmu, GenoaReservesItsOwnReducedBits) {
  // Genoa: MAXPHYADDR 52, C-bit 51, reduction 6 -> usable 46 bits, 46..50 reserved.
  CpuRig r("genoa", true);
  EXPECT_EQ(r.cpu.phys_layout().phys_bits, 46u);
  EXPECT_EQ(r.cpu.phys_layout().reserved_mask, bit_range(46, 51));
  r.pt.make_root(true);
  auto [table, idx] = r.pt.map(kVa, kData, kRwUser, true, true);
  r.enter_long_mode();
  uint8_t b[1];
  EXPECT_NO_THROW(r.cpu.read_virt(VirtAddr(kVa), b));
  r.pt.set(table, idx, r.pt.get(table, idx) | 1ull << 50);
  r.cpu.invlpg(VirtAddr(kVa));
  EXPECT_EQ(expect_pf([&] { r.cpu.read_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kPresent | pf_err::kRsvd);
}

TEST(CpuMmu, ReservedBitsAtUpperLevels) {
  CpuRig r;
  r.pt.make_root(false);
  r.pt.map(kVa, kData, kRwUser, false);
  const unsigned i4 = pte::index_at(kVa, 4);
  const uint64_t pml4e = r.pt.get(r.pt.root(), i4);
  r.enter_long_mode();
  uint8_t b[1];
  // PML4E bit 7 (PS) is must-be-zero.
  r.pt.set(r.pt.root(), i4, pml4e | pte::kPs);
  EXPECT_EQ(expect_pf([&] { r.cpu.read_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kPresent | pf_err::kRsvd);
  // A reduced address bit in the PML4E.
  r.pt.set(r.pt.root(), i4, pml4e | 1ull << 45);
  EXPECT_EQ(expect_pf([&] { r.cpu.read_virt(VirtAddr(kVa), b); }).error_code(),
            pf_err::kPresent | pf_err::kRsvd);
  r.pt.set(r.pt.root(), i4, pml4e);
  EXPECT_NO_THROW(r.cpu.read_virt(VirtAddr(kVa), b));
}

TEST(CpuMmu, AccessedAndDirtyBits) {
  CpuRig r;
  r.pt.make_root(true);
  auto [table, idx] = r.pt.map(kVa, kData, kRwUser, true, true);
  r.enter_long_mode();
  EXPECT_FALSE(r.pt.get(table, idx) & (pte::kA | pte::kD));
  (void)r.cpu.read<uint32_t>(VirtAddr(kVa));
  EXPECT_TRUE(r.pt.get(table, idx) & pte::kA);
  EXPECT_FALSE(r.pt.get(table, idx) & pte::kD);
  EXPECT_TRUE(r.pt.get(r.pt.root(), pte::index_at(kVa, 4)) & pte::kA);
  // The first write sets D even though the TLB already holds the page.
  r.cpu.write<uint32_t>(VirtAddr(kVa), 1);
  EXPECT_TRUE(r.pt.get(table, idx) & pte::kD);
  // The A/D write-backs used the table's own key (the entry still decrypts correctly).
  EXPECT_EQ(r.pt.get(table, idx) & 0x000FFFFFFFFFF000ull & ~r.cpu.c_bit_mask(), kData);
}

TEST(CpuMmu, LargePages) {
  CpuRig r;
  r.pt.make_root(false);
  constexpr uint64_t kVa2M = 0x40000000ull + (3ull << 21), kPa2M = 0x1200000;  // 18 MiB
  constexpr uint64_t kVa1G = 0x8000000000ull, kPa1G = 0;                       // DRAM from 0
  r.pt.map(kVa2M, kPa2M, kRwUser, true, false, 2);
  r.pt.map(kVa1G, kPa1G, kRwUser, false, false, 3);
  r.enter_long_mode();
  Translation t = r.cpu.translate(VirtAddr(kVa2M + 0x12345), Access::Read);
  EXPECT_EQ(t.pa.value, kPa2M + 0x12345);
  EXPECT_TRUE(t.c_bit);
  t = r.cpu.translate(VirtAddr(kVa1G + 0x3456789), Access::Write);
  EXPECT_EQ(t.pa.value, kPa1G + 0x3456789);
  EXPECT_FALSE(t.c_bit);
  // 2 MiB PDE bits 20:13 are reserved.
  const uint64_t pdpt = r.pt.get(r.pt.root(), pte::index_at(kVa2M, 4)) & 0xFFFFFFFFF000ull;
  const uint64_t pd = r.pt.get(pdpt, pte::index_at(kVa2M, 3)) & 0xFFFFFFFFF000ull;
  const unsigned i2 = pte::index_at(kVa2M, 2);
  r.pt.set(pd, i2, r.pt.get(pd, i2) | 1ull << 13);
  r.cpu.invlpg(VirtAddr(kVa2M + 0x12345));  // invalidates the whole 2 MiB page
  EXPECT_EQ(expect_pf([&] { r.cpu.translate(VirtAddr(kVa2M), Access::Read); }).error_code(),
            pf_err::kPresent | pf_err::kRsvd);
}

TEST(CpuMmu, NonCanonicalAddressIsGp) {
  CpuRig r;
  r.pt.make_root(false);
  r.enter_long_mode();
  uint8_t b[1];
  EXPECT_THROW(r.cpu.read_virt(VirtAddr(0x0000800000000000ull), b), GeneralProtection);
}

TEST(CpuMmu, AccessCrossingIntoAFaultingPageTouchesNothing) {
  CpuRig r;
  r.pt.make_root(false);
  r.pt.map(kVa, kData, kRwUser, false);  // kVa + 4096 is not mapped
  r.enter_long_mode();
  r.cpu.write<uint64_t>(VirtAddr(kVa + 4088), 0);
  uint8_t b[16];
  std::fill(std::begin(b), std::end(b), 0xAB);
  const PageFault pf = expect_pf([&] { r.cpu.write_virt(VirtAddr(kVa + 4088), b); });
  EXPECT_EQ(pf.cr2().value, kVa + 4096);
  EXPECT_EQ(r.cpu.read<uint64_t>(VirtAddr(kVa + 4088)), 0u);  // first page untouched
}

TEST(CpuMmu, PagingOffIsIdentityWithoutCBit) {
  CpuRig r;
  const Translation t = r.cpu.translate(VirtAddr(0x5000), Access::Read);
  EXPECT_EQ(t.pa.value, 0x5000u);
  EXPECT_FALSE(t.c_bit);
}

}  // namespace
}  // namespace cbit::hw
