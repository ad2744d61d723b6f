// Seed 003's "Encryption Control" table, one test per row: who decides whether an access is
// encrypted, and with which key.
//
//   Access type               SME  Guest SEV  Encrypted  Key             Note
//   All                       X    X          No         N/A             SME disabled
//   All                       Yes  (host)     Optional   Host key        page tables' C-bit
//   All                       Opt. (guest, no SEV) Optional Host key     nested page tables' C-bit
//   Instruction fetch         -    Yes        Yes        Guest key       C-bit ignored
//   Guest page table access   -    Yes        Yes        Guest key       C-bit ignored
//   Nested page table access  -    Yes        Optional   Host key        nested tables' C-bit
//   Data access               -    Yes        Optional   Host/Guest key  guest and nested C-bits
//
// Each test writes a known pattern through the architectural path and then looks at the DRAM
// chips (the raw view) and through the other side's mapping, with the control case where the
// pattern must (or must not) show.
#include <gtest/gtest.h>

#include <cstring>

#include "../unit/sw/hv_vm_rig.h"
#include "hw/cpu/fault.h"

namespace cbit::sw::hv::test {
namespace {

constexpr std::string_view kPattern = "ENCRYPTION-CONTROL-PATTERN-0123456789";
ByteSpan pattern() {
  return ByteSpan(reinterpret_cast<const uint8_t*>(kPattern.data()), kPattern.size());
}
constexpr uint64_t kTables = 0x300000, kData = 0x400000, kVa = 0x7f0000000000;

uint64_t cbit_mask(hw::Machine& m) { return m.cbit_mask(); }

// Row 1: SME disabled in the BIOS: nothing is encrypted, whatever software sets.
TEST(EncryptionControl, Row1_SmeDisabled_NothingEncrypted) {
  VmHost h(/*sme=*/false);
  EXPECT_EQ(h.k.sme_me_mask(), 0u);
  const auto va = *h.k.alloc_pages(0);
  h.k.memcpy_to(va, pattern());
  EXPECT_TRUE(contains(h.raw(h.k.__pa(va), 4096), kPattern));
  // A plain guest on that host: also in the clear, and SEV cannot be started.
  auto vm = h.make_vm(SevMode::None);
  FnGuest g([&](hw::Cpu& cpu) { cpu.write_virt(VirtAddr(kData), pattern()); });
  vm->run(g);
  EXPECT_TRUE(contains(h.raw(*vm->memory().gpa_to_spa(GuestPhysAddr(kData)), 4096), kPattern));
  EXPECT_THROW(h.make_vm(SevMode::Sev), InputError);
}

// Row 2: SME on the host: the page tables' C-bit decides, host key.
TEST(EncryptionControl, Row2_Host_PageTableCbitDecides) {
  VmHost h;
  ASSERT_NE(h.k.sme_me_mask(), 0u);
  const auto enc = *h.k.alloc_pages(0), dec = *h.k.alloc_pages(0);
  ASSERT_EQ(h.k.set_memory_decrypted(dec, 1), 0);
  h.k.memcpy_to(enc, pattern());
  h.k.memcpy_to(dec, pattern());
  EXPECT_FALSE(contains(h.raw(h.k.__pa(enc), 4096), kPattern));  // C=1: ciphertext in DRAM
  EXPECT_TRUE(contains(h.raw(h.k.__pa(dec), 4096), kPattern));   // C=0: plaintext (control)
}

// Row 3: a guest without SEV: only the nested page tables' C-bit matters (host key or none).
TEST(EncryptionControl, Row3_NonSevGuest_NestedCbitDecides) {
  VmHost h;
  auto vm = h.make_vm(SevMode::None);
  const uint64_t other = kData + 0x1000;
  const SysPhysAddr spa_other = *vm->memory().gpa_to_spa(GuestPhysAddr(other));
  vm->npt().map_page(GuestPhysAddr(other), spa_other, true, /*c_bit=*/false);
  FnGuest g([&](hw::Cpu& cpu) {
    cpu.write_virt(VirtAddr(kData), pattern());
    cpu.write_virt(VirtAddr(other), pattern());
  });
  vm->run(g);
  // Nested C=1 (KVM's default under SME): host key; the hypervisor's view reads it back.
  EXPECT_FALSE(contains(h.raw(*vm->memory().gpa_to_spa(GuestPhysAddr(kData)), 4096), kPattern));
  Bytes hv(4096);
  vm->memory().read(GuestPhysAddr(kData), hv);
  EXPECT_TRUE(contains(hv, kPattern));
  // Nested C=0: no encryption.
  EXPECT_TRUE(contains(h.raw(spa_other, 4096), kPattern));
}

// Row 4: an SEV guest's instruction fetches use the guest key whatever the PTE's C-bit says.
TEST(EncryptionControl, Row4_SevFetch_AlwaysGuestKey) {
  VmHost h;
  auto vm = h.make_vm(SevMode::Sev);
  ASSERT_EQ(vm->launch(nullptr).rc, 0);
  const uint64_t c = cbit_mask(h.m);
  Bytes fetched(kPattern.size()), data_read(kPattern.size());
  FnGuest g([&](hw::Cpu& cpu) {
    cpu.write_virt(VirtAddr(kData), pattern());  // paging off: private
    // Map the page with C=0: data reads then take the shared path, fetches do not.
    guest_enable_paging(cpu, guest_map_one(cpu, kTables, kVa, kData, c, false, true));
    cpu.fetch_virt(VirtAddr(kVa), fetched);
    cpu.read_virt(VirtAddr(kVa), data_read);
  });
  vm->run(g);
  EXPECT_EQ(fetched, Bytes(pattern().begin(), pattern().end()));
  EXPECT_NE(data_read, Bytes(pattern().begin(), pattern().end()));  // control: C-bit honoured
}

// Row 5: an SEV guest's page-table walks use the guest key, C-bits in CR3 and entries ignored.
TEST(EncryptionControl, Row5_SevGuestPageTables_AlwaysGuestKey) {
  VmHost h;
  auto vm = h.make_vm(SevMode::Sev);
  ASSERT_EQ(vm->launch(nullptr).rc, 0);
  const uint64_t c = cbit_mask(h.m);
  Bytes back(kPattern.size());
  uint64_t pt_entry_plain = 0;
  FnGuest g([&](hw::Cpu& cpu) {
    cpu.write_virt(VirtAddr(kData), pattern());
    // Tables written private (paging off) but pointed to WITHOUT the C-bit anywhere.
    const uint64_t cr3 = guest_map_one(cpu, kTables, kVa, kData, c, true, /*tables_c=*/false);
    pt_entry_plain = cpu.read<uint64_t>(VirtAddr(kTables + 0x3000 + 8 * ((kVa >> 12) & 511)));
    guest_enable_paging(cpu, cr3);
    cpu.read_virt(VirtAddr(kVa), back);
  });
  vm->run(g);
  EXPECT_EQ(back, Bytes(pattern().begin(), pattern().end()));  // the walk found the page
  // The table is guest-key ciphertext in DRAM: the PTE's bytes are not there.
  Bytes pte(8);
  store_le(pte.data(), pt_entry_plain);
  const Bytes raw = h.raw(*vm->memory().gpa_to_spa(GuestPhysAddr(kTables + 0x3000)), 4096);
  EXPECT_EQ(count_occurrences(raw, pte), 0u);
  // Control: a plain guest's identical tables are in the clear... under the nested C-bit
  // (host key) here, so read them through the hypervisor's view.
  auto plain = h.make_vm(SevMode::None);
  FnGuest g2([&](hw::Cpu& cpu) { guest_map_one(cpu, kTables, kVa, kData, 0, false, false); });
  plain->run(g2);
  Bytes hv(4096);
  plain->memory().read(GuestPhysAddr(kTables + 0x3000), hv);
  Bytes pte2(8);
  store_le<uint64_t>(pte2.data(), kData | 0x7);  // P|RW|US, no walk yet: no A bit
  EXPECT_EQ(count_occurrences(hv, pte2), 1u);
}

// Row 6: nested page tables follow the host's rules: nCR3's and the entries' C-bit, host key.
TEST(EncryptionControl, Row6_NestedTables_HostKeyByNestedCbit) {
  VmHost h;
  auto vm = h.make_vm(SevMode::Sev);
  ASSERT_EQ(vm->launch(nullptr).rc, 0);
  EXPECT_NE(vm->npt().ncr3() & cbit_mask(h.m), 0u);  // __sme_pa(root)
  // Guest RAM is mapped when the guest first touches it (KVM's #NPF on a not-present entry).
  EXPECT_FALSE(vm->npt().lookup(GuestPhysAddr(kData)).has_value());
  // The guest runs (the walk decrypts the tables with the host key)...
  Bytes back(kPattern.size());
  FnGuest g([&](hw::Cpu& cpu) {
    cpu.write_virt(VirtAddr(kData), pattern());
    cpu.read_virt(VirtAddr(kData), back);
  });
  vm->run(g);
  EXPECT_EQ(back, Bytes(pattern().begin(), pattern().end()));
  const auto leaf = vm->npt().lookup(GuestPhysAddr(kData));
  ASSERT_TRUE(leaf.has_value());
  EXPECT_TRUE(leaf->c_bit);
  // ...and the root table is ciphertext in DRAM, while without SME (control) it is plaintext.
  const auto root_raw = h.raw(SysPhysAddr(vm->npt().ncr3() & ~cbit_mask(h.m)), 4096);
  VmHost plain_host(/*sme=*/false);
  auto pvm = plain_host.make_vm(SevMode::None);
  FnGuest pg([&](hw::Cpu& cpu) { cpu.write_virt(VirtAddr(kData), pattern()); });
  pvm->run(pg);  // its first touch makes the tables below the root
  const auto proot = plain_host.raw(SysPhysAddr(pvm->npt().ncr3()), 4096);
  const auto nonzero_entries = [](const Bytes& t) {
    int n = 0;
    for (size_t i = 0; i < t.size(); i += 8) {
      const uint64_t e = load_le<uint64_t>(t.data() + i);
      if ((e & 0xfff) == 0x27) ++n;  // P|RW|US|A: a table entry as KVM writes it
    }
    return n;
  };
  EXPECT_EQ(nonzero_entries(root_raw), 0);
  EXPECT_EQ(nonzero_entries(proot), 1);
}

// Row 7: data: guest C=1 -> guest key; C=0 -> shared: nested C=1 host key, nested C=0 none.
TEST(EncryptionControl, Row7_SevData_GuestThenNestedCbit) {
  VmHost h;
  auto vm = h.make_vm(SevMode::Sev);
  ASSERT_EQ(vm->launch(nullptr).rc, 0);
  const uint64_t c = cbit_mask(h.m);
  const uint64_t priv = kData, shared_host = kData + 0x1000, shared_none = kData + 0x2000;
  const SysPhysAddr spa_none = *vm->memory().gpa_to_spa(GuestPhysAddr(shared_none));
  vm->npt().map_page(GuestPhysAddr(shared_none), spa_none, true, /*c_bit=*/false);
  FnGuest g([&](hw::Cpu& cpu) {
    // Three mappings: va0 -> priv (C=1), va1 -> shared_host (C=0), va2 -> shared_none (C=0).
    const uint64_t cr3 = guest_map_one(cpu, kTables, kVa, priv, c, true, true);
    const uint64_t pt = kTables + 0x3000, idx = (kVa >> 12) & 511;
    cpu.write<uint64_t>(VirtAddr(pt + 8 * (idx + 1)), shared_host | 0x7);
    cpu.write<uint64_t>(VirtAddr(pt + 8 * (idx + 2)), shared_none | 0x7);
    guest_enable_paging(cpu, cr3);
    for (int i = 0; i < 3; ++i) cpu.write_virt(VirtAddr(kVa + 0x1000 * i), pattern());
  });
  vm->run(g);
  const auto hv_sees = [&](uint64_t gpa) {
    Bytes b(4096);
    vm->memory().read(GuestPhysAddr(gpa), b);
    return contains(b, kPattern);
  };
  const auto in_dram = [&](uint64_t gpa) {
    return contains(h.raw(*vm->memory().gpa_to_spa(GuestPhysAddr(gpa)), 4096), kPattern);
  };
  EXPECT_FALSE(hv_sees(priv));  // guest key: the hypervisor gets garbage
  EXPECT_FALSE(in_dram(priv));
  EXPECT_TRUE(hv_sees(shared_host));  // host key: the hypervisor reads it, DRAM does not
  EXPECT_FALSE(in_dram(shared_host));
  EXPECT_TRUE(in_dram(shared_none));  // no key: anyone reads it
}

}  // namespace
}  // namespace cbit::sw::hv::test
