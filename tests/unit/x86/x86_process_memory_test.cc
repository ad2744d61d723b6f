// How memory flows between the Unicorn copy and cbit's CPU: fetches of unmapped or NX pages,
// self-modifying code, new mappings from a system call, accesses that straddle pages.
#include <gtest/gtest.h>

#include "hw/cpu/fault.h"
#include "unit/x86/x86_rig.h"
#include "x86/process.h"

namespace cbit::x86 {
namespace {

using testing::X86Rig;
using Reason = RunResult::Reason;

constexpr uint64_t kCode = 0x401000;
constexpr uint64_t kStackTop = 0x7fff0000;

void load_code(X86Rig& r, Process& p, const Bytes& code, unsigned prot = Prot::R | Prot::X) {
  r.mem.map(VirtAddr(kCode), kPageSize, Prot::R | Prot::W);
  r.mem.write(VirtAddr(kCode), code);
  p.map(VirtAddr(kCode), kPageSize, prot);
  p.map(VirtAddr(kStackTop - 4 * kPageSize), 4 * kPageSize, Prot::R | Prot::W);
  hw::GprFile g;
  g.rip = kCode;
  g.rsp = kStackTop - 64;
  p.set_regs(g);
}

TEST(X86ProcessMemory, JumpToUnmappedIsAFetchPageFault) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  load_code(rig, p, {0xb8, 0x00, 0x00, 0x00, 0x10, 0xff, 0xe0});  // mov eax,0x10000000; jmp rax
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Fault);
  EXPECT_EQ(r.fault->vector(), hw::PageFault::kVector);
  EXPECT_EQ(r.fault->error_code(), hw::pf_err::kUser | hw::pf_err::kFetch);
  EXPECT_EQ(r.fault_address->value, 0x10000000u);
  EXPECT_EQ(r.rip, 0x10000000u);
}

TEST(X86ProcessMemory, CodeMadeNxWhilePausedFaultsOnTheNextRun) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  load_code(rig, p,
            {0xb8, 34, 0, 0, 0, 0x0f, 0x05,                      // pause
             0xbf, 1, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05});  // exit(1)
  ASSERT_EQ(p.run().reason, Reason::Paused);
  // The kernel takes execute permission away behind the process's back (PTE.NX = 1).
  rig.mem.map(VirtAddr(kCode), kPageSize, static_cast<unsigned>(Prot::R));
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Fault) << to_string(r.reason);
  EXPECT_EQ(r.fault->error_code(), hw::pf_err::kPresent | hw::pf_err::kUser | hw::pf_err::kFetch);
  EXPECT_EQ(r.fault_address->value, kCode + 7);
  EXPECT_EQ(r.rip, kCode + 7);
}

TEST(X86ProcessMemory, SelfModifyingCodeGoesThroughTheCpu) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  // mov byte [rip+3], 7; jmp +0; mov edi, 1 (patched to 7); mov eax, 60; syscall
  load_code(rig, p, {0xc6, 0x05, 0x03, 0x00, 0x00, 0x00, 0x07, 0xeb, 0x00, 0xbf, 1,
                     0,    0,    0,    0xb8, 60,   0,    0,    0,    0x0f, 0x05},
            Prot::R | Prot::W | Prot::X);
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Exited) << to_string(r.reason);
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(rig.read_string(kCode + 10, 1), std::string(1, '\x07')) << "the store is in memory";
}

TEST(X86ProcessMemory, StoreToReadOnlyCodeIsAWriteFault) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  load_code(rig, p, {0xc6, 0x05, 0x03, 0x00, 0x00, 0x00, 0x07, 0xeb, 0x00, 0xbf, 1,
                     0,    0,    0,    0xb8, 60,   0,    0,    0,    0x0f, 0x05});
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Fault);
  EXPECT_EQ(r.fault->error_code(), hw::pf_err::kPresent | hw::pf_err::kWrite | hw::pf_err::kUser);
  EXPECT_EQ(r.fault_address->value, kCode + 10);
  EXPECT_EQ(r.rip, kCode);
  EXPECT_EQ(rig.read_string(kCode + 10, 1), std::string(1, '\x01'));
}

TEST(X86ProcessMemory, ReadsOfCodePagesGoThroughTheCpuToo) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  // movzx edi, byte [rip+7]; mov eax, 60; syscall; db 0x2a
  load_code(rig, p,
            {0x0f, 0xb6, 0x3d, 0x07, 0x00, 0x00, 0x00, 0xb8, 60, 0, 0, 0, 0x0f, 0x05, 0x2a});
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Exited);
  EXPECT_EQ(r.exit_code, 0x2a);
  EXPECT_EQ(p.stats().page_fills, 1u) << "the code page was read through GuestMemory";
}

// mmap(2) stand-in: nr 9 maps one page at 0x700000 through the handler's GuestMemory.
class MappingHandler : public DefaultSyscallHandler {
 public:
  uint64_t syscall(hw::GprFile& regs, GuestMemory& mem) override {
    if (regs.rax != 9) return DefaultSyscallHandler::syscall(regs, mem);
    mem.map(VirtAddr(0x700000), kPageSize, Prot::R | Prot::W);
    return 0x700000;
  }
};

TEST(X86ProcessMemory, MemoryMappedByTheHandlerIsUsableAtOnce) {
  X86Rig rig(true);
  MappingHandler sys;
  Process p(rig.mem, sys);
  load_code(rig, p, {0xb8, 9,    0,    0,    0,    0x0f, 0x05,    // mmap
                     0x48, 0xc7, 0x00, 0x55, 0x00, 0x00, 0x00,    // mov qword [rax], 0x55
                     0x48, 0x8b, 0x38,                            // mov rdi, [rax]
                     0xb8, 60,   0,    0,    0,    0x0f, 0x05});  // exit(rdi)
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Exited) << to_string(r.reason);
  EXPECT_EQ(r.exit_code, 0x55);
  EXPECT_EQ(rig.read_string(0x700000, 1), std::string(1, '\x55'));
}

TEST(X86ProcessMemory, AccessesStraddlingTwoPages) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  p.map(VirtAddr(0x600000), 2 * kPageSize, Prot::R | Prot::W);
  rig.mem.write(VirtAddr(0x600ffc), as_bytes("ABCDEFGH"));
  load_code(rig, p, {0x48, 0x8b, 0x04, 0x25, 0xfc, 0x0f, 0x60, 0x00,  // mov rax, [0x600ffc]
                     0x48, 0x89, 0x04, 0x25, 0xfe, 0x1f, 0x60, 0x00,  // mov [0x601ffe], rax
                     0xb8, 34,   0,    0,    0,    0x0f, 0x05});      // pause
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Fault) << "the store's second half is beyond the mapping";
  EXPECT_EQ(r.fault_address->value, 0x602000u);

  X86Rig rig2(true);
  Process p2(rig2.mem, sys);
  p2.map(VirtAddr(0x600000), 3 * kPageSize, Prot::R | Prot::W);
  rig2.mem.write(VirtAddr(0x600ffc), as_bytes("ABCDEFGH"));
  load_code(rig2, p2, {0x48, 0x8b, 0x04, 0x25, 0xfc, 0x0f, 0x60, 0x00, 0x48, 0x89, 0x04, 0x25,
                       0xfe, 0x1f, 0x60, 0x00, 0xb8, 34,   0,    0,    0,    0x0f, 0x05});
  ASSERT_EQ(p2.run().reason, Reason::Paused);
  EXPECT_EQ(rig2.read_string(0x601ffe, 8), "ABCDEFGH");
}

TEST(X86ProcessMemory, AdjacentMappingsMergeWithoutLosingData) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  p.map(VirtAddr(0x600000), kPageSize, Prot::R | Prot::W);
  load_code(rig, p,
            {0x48, 0xc7, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00, 0x11, 0, 0, 0,  // [0x600000]=0x11
             0xb8, 34,   0,    0,    0,    0x0f, 0x05,                       // pause
             0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00,                 // rax=[0x600000]
             0x48, 0x89, 0x04, 0x25, 0x00, 0x10, 0x60, 0x00,                 // [0x601000]=rax
             0x8b, 0x3c, 0x25, 0x00, 0x10, 0x60, 0x00,                       // edi=[0x601000]
             0xb8, 60,   0,    0,    0,    0x0f, 0x05});                     // exit(edi)
  ASSERT_EQ(p.run().reason, Reason::Paused);
  p.map(VirtAddr(0x601000), kPageSize, Prot::R | Prot::W);  // one data region of two pages now
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Exited) << to_string(r.reason);
  EXPECT_EQ(r.exit_code, 0x11);
}

TEST(X86ProcessMemory, DataMadeExecutableRunsWhatWasWritten) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  p.map(VirtAddr(0x600000), kPageSize, Prot::R | Prot::W);
  // Writes "mov edi, 5; mov eax, 60; syscall" to 0x600000, then pauses (a JIT, in short).
  load_code(rig, p, {0x48, 0xb8, 0xbf, 0x05, 0x00, 0x00, 0x00, 0xb8, 0x3c, 0x00,  // mov rax, imm64
                     0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00,              // [0x600000]=rax
                     0xb8, 0x00, 0x00, 0x0f, 0x05,                                // mov eax, imm32
                     0x89, 0x04, 0x25, 0x08, 0x00, 0x60, 0x00,                    // [0x600008]=eax
                     0xb8, 34,   0,    0,    0,    0x0f, 0x05});                  // pause
  ASSERT_EQ(p.run().reason, Reason::Paused);
  p.map(VirtAddr(0x600000), kPageSize, Prot::R | Prot::X);  // mprotect: the page becomes code
  hw::GprFile g = p.regs();
  g.rip = 0x600000;
  p.set_regs(g);
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Exited) << to_string(r.reason);
  EXPECT_EQ(r.exit_code, 5);
}

}  // namespace
}  // namespace cbit::x86
