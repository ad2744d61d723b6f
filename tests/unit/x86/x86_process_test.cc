// Real x86-64 code on the simulated CPU: seed 004's program, its secret in simulated DRAM with
// and without the C-bit, faults from cbit's MMU, system calls, budgets, code refetch.
#include <gtest/gtest.h>

#include <string>

#include "hw/cpu/fault.h"
#include "unit/x86/x86_rig.h"
#include "x86/elf_image.h"
#include "x86/process.h"

namespace cbit::x86 {
namespace {

using testing::X86Rig;
using Reason = RunResult::Reason;

constexpr uint64_t kCode = 0x401000;
constexpr uint64_t kStackTop = 0x7fff0000;

// Puts raw machine code at kCode (R+X) with a small stack, ready to run.
void load_code(X86Rig& r, Process& p, const Bytes& code) {
  r.mem.map(VirtAddr(kCode), kPageSize, Prot::R | Prot::W);  // the "kernel" writes it
  r.mem.write(VirtAddr(kCode), code);
  p.map(VirtAddr(kCode), kPageSize, Prot::R | Prot::X);
  p.map(VirtAddr(kStackTop - 4 * kPageSize), 4 * kPageSize, Prot::R | Prot::W);
  hw::GprFile g;
  g.rip = kCode;
  g.rsp = kStackTop - 64;
  p.set_regs(g);
}

struct SecretRun {
  explicit SecretRun(bool sme) : rig(sme), proc(rig.mem, sys) {
    proc.load(ElfImage::load(CBIT_GUEST_SECRET_ELF), {"secret", "123"});
  }
  X86Rig rig;
  DefaultSyscallHandler sys;
  Process proc;
};

TEST(X86Process, SeedProgramPrintsItsSecretAndStaysResident) {
  SecretRun s(true);
  const RunResult r = s.proc.run();
  EXPECT_EQ(to_string(r.reason), "paused");
  EXPECT_EQ(s.sys.stdout_text(), "My secret is 123\n");
  EXPECT_GT(r.instructions, 50u);
  // The formatted string sits in the process's stack; read back through the CPU.
  const std::string stack =
      s.rig.read_string(Process::kStackTop - Process::kStackSize, Process::kStackSize);
  EXPECT_NE(stack.find("My secret is 123"), std::string::npos);
  // Resumed, pause() returns -EINTR and main returns 0.
  const RunResult r2 = s.proc.run();
  EXPECT_EQ(r2.reason, Reason::Exited);
  EXPECT_EQ(r2.exit_code, 0);
}

TEST(X86Process, WithoutArgumentsTheSecretIsMinusOne) {
  X86Rig rig(false);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  p.load(ElfImage::load(CBIT_GUEST_SECRET_ELF), {"secret"});
  EXPECT_EQ(p.run().reason, Reason::Paused);
  EXPECT_EQ(sys.stdout_text(), "My secret is -1\n");
}

TEST(X86Process, SmeKeepsTheSecretOutOfDramAndTheControlLeaksIt) {
  SecretRun enc(true);
  ASSERT_EQ(enc.proc.run().reason, Reason::Paused);
  EXPECT_EQ(enc.rig.dram_occurrences("My secret is 123"), 0u);
  EXPECT_EQ(enc.rig.dram_occurrences("My secret is %d"), 0u) << ".rodata is encrypted too";

  SecretRun plain(false);  // control: same program, PTEs without the C-bit
  ASSERT_EQ(plain.proc.run().reason, Reason::Paused);
  EXPECT_EQ(plain.sys.stdout_text(), "My secret is 123\n");
  EXPECT_GE(plain.rig.dram_occurrences("My secret is 123"), 1u);
  EXPECT_GE(plain.rig.dram_occurrences("My secret is %d"), 1u);
}

TEST(X86Process, BudgetSlicesGiveTheSameRun) {
  SecretRun whole(true);
  const RunResult all = whole.proc.run();
  SecretRun sliced(true);
  int slices = 0;
  RunResult r;
  do {
    r = sliced.proc.run(25);
    ++slices;
    if (r.reason == Reason::Budget) {
      EXPECT_LE(r.instructions, 25u);
    }
    ASSERT_LT(slices, 10000);
  } while (r.reason == Reason::Budget);
  EXPECT_EQ(r.reason, Reason::Paused);
  EXPECT_EQ(sliced.sys.stdout_text(), "My secret is 123\n");
  EXPECT_GT(slices, 3);
  // Whole basic blocks in both cases: the same instructions, counted the same.
  EXPECT_EQ(sliced.proc.instructions(), all.instructions);
}

TEST(X86Process, UnmappedReadIsThePageFaultOfTheMmu) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  // mov ebx, 5; mov rax, [0x10000000]
  load_code(rig, p, {0xbb, 5, 0, 0, 0, 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x10});
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Fault);
  ASSERT_TRUE(r.fault.has_value());
  EXPECT_EQ(r.fault->vector(), hw::PageFault::kVector);
  EXPECT_EQ(r.fault->error_code(), hw::pf_err::kUser);  // not present, read, user
  ASSERT_TRUE(r.fault_address.has_value());
  EXPECT_EQ(r.fault_address->value, 0x10000000u);
  EXPECT_EQ(rig.rig.cpu.cr2(), 0x10000000u);
  EXPECT_EQ(r.rip, kCode + 5) << "RIP at the faulting instruction";
  EXPECT_EQ(p.regs().rip, kCode + 5);
  EXPECT_EQ(p.regs().rbx, 5u) << "the instruction before it did execute";
}

TEST(X86Process, StoreToReadOnlyAndFetchFromNxAreProtectionFaults) {
  {
    X86Rig rig(true);
    DefaultSyscallHandler sys;
    Process p(rig.mem, sys);
    load_code(rig, p, {0x48, 0xc7, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00});
    p.map(VirtAddr(0x500000), kPageSize, static_cast<unsigned>(Prot::R));
    const RunResult r = p.run();  // mov qword [0x500000], 1
    ASSERT_EQ(r.reason, Reason::Fault);
    EXPECT_EQ(r.fault->error_code(), hw::pf_err::kPresent | hw::pf_err::kWrite | hw::pf_err::kUser);
    EXPECT_EQ(r.fault_address->value, 0x500000u);
    EXPECT_EQ(r.rip, kCode);
    EXPECT_EQ(rig.read_string(0x500000, 1), std::string(1, '\0')) << "the store did not happen";
  }
  {
    X86Rig rig(true);
    DefaultSyscallHandler sys;
    Process p(rig.mem, sys);
    load_code(rig, p, {0xb8, 0x00, 0x00, 0x50, 0x00, 0xff, 0xe0});  // mov eax, 0x500000; jmp rax
    p.map(VirtAddr(0x500000), kPageSize, Prot::R | Prot::W);
    const RunResult r = p.run();
    ASSERT_EQ(r.reason, Reason::Fault);
    EXPECT_EQ(r.fault->error_code(), hw::pf_err::kPresent | hw::pf_err::kUser | hw::pf_err::kFetch);
    EXPECT_EQ(r.fault_address->value, 0x500000u);
  }
}

TEST(X86Process, DivideErrorIsAFaultWithItsVector) {
  X86Rig rig(false);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  // xor ecx,ecx; xor edx,edx; mov eax,1; div ecx
  load_code(rig, p, {0x31, 0xc9, 0x31, 0xd2, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xf7, 0xf1});
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Fault);
  EXPECT_EQ(r.fault->vector(), 0);
  EXPECT_EQ(r.rip, kCode + 9) << "#DE is a fault: RIP at the DIV";
}

TEST(X86Process, HltAtCpl3IsGeneralProtection) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  load_code(rig, p, {0x90, 0xf4});  // nop; hlt
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Fault);
  EXPECT_EQ(r.fault->vector(), hw::GeneralProtection::kVector);
  EXPECT_EQ(r.rip, kCode + 1);
}

// Records every system call, answers nr 500 with 77, the rest as the default handler.
class RecordingHandler : public DefaultSyscallHandler {
 public:
  uint64_t syscall(hw::GprFile& regs, GuestMemory& mem) override {
    seen.push_back(regs);
    if (regs.rax == 500) return 77;
    return DefaultSyscallHandler::syscall(regs, mem);
  }
  bool vmgexit(hw::GprFile& regs) override {
    vmgexits.push_back(regs);
    regs.rax = 42;
    return handle_vmgexit;
  }
  std::vector<hw::GprFile> seen, vmgexits;
  bool handle_vmgexit = true;
};

TEST(X86Process, SyscallSeesTheLinuxArgumentRegisters) {
  X86Rig rig(true);
  RecordingHandler sys;
  Process p(rig.mem, sys);
  load_code(
      rig, p,
      {0xbf, 1,    0,    0,  0, 0xbe, 2,    0,    0,   0, 0xba, 3, 0,    0,    0,  // edi, esi, edx
       0x41, 0xba, 4,    0,  0, 0,    0x41, 0xb8, 5,   0, 0,    0, 0x41, 0xb9, 6,
       0,    0,    0,                                      // r10-r9
       0xb8, 0xf4, 0x01, 0,  0, 0x0f, 0x05,                // mov eax, 500; syscall
       0x89, 0xc7, 0xb8, 60, 0, 0,    0,    0x0f, 0x05});  // exit(eax)
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Exited);
  EXPECT_EQ(r.exit_code, 77);
  ASSERT_EQ(sys.seen.size(), 2u);
  const hw::GprFile& g = sys.seen[0];
  EXPECT_EQ(g.rax, 500u);
  EXPECT_EQ(g.rdi, 1u);
  EXPECT_EQ(g.rsi, 2u);
  EXPECT_EQ(g.rdx, 3u);
  EXPECT_EQ(g.r10, 4u);
  EXPECT_EQ(g.r8, 5u);
  EXPECT_EQ(g.r9, 6u);
  EXPECT_EQ(g.rip, kCode + 40);  // past the SYSCALL
  EXPECT_EQ(g.rcx, g.rip);       // SYSCALL's return address
  EXPECT_EQ(g.r11, g.rflags);
}

const Bytes kVmgexitProgram = {0xb8, 0x34, 0x12, 0,    0,        // mov eax, 0x1234
                               0xbb, 0x78, 0x56, 0,    0,        // mov ebx, 0x5678
                               0xf3, 0x0f, 0x01, 0xd9,           // vmgexit
                               0x89, 0xc7, 0xb8, 231,  0, 0, 0,  // mov edi, eax; exit_group
                               0x0f, 0x05};

TEST(X86Process, VmgexitReachesTheHandlerWithTheRegisters) {
  X86Rig rig(true);
  RecordingHandler sys;
  Process p(rig.mem, sys);
  load_code(rig, p, kVmgexitProgram);
  const RunResult r = p.run();
  ASSERT_EQ(sys.vmgexits.size(), 1u);
  EXPECT_EQ(sys.vmgexits[0].rip, kCode + 10);
  EXPECT_EQ(sys.vmgexits[0].rax, 0x1234u);
  EXPECT_EQ(sys.vmgexits[0].rbx, 0x5678u);
  ASSERT_EQ(r.reason, Reason::Exited);
  EXPECT_EQ(r.exit_code, 42) << "the handler's RAX, and execution went on past the VMGEXIT";
}

TEST(X86Process, UnhandledVmgexitIsAnInvalidInstruction) {
  X86Rig rig(true);
  RecordingHandler sys;
  sys.handle_vmgexit = false;
  Process p(rig.mem, sys);
  load_code(rig, p, kVmgexitProgram);
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::InvalidInstruction);
  EXPECT_EQ(r.rip, kCode + 10);
  ASSERT_GE(r.instruction.size(), 4u);
  EXPECT_EQ(Bytes(r.instruction.begin(), r.instruction.begin() + 4),
            (Bytes{0xf3, 0x0f, 0x01, 0xd9}));
}

TEST(X86Process, CodeIsFetchedAgainAtEveryRun) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  load_code(rig, p,
            {0xb8, 34, 0, 0, 0, 0x0f, 0x05,    // pause
             0xbf, 1, 0, 0, 0,                 // mov edi, 1
             0xb8, 60, 0, 0, 0, 0x0f, 0x05});  // exit(edi)
  ASSERT_EQ(p.run().reason, Reason::Paused);
  // While it is paused, the kernel patches the immediate (through the CPU, C-bit and all).
  rig.mem.map(VirtAddr(kCode), kPageSize, Prot::R | Prot::W);
  const uint8_t nine = 9;
  rig.mem.write(VirtAddr(kCode + 8), ByteSpan(&nine, 1));
  rig.mem.map(VirtAddr(kCode), kPageSize, Prot::R | Prot::X);
  const RunResult r = p.run();
  ASSERT_EQ(r.reason, Reason::Exited);
  EXPECT_EQ(r.exit_code, 9);
  EXPECT_GE(p.stats().code_page_changes, 2u);
}

TEST(X86Process, StoresReachGuestMemoryBeforeRunReturns) {
  X86Rig rig(true);
  DefaultSyscallHandler sys;
  Process p(rig.mem, sys);
  p.map(VirtAddr(0x600000), kPageSize, Prot::R | Prot::W);
  // mov rax, imm64 "cbit-x86"; mov [0x600010], rax; pause
  load_code(rig, p, {0x48, 0xb8, 'c',  'b',  'i',  't',  '-', 'x', '8', '6', 0x48, 0x89, 0x04,
                     0x25, 0x10, 0x00, 0x60, 0x00, 0xb8, 34,  0,   0,   0,   0x0f, 0x05});
  ASSERT_EQ(p.run().reason, Reason::Paused);
  EXPECT_EQ(rig.read_string(0x600010, 8), "cbit-x86");
  EXPECT_EQ(rig.dram_occurrences("cbit-x86"), 0u);
}

}  // namespace
}  // namespace cbit::x86
