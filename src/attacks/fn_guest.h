// Guests for the attack demonstrations: guest code as a C++ function that runs on the simulated
// core in guest mode (hw/svm/guest_software.h), plus the few things such a guest does to set
// itself up: learn its C-bit the way a real SEV / SEV-ES guest does, identity-map some pages
// private or shared, and turn paging on.
//
// A guest function is called again at every VMRUN that follows an exit the hypervisor did not
// resume from (HLT): it keeps its own step counter and continues from there. Returning is HLT.
//
// The guest is the victim, written beside the attack that targets it. It gets a GuestCpu, not
// the core: the instructions a guest program executes, usable only while that guest runs in
// guest mode. An attack that keeps the GuestCpu and calls it from host mode (an exit hook, after
// run() returned) stops at an assertion; the core itself (its SVM wiring, MMU, TLB) is never
// reachable from attack code (attacks/attacker.h).
#pragma once
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"
#include "hw/cpu/cpuid.h"
#include "hw/cpu/regs.h"
#include "hw/svm/guest_software.h"

namespace cbit::attacks {

class GuestCpu {
 public:
  GuestCpu() = default;
  GuestCpu(const GuestCpu&) = delete;
  GuestCpu& operator=(const GuestCpu&) = delete;

  hw::GprFile& regs();
  void read_virt(VirtAddr va, MutByteSpan out);
  void write_virt(VirtAddr va, ByteSpan in);
  template <typename T>
  T read(VirtAddr va) {
    uint8_t b[sizeof(T)];
    read_virt(va, b);
    return load_le<T>(b);
  }
  template <typename T>
  void write(VirtAddr va, T v) {
    uint8_t b[sizeof(T)];
    store_le(b, v);
    write_virt(va, b);
  }
  hw::CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0);
  uint64_t rdmsr(uint32_t index);
  void wrmsr(uint32_t index, uint64_t value);
  void vmgexit();
  // PVALIDATE (SEV-SNP): EAX and CF as the instruction leaves them.
  struct PvalidateResult {
    uint32_t eax = 0;
    bool cf = false;
  };
  PvalidateResult pvalidate(VirtAddr va, bool size_2m, bool validate);
  void mov_to_cr0(uint64_t value);
  void mov_to_cr3(uint64_t value);
  void mov_to_cr4(uint64_t value);
  uint64_t cr0();
  uint64_t cr4();

 private:
  friend struct FnGuest;
  hw::Cpu& live();  // the core, asserting that this guest is running on it in guest mode
  hw::Cpu* cpu_ = nullptr;
};

struct FnGuest final : hw::svm::GuestSoftware {
  explicit FnGuest(std::function<void(GuestCpu&)> f) : fn(std::move(f)) {}
  FnGuest(FnGuest&& o) noexcept : fn(std::move(o.fn)), on_exception(std::move(o.on_exception)) {}
  void run(hw::Cpu& cpu) override;
  // An injected exception (EVENTINJ): the guest's handler if it installed one, else the
  // default (the exception escapes: #VMEXIT(SHUTDOWN)).
  void exception(hw::Cpu& cpu, uint8_t vector, uint32_t error_code) override;
  std::function<void(GuestCpu&)> fn;
  std::function<void(GuestCpu&, uint8_t vector, uint32_t error_code)> on_exception;

 private:
  GuestCpu cpu_;
};

// The guest's C-bit mask: 0 without SEV (SEV_STATUS bit 0 clear); else from CPUID Fn8000_001F
// EBX[5:0] (SEV), or from the GHCB MSR protocol's SEV_INFO response (SEV-ES, where CPUID would
// raise #VC), as Linux's sme_enable() / sev_es_negotiate_protocol() get it.
uint64_t guest_cbit_mask(GuestCpu& cpu);

// An SEV-SNP guest (SEV_STATUS bit 2) accepts the 4 KiB pages it will use as private memory
// with PVALIDATE, as OVMF and Linux do for memory the launch did not validate (a page already
// validated gives CF=1 and stays as it is). Other guests: nothing to do. Call with paging off
// (the guest virtual address is the guest physical one). Returns the PVALIDATEs that failed.
unsigned guest_accept_memory(GuestCpu& cpu, const std::vector<uint64_t>& gpas);
// An SNP guest hands a 4 KiB page back to the hypervisor as shared, as Linux's
// set_memory_decrypted() does early: PVALIDATE rescind, then the GHCB MSR protocol's page-state
// change request (0x014, op 2). True when the hypervisor answered without error; other guests:
// nothing to do (true).
bool guest_share_page(GuestCpu& cpu, uint64_t gpa);

struct GuestPage {
  uint64_t gpa;
  bool is_private;  // guest PTE C-bit
};
// Identity-maps 4 KiB `pages` (all inside one 2 MiB-aligned region) with 4-level tables at
// `tables` .. tables + 4 pages (written with paging off: private for an SEV guest), then turns on
// long mode paging. Every page the guest touches afterwards must be in `pages`. An SNP guest
// first accepts the tables and the private pages and shares the shared ones.
void guest_identity_paging(GuestCpu& cpu, uint64_t tables, const std::vector<GuestPage>& pages,
                           uint64_t cbit_mask);

}  // namespace cbit::attacks
