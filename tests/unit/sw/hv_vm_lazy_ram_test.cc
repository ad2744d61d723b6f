// Guest RAM faulted in on first use (sw/hv/vm.h): an SEV / SEV-ES guest's RAM is QEMU's
// anonymous memory. A page nobody touched has no backing in the host (no DRAM written) and reads
// as zeros in the hypervisor's dump (Linux's zero page); the guest's first access to a page is a
// nested page fault (#NPF, not present) that KVM resolves by faulting the page in and mapping it.
// The control: a page the guest wrote is its ciphertext in the dump, neither zeros nor its
// plaintext.
#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

#include "hv_vm_rig.h"
#include "hw/cpu/fault.h"
#include "hw/svm/vmcb.h"
#include "sw/hv/dump.h"
#include "tools/scan/dump_reader.h"
#include "unit/temp_dir.h"

namespace cbit::sw::hv::test {
namespace {

constexpr uint64_t kRam = 64ull << 20;
constexpr uint64_t kTouchedGpa = 0x200000;   // the guest writes a page of its secret here
constexpr uint64_t kUntouchedGpa = 0x30000;  // nobody ever touches this page
constexpr std::string_view kSecret = "LAZY-RAM-SECRET!";  // 16 bytes: one AES block

Bytes secret_page() {
  Bytes p(kPageSize);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(kSecret[i % kSecret.size()]);
  return p;
}

// The bytes of guest-physical [gpa, gpa+n) in an ELF core written by dump_guest_memory.
Bytes dumped(const std::string& path, uint64_t gpa, uint64_t n) {
  const auto layout = tools::scan::read_dump_layout(path);
  for (const auto& s : layout.segments) {
    if (gpa < s.gpa || gpa + n > s.gpa + s.file_size) continue;
    Bytes b(n);
    tools::scan::DumpFile(path).read_at(s.file_offset + (gpa - s.gpa), b);
    return b;
  }
  ADD_FAILURE() << "GPA " << gpa << " is in no PT_LOAD";
  return {};
}

bool all_zero(ByteSpan b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

TEST(HvVmLazyRam, SevEsUntouchedPageIsNotBackedAndDumpsAsZerosTouchedOneIsCiphertext) {
  VmHost h;  // SME on: a host-key clear of a page would write ciphertext into DRAM
  const size_t before = h.m.dram().touched_pages();
  auto vm = h.make_vm(SevMode::SevEs, kRam);
  ASSERT_EQ(vm->launch(nullptr).rc, 0);
  // Making and launching the VM backs almost none of its 64 MiB (its VMSA, VMCB, the tables).
  const size_t made = h.m.dram().touched_pages() - before;
  EXPECT_LT(made * kPageSize, 1ull << 20) << made << " pages";
  EXPECT_FALSE(vm->memory().present(GuestPhysAddr(kTouchedGpa)));
  EXPECT_TRUE(vm->memory().reads_as_zero(GuestPhysAddr(kUntouchedGpa)));

  const Bytes page = secret_page();
  FnGuest g([&](hw::Cpu& cpu) { cpu.write_virt(VirtAddr(kTouchedGpa), page); });
  ASSERT_EQ(vm->run(g).code, hw::svm::exit_code::kHlt);
  EXPECT_TRUE(vm->memory().present(GuestPhysAddr(kTouchedGpa)));
  EXPECT_FALSE(vm->memory().present(GuestPhysAddr(kUntouchedGpa)));
  EXPECT_LT((h.m.dram().touched_pages() - before) * kPageSize, 1ull << 20);

  h.m.cache().wbinvd();  // the guest's lines in DRAM, so the dump shows what the chips hold
  testutil::UniqueTempDir d("cbit-lazy-ram");
  const std::string path = (d.path() / "guest.core").string();
  dump_guest_memory(vm->memory(), path);
  // The dump is as large as the guest's RAM, but the file system holds only what was written.
  EXPECT_GE(std::filesystem::file_size(path), kRam);
  tools::scan::DumpFile f(path);
  uint64_t holes = 0;
  for (const auto& r : f.holes(0, std::filesystem::file_size(path))) holes += r.end - r.begin;
  EXPECT_GT(holes, kRam - (2ull << 20));

  const Bytes untouched = dumped(path, kUntouchedGpa, kPageSize);
  EXPECT_TRUE(all_zero(untouched));
  // Control: the page the guest wrote is ciphertext: not zeros, not the secret.
  const Bytes touched = dumped(path, kTouchedGpa, kPageSize);
  EXPECT_FALSE(all_zero(touched));
  EXPECT_EQ(count_occurrences(touched, ByteSpan(reinterpret_cast<const uint8_t*>(kSecret.data()),
                                                kSecret.size())),
            0u);
  EXPECT_NE(touched, page);
  // And the guest itself reads its plaintext back.
  Bytes back(kPageSize);
  FnGuest r([&](hw::Cpu& cpu) { cpu.read_virt(VirtAddr(kTouchedGpa), back); });
  ASSERT_EQ(vm->run(r).code, hw::svm::exit_code::kHlt);
  EXPECT_EQ(back, page);
}

TEST(HvVmLazyRam, FirstTouchIsANestedPageFaultKvmResolvesOnce) {
  VmHost h;
  auto vm = h.make_vm(SevMode::Sev, kRam);
  ASSERT_EQ(vm->launch(nullptr).rc, 0);
  EXPECT_FALSE(vm->npt().lookup(GuestPhysAddr(kTouchedGpa)).has_value());
  uint64_t hook_gpa = 0, hook_info = 0;
  vm->on_npf = [&](Vcpu&, uint64_t gpa, uint64_t info1) {
    hook_gpa = gpa, hook_info = info1;
    return false;  // not the attacker's page: KVM's own handler takes it
  };
  const Bytes page = secret_page();
  Bytes back(kPageSize);
  FnGuest g([&](hw::Cpu& cpu) {
    cpu.write_virt(VirtAddr(kTouchedGpa), page);
    cpu.read_virt(VirtAddr(kTouchedGpa), back);
    cpu.write_virt(VirtAddr(kTouchedGpa + 64), ByteSpan(page).first(64));
  });
  ASSERT_EQ(vm->run(g).code, hw::svm::exit_code::kHlt);
  EXPECT_EQ(back, page);
  // One exit for the page's first touch (a write to a not-present entry), none after it.
  EXPECT_EQ(vm->vcpu().exits().at(hw::svm::exit_code::kNpf), 1u);
  EXPECT_EQ(vm->tdp_faults(), 1u);
  EXPECT_EQ(hook_gpa, kTouchedGpa);
  EXPECT_FALSE(hook_info & hw::pf_err::kPresent);
  EXPECT_TRUE(hook_info & hw::pf_err::kWrite);
  const auto leaf = vm->npt().lookup(GuestPhysAddr(kTouchedGpa));
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ(leaf->spa, *vm->memory().gpa_to_spa(GuestPhysAddr(kTouchedGpa)));
  EXPECT_TRUE(leaf->writable);
  EXPECT_EQ(leaf->c_bit, h.k.sme_me_mask() != 0);
  // A GPA in no memslot is not KVM's to fault in: the run loop sees the #NPF (MMIO).
  FnGuest out([&](hw::Cpu& cpu) { cpu.write<uint64_t>(VirtAddr(kRam + 0x1000), 1); });
  const auto exit = vm->run(out);
  EXPECT_EQ(exit.code, hw::svm::exit_code::kNpf);
  EXPECT_EQ(vm->tdp_faults(), 1u);
}

// The hypervisor's own first touch (QEMU writing guest RAM) backs the page but maps nothing; the
// guest's first access still exits once, and sees what QEMU wrote (a plain VM: no keys).
TEST(HvVmLazyRam, QemusWriteBacksThePageTheGuestsAccessMapsIt) {
  VmHost h;
  auto vm = h.make_vm(SevMode::None, kRam);
  const Bytes page = secret_page();
  vm->memory().write(GuestPhysAddr(kTouchedGpa), page);
  EXPECT_TRUE(vm->memory().present(GuestPhysAddr(kTouchedGpa)));
  EXPECT_FALSE(vm->npt().lookup(GuestPhysAddr(kTouchedGpa)).has_value());
  Bytes back(kPageSize);
  FnGuest g([&](hw::Cpu& cpu) { cpu.read_virt(VirtAddr(kTouchedGpa), back); });
  ASSERT_EQ(vm->run(g).code, hw::svm::exit_code::kHlt);
  EXPECT_EQ(back, page);
  EXPECT_EQ(vm->tdp_faults(), 1u);
  // An untouched page reads as zeros to the guest too (the host cleared it when it faulted in).
  Bytes fresh(kPageSize, 0xaa);
  FnGuest z([&](hw::Cpu& cpu) { cpu.read_virt(VirtAddr(kUntouchedGpa), fresh); });
  ASSERT_EQ(vm->run(z).code, hw::svm::exit_code::kHlt);
  EXPECT_TRUE(all_zero(fresh));
  EXPECT_EQ(vm->tdp_faults(), 2u);
}

}  // namespace
}  // namespace cbit::sw::hv::test
