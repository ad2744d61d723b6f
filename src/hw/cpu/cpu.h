// The simulated CPU core: control registers, MSRs, CPUID, and memory access through the MMU.
//
// The Machine owns the physical-memory port (the cache hierarchy) and the cache controls and
// hands them in; the Cpu knows nothing else of the machine (STYLE.md: Spike's simif_t). Each
// instruction is a method; an architectural exception is thrown as a CpuException
// (hw/cpu/fault.h) and leaves the state as the instruction found it (CR2 aside, for #PF).
//
// Modelled: long mode only (CR0.PG requires EFER.LME and CR4.PAE), 4-level paging, CPL 0 or 3.
// Not modelled: legacy/PAE 32-bit paging, PCID, SMEP/SMAP, protection keys, 5-level paging.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>

#include "common/addr.h"
#include "common/bytes.h"
#include "hw/cpu/cpuid.h"
#include "hw/cpu/mmu.h"
#include "hw/cpu/msr.h"
#include "hw/cpu/paging.h"
#include "hw/cpu/regs.h"
#include "hw/cpu/table_port.h"
#include "hw/cpu_models.h"
#include "hw/mem_port.h"
#include "hw/rmp/rmp_insn.h"
#include "hw/svm/guest_software.h"

namespace cbit::hw {

namespace rmp {
class Rmp;
}
namespace svm {
struct GuestState;
class VmsaIntegrity;
struct GuestStateDeleter {
  void operator()(GuestState* g) const;  // cpu_svm.cc, where the type is complete
};
}  // namespace svm

namespace cr0 {
inline constexpr uint64_t kPe = 1ull << 0;
inline constexpr uint64_t kEt = 1ull << 4;
inline constexpr uint64_t kWp = 1ull << 16;
inline constexpr uint64_t kNw = 1ull << 29;
inline constexpr uint64_t kCd = 1ull << 30;
inline constexpr uint64_t kPg = 1ull << 31;
}  // namespace cr0
namespace cr4 {
inline constexpr uint64_t kPse = 1ull << 4;
inline constexpr uint64_t kPae = 1ull << 5;
inline constexpr uint64_t kPge = 1ull << 7;
}  // namespace cr4

class Cpu {
 public:
  Cpu(const CpuModel& model, PhysMemPort& mem, CacheControl& caches, const CpuFirmwareSettings& fw,
      Asid asid = Asid(0));
  ~Cpu();
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  // SVM needs the Secure Processor's word on ASIDs and the VMSA integrity table (Machine wires
  // both); without them VMRUN refuses SEV guests with VMEXIT_INVALID.
  void attach_svm(const svm::AsidGate* gate, svm::VmsaIntegrity* integrity) {
    gate_ = gate;
    integrity_ = integrity;
  }

  // Which physical core this is (its row in the trace, common/trace.h); Machine numbers them.
  void set_core_id(unsigned id) { core_id_ = id; }
  unsigned core_id() const { return core_id_; }

  // SEV-SNP: the platform's RMP (Machine wires it). Its checks and instructions act once this
  // core's SYSCFG.SNP_EN is set.
  void attach_rmp(rmp::Rmp* rmp) { rmp_ = rmp; }
  // Whether this core's RMP checks run: SYSCFG.SNP_EN set and the RMP wired.
  bool snp_active() const;

  // The SNP firmware's view of this core's MSRs (SNP_INIT reads SYSCFG, HWCR, RMP_BASE/END,
  // RMP_CFG and VM_HSAVE_PA on every core: SNP-FACTS.md §2.3). The stored value, as RDMSR at
  // CPL 0 on the host would return it; 0 for an MSR this part does not have. No side effects.
  uint64_t msr_for_firmware(uint32_t index) const;

  // Power-on / INIT state: paging off, CR0 = 0x60000010, MSRs from the firmware settings,
  // TLB empty.
  void reset();

  // --- Instructions ---
  // In guest mode CPUID, RDMSR/WRMSR, IN/OUT, HLT, VMMCALL and WBINVD exit when the VMCB
  // intercepts them (under SEV-ES the non-automatic ones raise #VC instead: VmmCommunication).
  CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0);
  uint64_t rdmsr(uint32_t index);
  void wrmsr(uint32_t index, uint64_t value);
  void hlt();
  void out(uint16_t port, unsigned size, uint32_t value);  // size 1, 2 or 4
  // OUT for a caller that handles #VC itself: false when the instruction raised #VC
  // (SVM_EXIT_IOIO, SEV-ES) and did nothing, true when it completed. out() is this plus the
  // throw; a guest kernel's serial console makes one #VC per byte, so it avoids the C++ unwind.
  [[nodiscard]] bool out_or_vc(uint16_t port, unsigned size, uint32_t value);
  uint32_t in(uint16_t port, unsigned size);
  void vmmcall();
  void vmgexit();  // F3 0F 01 D9 (REP VMMCALL): SEV-ES guests' automatic exit

  // --- SVM (APM Vol. 2 ch. 15; cpu_svm.cc) ---
  // VMRUN with rAX = vmcb_pa (C-bit included, as KVM passes __sme_page_pa). Runs `guest` in
  // guest mode until an exit the handler does not resume from, and returns that exit
  // (VMEXIT_INVALID when the VMCB fails VMRUN's consistency checks).
  svm::VmExit vmrun(uint64_t vmcb_pa, svm::GuestSoftware& guest, svm::VmExitHandler& hv);
  bool in_guest_mode() const { return guest_active_; }
  // The registers. In guest mode, the guest's; after a non-ES #VMEXIT, still the guest's other
  // GPRs (KVM's vcpu->arch.regs: the hypervisor reads and writes them); after an SEV-ES
  // #VMEXIT, scrubbed: the state is in the encrypted VMSA.
  GprFile& regs() { return regs_; }
  void mov_to_cr0(uint64_t value);
  void mov_to_cr3(uint64_t value);
  void mov_to_cr4(uint64_t value);
  void invlpg(VirtAddr va);
  void clflush(VirtAddr va);  // translate (may #PF), then flush the line under every key
  // A CLFLUSH of every line of [va, va + len) in address order (Linux's clflush_cache_range()):
  // each line checked and flushed as by clflush(), the lines of a 4 KiB page sharing its
  // translation (after the first line, a TLB hit would give the same). A #PF stops it at the
  // first line of the faulting page, the lines before it flushed, as the loop would.
  void clflush_range(VirtAddr va, uint64_t len);
  void wbinvd();
  void wbnoinvd();  // WBINVD on parts without WBNOINVD (Zen 1): the prefix is ignored
  void invd();

  // --- SEV-SNP instructions (cpu_snp.cc; APM Vol. 3, §15.36; SNP-FACTS.md §1.4) ---
  // Each returns what the instruction leaves in EAX (0 = success, else FAIL_INPUT 1,
  // FAIL_PERMISSION 2, FAIL_INUSE 3, FAIL_OVERLAP / FAIL_BADADDR 4, FAIL_SIZEMISMATCH 6) and
  // raises the architectural exceptions the APM lists (#UD without SNP, #GP at CPL 3, ...).
  struct RmpResult {
    uint32_t eax = 0;
    bool cf = false;  // PVALIDATE / RMPADJUST: CF=1 when the entry already had the value
  };
  // Host: RMPUPDATE (RAX = 4 KiB-aligned SPA, RCX = VA of the 16-byte struct rmp_state).
  uint32_t rmpupdate(uint64_t spa, VirtAddr new_state);
  // Host: PSMASH (RAX = 2 MiB-aligned SPA).
  uint32_t psmash(uint64_t spa);
  // Host (Zen 5): RMPREAD (RAX = SPA, RCX = VA of the 16-byte struct rmpentry to fill).
  uint32_t rmpread(uint64_t spa, VirtAddr out);
  // Guest: PVALIDATE (RAX = guest VA, RCX[0] = 2 MiB, RDX[0] = validate / rescind).
  RmpResult pvalidate(VirtAddr va, bool size_2m, bool validate);
  // Guest: RMPADJUST (RAX = guest VA, RCX[0] = 2 MiB, RDX: [7:0] target VMPL, [15:8]
  // permissions, bit 16 VMSA).
  RmpResult rmpadjust(VirtAddr va, bool size_2m, uint64_t attrs);

  // --- Memory accesses at the current CPL (the architectural view) ---
  void read_virt(VirtAddr va, MutByteSpan out);
  void write_virt(VirtAddr va, ByteSpan in);
  void fetch_virt(VirtAddr va, MutByteSpan out);  // instruction fetch
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
  // The translation an access would use (it walks, sets A/D and fills the TLB like one).
  Translation translate(VirtAddr va, Access access);

  // --- State ---
  uint64_t cr0() const { return cr0_; }
  uint64_t cr2() const { return cr2_; }
  uint64_t cr3() const { return cr3_; }
  uint64_t cr4() const { return cr4_; }
  uint64_t efer() const { return efer_; }
  unsigned cpl() const { return cpl_; }
  void set_cpl(unsigned cpl);  // 0 (supervisor) or 3 (user)
  Asid asid() const { return asid_; }

  // The C-bit as a mask of an address (what Linux computes as sme_me_mask); 0 while
  // SYSCFG[MemEncryptionModEn]=0.
  uint64_t c_bit_mask() const { return mmu_.layout().c_bit_mask; }
  const PhysAddrLayout& phys_layout() const { return mmu_.layout(); }
  const CpuModel& model() const { return model_; }
  Mmu& mmu() { return mmu_; }
  Tlb& tlb() { return mmu_.tlb(); }
  PagingMode paging_mode() const { return mode_; }

 private:
  void update_mode();
  void write_efer(uint64_t value);
  void vm_page_flush(uint64_t value);
  void access(VirtAddr va, uint8_t* data, size_t len, Access kind);
  // SNP host: a write to a page the hypervisor does not own is #PF with the RMP bit (APM
  // Table 15-39); reads are not checked.
  void host_rmp_check_write(VirtAddr va, const Translation& t);
  void guest_access(VirtAddr va, uint8_t* data, size_t len, Access kind);
  Mmu& active_mmu();
  const PhysAddrLayout& active_layout() const;
  // SVM internals (cpu_svm.cc).
  bool enter_guest();  // load the guest state from the VMCB / VMSA; false = VMEXIT_INVALID
  void leave_guest(const svm::VmExit& exit);  // save the guest state, back to host mode
  void deliver_event();  // the EVENTINJ VMRUN accepted, to the guest software's handler
  void intercept(uint64_t code, uint64_t info1, uint64_t info2, unsigned insn_len);
  bool sev_es() const;
  bool intercepted3(uint32_t bit) const;
  bool guest_intercepts_wbinvd() const;
  bool msr_intercepted(uint32_t index, bool write);
  bool port_intercepted(uint16_t port);
  bool permission_bit(uint64_t base_field, uint64_t bit);  // bit `bit` of the IOPM / MSRPM
  uint64_t guest_rdmsr(uint32_t index);
  bool guest_wrmsr(uint32_t index, uint64_t value);
  // SNP instruction internals (cpu_snp.cc, cpu_svm.cc).
  void snp_host_insn_checks(const char* name, SevFeature feature);
  bool guest_snp() const;
  unsigned guest_vmpl() const;
  using GuestRmpOp = std::function<rmp::GuestInsnResult(rmp::RmpTable&, const rmp::GuestTarget&)>;
  // Translates the guest VA (guest and nested walks, #NPF exits and retries on the way), then
  // runs op on the entry; an RMP #NPF it reports exits too and the instruction is retried.
  rmp::GuestInsnResult guest_rmp_insn(VirtAddr va, bool size_2m, const char* name,
                                      const GuestRmpOp& op);

  const CpuModel& model_;
  PhysMemPort& mem_;
  CacheControl& caches_;
  Asid asid_;
  MsrFile msrs_;
  PhysTableReader tables_;
  Mmu mmu_;
  uint64_t cr0_ = 0, cr2_ = 0, cr3_ = 0, cr4_ = 0, efer_ = 0;
  unsigned cpl_ = 0;
  PagingMode mode_;
  GprFile regs_;
  const svm::AsidGate* gate_ = nullptr;
  svm::VmsaIntegrity* integrity_ = nullptr;
  rmp::Rmp* rmp_ = nullptr;
  std::unique_ptr<svm::GuestState, svm::GuestStateDeleter>
      guest_;                  // non-null between VMRUN and the final #VMEXIT
  bool guest_active_ = false;  // in guest mode right now (false in exit handlers)
  unsigned core_id_ = 0;
};

}  // namespace cbit::hw
