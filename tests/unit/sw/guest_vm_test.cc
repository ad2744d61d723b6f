// The guest kernel end to end: booted by the hypervisor model (sw/hv/) as a plain, SEV and
// SEV-ES guest on a simulated Milan with SME, running seed 004's program from its disk, and
// what the hypervisor's own view of guest RAM (VmMemory::read, what a dump-guest-memory sees)
// then holds. Seed 004's observations are the assertions: with SEV the secret is nowhere in
// the dump, only the format string in the shared bounce buffers; without SEV both are there.
#include <gtest/gtest.h>

#include <memory>

#include "common/error.h"
#include "common/file.h"
#include "hw/svm/vmcb.h"
#include "sw/ghcb/ghcb.h"
#include "sw/guest/kernel.h"
#include "sw/hv/devices.h"
#include "sw/hv/vm.h"
#include "unit/sw/hv_vm_rig.h"
#include "unit/x86/elf_builder.h"
#include "x86/guest_programs.h"

namespace cbit::sw::guest {
namespace {

using hv::SevMode;
namespace ec = hw::svm::exit_code;

constexpr uint64_t kRam = 32ull << 20;
constexpr char kSevLine[] = "AMD Secure Encrypted Virtualization (SEV) active";
constexpr char kBounceLine[] = "SEV is active and system is using DMA bounce buffers";

Bytes secret_elf() {
  try {
    return read_file(x86::find_guest_program("secret"), uint64_t(64) << 20);
  } catch (const InputError&) {
    return {};
  }
}

struct GuestVm {
  GuestVm(SevMode mode, Bytes disk) : host(true), k(GuestKernelConfig{kRam}) {
    hv::VmConfig cfg;
    cfg.mode = mode;
    cfg.ram_bytes = kRam;
    cfg.policy = mode == SevMode::SevEs ? 0x4 : 0x0;
    cfg.disk = std::move(disk);
    vm = std::make_unique<hv::Vm>(host.m, host.k, mode == SevMode::None ? nullptr : &host.kvm, cfg);
    const auto r = vm->launch(nullptr);
    EXPECT_EQ(r.rc, 0) << r.step;
  }
  hw::svm::VmExit run() { return vm->run(k); }
  // The hypervisor's view of all of guest RAM.
  Bytes dump() {
    Bytes b(kRam);
    vm->memory().read(GuestPhysAddr(0), b);
    return b;
  }
  bool dmesg_has(std::string_view s) const {
    for (const auto& l : k.dmesg())
      if (l.find(s) != std::string::npos) return true;
    return false;
  }
  hv::test::VmHost host;
  std::unique_ptr<hv::Vm> vm;
  GuestKernel k;
};

size_t count(ByteSpan hay, std::string_view s) { return count_occurrences(hay, as_bytes(s)); }

// Offsets of every occurrence of s.
std::vector<uint64_t> where(ByteSpan hay, std::string_view s) {
  std::vector<uint64_t> out;
  const auto n = as_bytes(s);
  for (auto it = hay.begin(); (it = std::search(it, hay.end(), n.begin(), n.end())) != hay.end();
       ++it)
    out.push_back(static_cast<uint64_t>(it - hay.begin()));
  return out;
}

class GuestVmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    elf_ = secret_elf();
    // cbit_tests depends on cbit_guest_programs, so a missing secret.elf is a build fault.
    if (elf_.empty()) GTEST_FAIL() << "examples/guest/secret.elf was not built";
  }
  Bytes disk() const { return hv::make_cbit_disk(elf_, "secret.elf"); }
  Bytes elf_;
};

TEST_F(GuestVmTest, SevGuestBootsPrintsSeedLinesAndHidesTheSecret) {
  GuestVm g(SevMode::Sev, disk());
  g.k.queue_program({"secret.elf", "123"});
  const auto exit = g.run();
  EXPECT_EQ(exit.code, ec::kHlt);
  ASSERT_TRUE(g.k.booted());
  EXPECT_FALSE(g.k.panicked());
  EXPECT_EQ(g.k.sev_status(), 1u);
  EXPECT_EQ(g.k.sme_me_mask(), g.host.m.cbit_mask());
  EXPECT_TRUE(g.dmesg_has(kSevLine));
  EXPECT_TRUE(g.dmesg_has(kBounceLine));
  // The console the hypervisor collected carries the log and the program's line.
  const std::string& con = g.vm->console().text();
  EXPECT_NE(con.find(std::string("] ") + kSevLine + "\n"), std::string::npos);
  EXPECT_NE(con.find(kBounceLine), std::string::npos);
  EXPECT_NE(con.find("My secret is 123\n"), std::string::npos);
  EXPECT_EQ(con, g.k.console());
  ASSERT_EQ(g.k.programs().size(), 1u);
  const ProgramRun& p = g.k.programs()[0];
  EXPECT_EQ(p.state, ProgramRun::State::Paused) << p.detail;
  EXPECT_EQ(p.output, "My secret is 123\n");

  // The pool and the request page were announced as shared (KVM_HC_MAP_GPA_RANGE).
  const SwiotlbPool* pool = g.k.swiotlb();
  ASSERT_NE(pool, nullptr);
  EXPECT_TRUE(g.vm->shared_gfns().count(pool->start().pfn()));
  EXPECT_TRUE(g.vm->shared_gfns().count(g.k.blk_request_gpa()->pfn()));
  EXPECT_FALSE(g.vm->shared_gfns().count(p.user_pages.front().pfn()));

  const Bytes ram = g.dump();
  EXPECT_EQ(count(ram, "My secret is 123"), 0u);
  // The page cache is private: the hypervisor does not even see the ELF magic there.
  EXPECT_NE(Bytes(ram.begin() + p.page_cache[0].value, ram.begin() + p.page_cache[0].value + 4),
            Bytes({0x7f, 'E', 'L', 'F'}));
  const auto fmt_at = where(ram, "My secret is %d");
  ASSERT_FALSE(fmt_at.empty()) << "the bounce buffer should still hold the program's bytes";
  for (uint64_t off : fmt_at)
    EXPECT_TRUE(pool->contains(GuestPhysAddr(off))) << std::hex << "found at GPA " << off;
}

TEST_F(GuestVmTest, WithoutSevTheSecretIsInTheDump) {
  GuestVm g(SevMode::None, disk());
  g.k.queue_program({"secret.elf", "123"});
  EXPECT_EQ(g.run().code, ec::kHlt);
  EXPECT_EQ(g.k.sev_status(), 0u);
  EXPECT_EQ(g.k.sme_me_mask(), 0u);
  EXPECT_FALSE(g.dmesg_has(kSevLine));
  EXPECT_FALSE(g.dmesg_has("bounce buffers"));
  EXPECT_FALSE(g.dmesg_has("SEV"));
  EXPECT_TRUE(g.vm->shared_gfns().empty());
  ASSERT_EQ(g.k.programs().size(), 1u);
  EXPECT_EQ(g.k.programs()[0].output, "My secret is 123\n");
  const Bytes ram = g.dump();
  EXPECT_GT(count(ram, "My secret is 123"), 0u);
  // The device wrote straight into the page cache (no bounce): the file is there in the clear.
  const uint64_t pc = g.k.programs()[0].page_cache[0].value;
  EXPECT_EQ(Bytes(ram.begin() + pc, ram.begin() + pc + 4), Bytes({0x7f, 'E', 'L', 'F'}));
  EXPECT_EQ(g.k.swiotlb()->used(), 0u);
  // The format string: in the page cache and the program's pages, not in bounce buffers.
  const auto fmt_at = where(ram, "My secret is %d");
  EXPECT_GE(fmt_at.size(), 2u);
  for (uint64_t off : fmt_at) EXPECT_FALSE(g.k.swiotlb()->contains(GuestPhysAddr(off)));
}

TEST_F(GuestVmTest, SevEsGuestBootsThroughVcAndTheGhcb) {
  GuestVm g(SevMode::SevEs, disk());
  g.k.queue_program({"secret.elf", "123"});
  EXPECT_EQ(g.run().code, ec::kHlt);
  ASSERT_TRUE(g.k.booted());
  EXPECT_FALSE(g.k.panicked());
  EXPECT_EQ(g.k.sev_status(), 3u);
  EXPECT_TRUE(g.dmesg_has("AMD Memory Encryption Features active: SEV SEV-ES"));
  EXPECT_TRUE(g.dmesg_has("Memory encryption is active and system is using DMA bounce buffers"));
  EXPECT_FALSE(g.dmesg_has(kSevLine));  // the pre-5.10 string is not what a 5.10 kernel prints
  EXPECT_EQ(g.k.ghcb_protocol(), ghcb::kProtocolMax);
  ASSERT_TRUE(g.k.ghcb_gpa().has_value());
  EXPECT_EQ(g.vm->vcpu().ghcb_gpa(), std::optional<uint64_t>(g.k.ghcb_gpa()->value));
  EXPECT_TRUE(g.vm->shared_gfns().count(g.k.ghcb_gpa()->pfn()));

  // Every exit but the final HLT was a VMGEXIT the guest chose: no CPUID, IOIO or VMMCALL
  // intercepts reached the hypervisor directly.
  const auto& exits = g.vm->vcpu().exits();
  EXPECT_EQ(exits.count(ec::kCpuid), 0u);
  EXPECT_EQ(exits.count(ec::kIoio), 0u);
  EXPECT_EQ(exits.count(ec::kVmmcall), 0u);
  ASSERT_TRUE(exits.count(ec::kVmgexit));
  EXPECT_EQ(exits.at(ec::kVmgexit), g.k.vmgexits());
  const auto& vg = g.vm->vcpu().vmgexits();
  namespace mp = ghcb::msr_proto;
  EXPECT_EQ(vg.at(mp::kSevInfoReq), 1u);
  EXPECT_EQ(vg.at(mp::kRegGpaReq), 1u);
  EXPECT_GE(vg.at(mp::kCpuidReq), 8u);  // two leaves before the GHCB, four registers each
  EXPECT_GE(vg.at(ec::kCpuid), 2u);     // identify_cpu through the GHCB
  EXPECT_GE(vg.at(ec::kMsr), 1u);
  EXPECT_GE(vg.at(ec::kVmmcall), 3u);  // GHCB, swiotlb, request page: KVM_HC_MAP_GPA_RANGE
  EXPECT_GT(vg.at(ec::kIoio), g.k.console().size());  // each console byte + the disk kicks
  uint64_t total = 0;
  for (const auto& [code, n] : vg) total += n;
  EXPECT_EQ(total, g.k.vmgexits());
  EXPECT_GT(g.k.vc_exceptions(), 0u);

  EXPECT_EQ(g.k.programs().at(0).output, "My secret is 123\n");
  EXPECT_NE(g.vm->console().text().find("My secret is 123\n"), std::string::npos);
  const Bytes ram = g.dump();
  EXPECT_EQ(count(ram, "My secret is 123"), 0u);
  for (uint64_t off : where(ram, "My secret is %d"))
    EXPECT_TRUE(g.k.swiotlb()->contains(GuestPhysAddr(off))) << std::hex << off;
  // No register in the GHCB page holds the secret either: it only ever carried single bytes.
  Bytes ghcb_page(kPageSize);
  g.vm->memory().read(*g.k.ghcb_gpa(), ghcb_page);
  EXPECT_EQ(count(ghcb_page, "secret"), 0u);
}

TEST_F(GuestVmTest, PausedProgramStaysResidentAcrossRuns) {
  GuestVm g(SevMode::None, disk());
  g.k.queue_program({"secret.elf", "123"});
  ASSERT_EQ(g.run().code, ec::kHlt);
  int rc = -1;
  g.k.queue([&](GuestKernel& k) {
    const auto p = k.alloc_pages(0);
    rc = p ? k.set_memory_decrypted(*p, 1) : -1;  // without SEV: nothing to do
  });
  ASSERT_EQ(g.run().code, ec::kHlt);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(g.k.programs().at(0).state, ProgramRun::State::Paused);
  EXPECT_GT(count(g.dump(), "My secret is 123"), 0u);  // its stack is still there
}

TEST_F(GuestVmTest, SetMemoryRefusesUnalignedAddresses) {
  GuestVm g(SevMode::Sev, disk());
  int bad = 0, good = -1, back = -1;
  g.k.queue([&](GuestKernel& k) {
    const auto p = k.alloc_pages(0);
    ASSERT_TRUE(p);
    bad = k.set_memory_decrypted(*p + 8, 1);
    good = k.set_memory_decrypted(*p, 1);
    back = k.set_memory_encrypted(*p, 1);
  });
  ASSERT_EQ(g.run().code, ec::kHlt);
  EXPECT_EQ(bad, -22);
  EXPECT_EQ(good, 0);
  EXPECT_EQ(back, 0);
}

TEST_F(GuestVmTest, UnknownProgramIsNotFound) {
  GuestVm g(SevMode::Sev, disk());
  g.k.queue_program({"nothere", "1"});
  EXPECT_EQ(g.run().code, ec::kHlt);
  ASSERT_EQ(g.k.programs().size(), 1u);
  EXPECT_EQ(g.k.programs()[0].state, ProgramRun::State::NotFound);
  EXPECT_NE(g.vm->console().text().find("-sh: nothere: command not found"), std::string::npos);
}

TEST_F(GuestVmTest, NotAnElfIsRefused) {
  GuestVm g(SevMode::Sev, hv::make_cbit_disk(as_bytes("#!/bin/sh\necho hi\n"), "script"));
  g.k.queue_program({"script"});
  EXPECT_EQ(g.run().code, ec::kHlt);
  ASSERT_EQ(g.k.programs().size(), 1u);
  EXPECT_EQ(g.k.programs()[0].state, ProgramRun::State::BadExecutable);
  EXPECT_NE(g.vm->console().text().find("Exec format error"), std::string::npos);
}

// Tiny programs from machine code: exit(7), and a load from address 0.
Bytes tiny_elf(Bytes code) {
  return x86::testing::build_elf(0x401000, {{0x401000, PF_R | PF_X, std::move(code)}});
}

TEST(GuestPrograms, ExitFreesTheProgramsPages) {
  // mov edi, 7; mov eax, 231 (exit_group); syscall
  GuestVm g(
      SevMode::Sev,
      hv::make_cbit_disk(tiny_elf({0xbf, 7, 0, 0, 0, 0xb8, 231, 0, 0, 0, 0x0f, 0x05}), "exit7"));
  g.k.queue_program({"exit7"});
  GuestPhysAddr reused;
  g.k.queue([&](GuestKernel& k) { reused = k.__pa(*k.alloc_pages(0)); });
  ASSERT_EQ(g.run().code, ec::kHlt);
  ASSERT_EQ(g.k.programs().size(), 1u);
  const ProgramRun& p = g.k.programs()[0];
  EXPECT_EQ(p.state, ProgramRun::State::Exited) << p.detail;
  EXPECT_EQ(p.exit_code, 7);
  ASSERT_FALSE(p.user_pages.empty());
  // The next allocation takes a page the program gave back.
  EXPECT_NE(std::find(p.user_pages.begin(), p.user_pages.end(), reused), p.user_pages.end());
}

TEST(GuestPrograms, AFaultKillsTheProgramNotTheKernel) {
  // mov rax, [0]
  GuestVm g(SevMode::SevEs,
            hv::make_cbit_disk(tiny_elf({0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0}), "crash"));
  g.k.queue_program({"crash"});
  ASSERT_EQ(g.run().code, ec::kHlt);
  ASSERT_EQ(g.k.programs().size(), 1u);
  EXPECT_EQ(g.k.programs()[0].state, ProgramRun::State::Killed);
  EXPECT_FALSE(g.k.panicked());
  EXPECT_TRUE(g.dmesg_has("crash[1]: "));
  EXPECT_NE(g.vm->console().text().find("crash[1]: "), std::string::npos);
}

// Seed 002: a page shared with the hypervisor carries messages both ways; a private page
// next to it stays unreadable to the hypervisor.
void shared_page_exchange(SevMode mode, bool expect_private_hidden) {
  GuestVm g(mode, hv::make_cbit_disk(as_bytes("x"), "x"));
  GuestPhysAddr shared, priv;
  g.k.queue([&](GuestKernel& k) {
    shared = k.share_page();
    k.write_shared(shared, as_bytes("hello hypervisor"));
    const auto p = k.alloc_pages(0);
    ASSERT_TRUE(p);
    priv = k.__pa(*p);
    k.memcpy_to(*p, as_bytes("private note to self"));
  });
  ASSERT_EQ(g.run().code, ec::kHlt);
  Bytes page(kPageSize);
  g.vm->memory().read(shared, page);
  EXPECT_EQ(count(page, "hello hypervisor"), 1u);
  g.vm->memory().read(priv, page);
  EXPECT_EQ(count(page, "private note to self"), expect_private_hidden ? 0u : 1u);
  if (mode != SevMode::None) {
    EXPECT_TRUE(g.vm->shared_gfns().count(shared.pfn()));
    EXPECT_FALSE(g.vm->shared_gfns().count(priv.pfn()));
  }
  // The hypervisor answers in the shared page; the guest reads the answer.
  g.vm->memory().write(shared + 64, as_bytes("hello guest"));
  Bytes answer;
  g.k.queue([&](GuestKernel& k) { answer = k.read_shared(shared + 64, 11); });
  ASSERT_EQ(g.run().code, ec::kHlt);
  EXPECT_EQ(std::string(answer.begin(), answer.end()), "hello guest");
}

TEST(GuestSharedPage, SevKeepsThePrivatePagePrivate) { shared_page_exchange(SevMode::Sev, true); }
TEST(GuestSharedPage, SevEsKeepsThePrivatePagePrivate) {
  shared_page_exchange(SevMode::SevEs, true);
}
TEST(GuestSharedPage, WithoutSevBothAreReadable) { shared_page_exchange(SevMode::None, false); }

}  // namespace
}  // namespace cbit::sw::guest
