#include "attacks/fn_guest.h"

#include "common/error.h"
#include "hw/cpu/cpu.h"  // the one attack file that sees the core: the guest's side of it
#include "hw/cpu/msr.h"
#include "sw/ghcb/ghcb.h"
#include "sw/ghcb/psc.h"

namespace cbit::attacks {

hw::Cpu& GuestCpu::live() {
  CBIT_ASSERT(cpu_ && cpu_->in_guest_mode() && "GuestCpu used outside its guest's run");
  return *cpu_;
}

hw::GprFile& GuestCpu::regs() { return live().regs(); }
void GuestCpu::read_virt(VirtAddr va, MutByteSpan out) { live().read_virt(va, out); }
void GuestCpu::write_virt(VirtAddr va, ByteSpan in) { live().write_virt(va, in); }
hw::CpuidResult GuestCpu::cpuid(uint32_t leaf, uint32_t subleaf) {
  return live().cpuid(leaf, subleaf);
}
uint64_t GuestCpu::rdmsr(uint32_t index) { return live().rdmsr(index); }
void GuestCpu::wrmsr(uint32_t index, uint64_t value) { live().wrmsr(index, value); }
void GuestCpu::vmgexit() { live().vmgexit(); }
GuestCpu::PvalidateResult GuestCpu::pvalidate(VirtAddr va, bool size_2m, bool validate) {
  const auto r = live().pvalidate(va, size_2m, validate);
  return {r.eax, r.cf};
}
void GuestCpu::mov_to_cr0(uint64_t value) { live().mov_to_cr0(value); }
void GuestCpu::mov_to_cr3(uint64_t value) { live().mov_to_cr3(value); }
void GuestCpu::mov_to_cr4(uint64_t value) { live().mov_to_cr4(value); }
uint64_t GuestCpu::cr0() { return live().cr0(); }
uint64_t GuestCpu::cr4() { return live().cr4(); }

void FnGuest::run(hw::Cpu& cpu) {
  // The guest's CPU is bound for this run only (also when fn exits by an exception).
  struct Bind {
    GuestCpu& g;
    ~Bind() { g.cpu_ = nullptr; }
  } bind{cpu_};
  cpu_.cpu_ = &cpu;
  fn(cpu_);
}

void FnGuest::exception(hw::Cpu& cpu, uint8_t vector, uint32_t error_code) {
  if (!on_exception) return GuestSoftware::exception(cpu, vector, error_code);
  hw::Cpu* const outer = cpu_.cpu_;  // a handler runs inside the guest's own run, or alone
  struct Bind {
    GuestCpu& g;
    hw::Cpu* restore;
    ~Bind() { g.cpu_ = restore; }
  } bind{cpu_, outer};
  cpu_.cpu_ = &cpu;
  on_exception(cpu_, vector, error_code);
}

uint64_t guest_cbit_mask(GuestCpu& cpu) {
  const uint64_t status = cpu.rdmsr(hw::msr::kSevStatus);  // never intercepted
  if (!(status & 1)) return 0;
  unsigned pos;
  if (status & 2) {
    namespace mp = sw::ghcb::msr_proto;
    cpu.wrmsr(hw::msr::kGhcb, mp::kSevInfoReq);
    cpu.vmgexit();
    pos = (cpu.rdmsr(hw::msr::kGhcb) >> 24) & 0xff;
  } else {
    pos = cpu.cpuid(0x8000001F).ebx & 0x3f;
  }
  return 1ull << pos;
}

unsigned guest_accept_memory(GuestCpu& cpu, const std::vector<uint64_t>& gpas) {
  constexpr uint64_t kSevStatusSnp = 1ull << 2;
  if (!(cpu.rdmsr(hw::msr::kSevStatus) & kSevStatusSnp)) return 0;
  unsigned failed = 0;
  for (uint64_t gpa : gpas)
    if (cpu.pvalidate(VirtAddr(gpa & ~(kPageSize - 1)), false, true).eax != 0) ++failed;
  return failed;
}

bool guest_share_page(GuestCpu& cpu, uint64_t gpa) {
  constexpr uint64_t kSevStatusSnp = 1ull << 2;
  if (!(cpu.rdmsr(hw::msr::kSevStatus) & kSevStatusSnp)) return true;
  cpu.pvalidate(VirtAddr(gpa & ~(kPageSize - 1)), false, false);  // CF=1 if it never was
  namespace mp = sw::ghcb::msr_proto;
  cpu.wrmsr(hw::msr::kGhcb, mp::psc_req(gpa >> kPageShift, sw::ghcb::PscOp::Shared));
  cpu.vmgexit();
  const uint64_t resp = cpu.rdmsr(hw::msr::kGhcb);
  return mp::code(resp) == mp::kPscResp && mp::psc_resp_error(resp) == 0;
}

void guest_identity_paging(GuestCpu& cpu, uint64_t tables, const std::vector<GuestPage>& pages,
                           uint64_t cbit_mask) {
  constexpr uint64_t kFlags = 0x7;  // P | RW | US
  std::vector<uint64_t> accept = {tables, tables + 0x1000, tables + 0x2000, tables + 0x3000};
  for (const auto& p : pages)
    if (p.is_private) accept.push_back(p.gpa);
  guest_accept_memory(cpu, accept);
  for (const auto& p : pages)
    if (!p.is_private) guest_share_page(cpu, p.gpa);
  const uint64_t pml4 = tables, pdpt = tables + 0x1000, pd = tables + 0x2000, pt = tables + 0x3000;
  const uint8_t zero[4096] = {};
  for (uint64_t t = pml4; t <= pt; t += 0x1000) cpu.write_virt(VirtAddr(t), zero);
  CBIT_ASSERT(!pages.empty());
  const uint64_t region = pages.front().gpa >> 21;
  for (const auto& p : pages) CBIT_ASSERT(p.gpa >> 21 == region && (p.gpa & 0xfff) == 0);
  const uint64_t va = pages.front().gpa;
  cpu.write<uint64_t>(VirtAddr(pml4 + 8 * ((va >> 39) & 511)), pdpt | cbit_mask | kFlags);
  cpu.write<uint64_t>(VirtAddr(pdpt + 8 * ((va >> 30) & 511)), pd | cbit_mask | kFlags);
  cpu.write<uint64_t>(VirtAddr(pd + 8 * ((va >> 21) & 511)), pt | cbit_mask | kFlags);
  for (const auto& p : pages)
    cpu.write<uint64_t>(VirtAddr(pt + 8 * ((p.gpa >> 12) & 511)),
                        p.gpa | (p.is_private ? cbit_mask : 0) | kFlags);
  cpu.mov_to_cr4(cpu.cr4() | hw::cr4::kPae);
  cpu.wrmsr(hw::msr::kEfer, cpu.rdmsr(hw::msr::kEfer) | hw::efer::kLme);
  cpu.mov_to_cr3(pml4 | cbit_mask);
  cpu.mov_to_cr0(cpu.cr0() | hw::cr0::kPg | hw::cr0::kPe);
}

}  // namespace cbit::attacks
