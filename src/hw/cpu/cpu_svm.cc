// SVM on the simulated core: VMRUN, #VMEXIT, nested paging and the SEV encryption rules
// (APM Vol. 2 §15.5 VMRUN, §15.6 #VMEXIT, §15.25 nested paging, §15.34 SEV, §15.35 SEV-ES).
//
// Who decides the key of a guest access (seed 003's "Encryption Control" table, one
// conformance test per row in tests/conformance/encryption_control_test.cc):
//  - instruction fetches and guest page-table reads of an SEV guest: always the guest key;
//  - guest data: the guest PTE's C-bit (with paging off, hardware forces C=1) -> guest key;
//    C=0 -> shared: the nested PTE's C-bit decides host key or none;
//  - nested page-table reads: the host's rules (nCR3's and each nested entry's C-bit, host key);
//  - a guest without SEV: only the nested C-bit (host key or none).
// The C-bit is removed from the guest physical address before the nested walk.
//
// SEV-SNP (§15.36): a guest whose VMSA has SEV_FEATURES.SNPActive is SNP-active; VMRUN checks
// its VMSA page in the RMP (APM Table 15-41) instead of SEV-ES's VMSA integrity record, marks the
// VMCB and VMSA in-use until #VMEXIT, and every guest access passes the RMP checks of
// hw/rmp/rmp_check.h after the nested walk (#NPF with the RMP bits, #VC 0x404).
//
// Event injection (EVENTINJ, §15.20): exceptions only; delivered to the guest software's
// handler before its next instruction (GuestSoftware::exception). Restricted injection
// (SEV_FEATURES bit 3, §15.36.16): VMRUN refuses any injected event but #HV with
// VMEXIT_INVALID. A delivered event is cleared in the VMCB written back at #VMEXIT.
// Not modelled: interrupts, virtual GIF, VMLOAD/VMSAVE, nested SVM, AVIC, the
// TLB_CONTROL field (both TLBs are flushed at every VMRUN), segment state beyond CPL.
#include <cstring>

#include "common/error.h"
#include "common/page_lines.h"
#include "common/trace.h"
#include "hw/cpu/cpu.h"
#include "hw/cpu/cpu_trace.h"
#include "hw/cpu/fault.h"
#include "hw/cpu/vmexit_count.h"
#include "hw/rmp/rmp.h"
#include "hw/rmp/rmp_check.h"
#include "hw/svm/vmcb.h"
#include "hw/svm/vmsa_integrity.h"

namespace cbit::hw {
namespace svm {

// Leaving the guest: thrown through the guest software's frames back to Cpu::vmrun. Not a
// CpuException, so guest code that catches architectural exceptions does not swallow it.
struct LeaveGuest {
  VmExit exit;
};

// What VMRUN reads and #VMEXIT writes of the VMCB and the VMSA: the 64-byte lines that hold a
// field the model uses (common/page_lines.h), the control area's and a save area's (the VMCB's
// at 0x400 for a guest without SEV-ES, else the VMSA's). The rest of each page stays as it is in
// memory, which is what reading it and writing it back unchanged did, without 2-3 KiB more
// through the cache at every world switch: an SNP round trip moves 24 lines instead of 112.
inline constexpr uint64_t kVmcbCtlLines = page_line_mask_of_quads(
    {ctl::kInterceptCr, ctl::kInterceptExc, ctl::kInterceptWord3, ctl::kInterceptWord4,
     ctl::kIopmBasePa, ctl::kMsrpmBasePa, ctl::kAsid, ctl::kExitCode, ctl::kExitInfo1,
     ctl::kExitInfo2, ctl::kNestedCtl, ctl::kGhcbGpa, ctl::kEventInj, ctl::kNestedCr3,
     ctl::kNextRip, ctl::kVmsaPa});
inline constexpr uint64_t kSaveLines = page_line_mask_of_quads(
    {save::kVmpl, save::kCpl, save::kEfer, save::kCr4, save::kCr3,        save::kCr0, save::kRflags,
     save::kRip,  save::kRsp, save::kRax,  save::kCr2, save::kRcx,        save::kRdx, save::kRbx,
     save::kRbp,  save::kRsi, save::kRdi,  save::kR8,  save::kR9,         save::kR10, save::kR11,
     save::kR12,  save::kR13, save::kR14,  save::kR15, save::kSevFeatures});
inline constexpr uint64_t kSaveUsed = 0x400;  // every line of kSaveLines is below it
static_assert(kSaveLines >> (kSaveUsed / kPageLine) == 0);
static_assert(kVmcbCtlLines >> (save::kInVmcb / kPageLine) == 0);
inline constexpr uint64_t kVmcbSaveLines = kSaveLines << (save::kInVmcb / kPageLine);

namespace {
// The lines of `lines` between the page at `base` and buf (one access per run of lines).
void read_lines(PhysMemPort& mem, SysPhysAddr base, uint8_t* buf, uint64_t lines, MemAttr attr) {
  for_each_line_run(lines, [&](unsigned first, unsigned n) {
    mem.read(base + first * kPageLine, MutByteSpan(buf + first * kPageLine, n * kPageLine), attr);
  });
}
void write_lines(PhysMemPort& mem, SysPhysAddr base, const uint8_t* buf, uint64_t lines,
                 MemAttr attr) {
  for_each_line_run(lines, [&](unsigned first, unsigned n) {
    mem.write(base + first * kPageLine, ByteSpan(buf + first * kPageLine, n * kPageLine), attr);
  });
}
}  // namespace

// A nested page fault during a guest access: becomes #VMEXIT(NPF).
struct NestedFault {
  uint64_t gpa;
  uint64_t info1;
};

class GuestTableReader;

struct GuestState {
  GuestState(PhysMemPort& mem, const PhysAddrLayout& host_layout);

  uint64_t vmcb_pa = 0;  // as VMRUN got it (C-bit included)
  SysPhysAddr vmcb;
  bool vmcb_c = false;
  uint8_t page[kVmcbSize] = {};  // the VMCB's lines VMRUN read (written back at #VMEXIT)
  uint64_t vmcb_lines = 0;       // which: kVmcbCtlLines, and kVmcbSaveLines without SEV-ES
  // SNP: the VMSA's kSaveLines as VMRUN read them; #VMEXIT stores the state into them and writes
  // them back (the page is the guest's, RMP-protected from the host, while the vCPU runs).
  uint8_t vmsa_save[kSaveUsed] = {};

  Asid asid;
  bool np = false, sev = false, es = false;
  // SNP: the host's RMP while SYSCFG.SNP_EN=1 (every guest is checked then), whether this guest
  // is SNP-active, its SEV_FEATURES and the VMPL its VMSA runs at.
  const rmp::RmpTable* rmp = nullptr;
  bool snp = false;
  uint64_t sev_features = 0;
  unsigned vmpl = 0;
  bool in_use_marked = false;
  // The guest access being made: its virtual address (#VC's CR2) and CPL 3 or not.
  VirtAddr cur_va;
  bool cur_user = false;
  uint64_t* cr2 = nullptr;  // the core's CR2, which #VC 0x404 sets
  uint64_t ncr3 = 0;
  SysPhysAddr vmsa;
  uint64_t ghcb_msr = 0;
  uint64_t pending_event = 0;  // EVENTINJ accepted by VMRUN, not yet delivered
  unsigned core = 0;           // the core's trace row
  uint64_t guest_since = 0;    // trace clock at the entry into guest mode

  // Host state VMRUN put aside (real parts write it to the VM_HSAVE_PA page).
  uint64_t h_cr0 = 0, h_cr2 = 0, h_cr3 = 0, h_cr4 = 0, h_efer = 0;
  unsigned h_cpl = 0;

  PhysTableReader nested_tables;  // host tables, host rules
  Mmu nested_mmu;
  PagingMode nested_mode;
  std::unique_ptr<GuestTableReader> guest_tables;
  std::unique_ptr<Mmu> guest_mmu;

  GuestSoftware* sw = nullptr;
  VmExitHandler* hv = nullptr;

  uint32_t word(uint64_t off) const { return load_le<uint32_t>(page + off); }
  uint64_t quad(uint64_t off) const { return load_le<uint64_t>(page + off); }
  void set_quad(uint64_t off, uint64_t v) { store_le<uint64_t>(page + off, v); }

  // GPA -> SPA through the nested tables (identity without NP). Throws NestedFault.
  Translation nested(uint64_t gpa, Access access, uint64_t where) {
    if (!np) return {SysPhysAddr(gpa), false};
    try {
      return nested_mmu.translate(VirtAddr(gpa), access, /*user=*/true, nested_mode);
    } catch (const PageFault& pf) {
      throw NestedFault{gpa, pf.error_code() | where};
    } catch (const GeneralProtection&) {  // a GPA beyond the nested tables' reach
      throw NestedFault{gpa, pf_err::kRsvd | pf_err::kPresent | where};
    }
  }
  // The attribute of an access to `spa`: the guest key when the guest chose private (SEV only),
  // else the nested mapping's C-bit with the host key.
  MemAttr attr(bool guest_private, const Translation& n) const {
    if (sev && guest_private) return {true, asid};
    return {n.c_bit, Asid(0)};
  }

  // The RMP checks of an access that passed the nested walk (APM Table 15-39). Throws
  // NestedFault (#NPF with the RMP bits) or #VC PAGE_NOT_VALIDATED.
  void rmp_check(const Translation& n, uint64_t gpa, rmp::GuestOp op, bool priv, bool table,
                 uint64_t where) {
    if (!rmp) return;
    uint64_t info = pf_err::kPresent | where | npf::kRmp;
    if (op == rmp::GuestOp::Write) info |= pf_err::kWrite;
    if (cur_user) info |= pf_err::kUser;
    if (!snp) {
      const rmp::RmpCheck c =
          rmp::check_legacy_guest(*rmp, n.pa, op == rmp::GuestOp::Write || table);
      if (c == rmp::RmpCheck::Pass) return;
      if (trace::on()) [[unlikely]]
        cpu_trace::rmp_fail(core, "guest (not SNP)", c, n.pa.value, gpa);
      throw NestedFault{gpa, info};
    }
    const bool effective_private = priv || table || op == rmp::GuestOp::Fetch;
    rmp::GuestAccess a{gpa,          asid.value, op, effective_private, cur_user && !table,
                       n.page_shift, vmpl};
    const rmp::GuestCheckResult r = rmp::check_snp_guest(*rmp, n.pa, a);
    if (r.failed == rmp::RmpCheck::Pass) return;
    if (trace::on()) [[unlikely]]
      cpu_trace::rmp_fail(core,
                          op == rmp::GuestOp::Write   ? "guest write"
                          : op == rmp::GuestOp::Fetch ? "guest fetch"
                          : table                     ? "guest page-table read"
                                                      : "guest read",
                          r.failed, n.pa.value, gpa);
    if (effective_private) info |= npf::kEnc;
    if (r.failed == rmp::RmpCheck::Validated) {
      *cr2 = cur_va.value;
      cpu_trace::raise_vc(core, vc_code::kPageNotValidated, cur_va.value);
    }
    if (r.failed == rmp::RmpCheck::Vmpl) {
      info |= npf::kVmpl;
      if (vmpl_sss && (r.perms & rmp::perm::kSupervisorShadowStack)) info |= npf::kSss;
    }
    throw NestedFault{gpa, info};
  }
  bool vmpl_sss = false;  // CPUID Fn8000_001F EAX[7] VmplSSS
};

// The guest's own page tables live in guest physical memory: each entry read goes through the
// nested walk, and an SEV guest's table reads are private whatever the C-bits say.
void GuestStateDeleter::operator()(GuestState* g) const { delete g; }

class GuestTableReader final : public PageTableReader {
 public:
  GuestTableReader(GuestState& g, PhysMemPort& mem) : g_(g), mem_(mem) {}
  uint64_t read_entry(uint64_t gpa, bool c_bit) override {
    const Translation n = g_.nested(gpa, Access::Read, npf::kGuestPage);
    g_.rmp_check(n, gpa, rmp::GuestOp::Read, c_bit, true, npf::kGuestPage);
    uint8_t b[8];
    mem_.read(n.pa, b, g_.attr(c_bit, n));
    return load_le<uint64_t>(b);
  }
  void write_entry(uint64_t gpa, uint64_t value, bool c_bit) override {
    const Translation n = g_.nested(gpa, Access::Write, npf::kGuestPage);
    g_.rmp_check(n, gpa, rmp::GuestOp::Write, c_bit, true, npf::kGuestPage);
    uint8_t b[8];
    store_le(b, value);
    mem_.write(n.pa, b, g_.attr(c_bit, n));
  }

 private:
  GuestState& g_;
  PhysMemPort& mem_;
};

GuestState::GuestState(PhysMemPort& mem, const PhysAddrLayout& host_layout)
    : nested_tables(mem, Asid(0)), nested_mmu(nested_tables, host_layout) {}

namespace {

struct SaveField {
  uint64_t off;
  uint64_t GprFile::*reg;
};
// The GPRs only the SEV-ES save area holds.
constexpr SaveField kEsGprs[] = {
    {save::kRcx, &GprFile::rcx}, {save::kRdx, &GprFile::rdx}, {save::kRbx, &GprFile::rbx},
    {save::kRbp, &GprFile::rbp}, {save::kRsi, &GprFile::rsi}, {save::kRdi, &GprFile::rdi},
    {save::kR8, &GprFile::r8},   {save::kR9, &GprFile::r9},   {save::kR10, &GprFile::r10},
    {save::kR11, &GprFile::r11}, {save::kR12, &GprFile::r12}, {save::kR13, &GprFile::r13},
    {save::kR14, &GprFile::r14}, {save::kR15, &GprFile::r15},
};

}  // namespace
}  // namespace svm

using namespace svm;

void GuestSoftware::exception(Cpu& cpu, uint8_t vector, uint32_t error_code) {
  if (vector == VmmCommunication::kVector) cpu_trace::raise_vc(cpu.core_id(), error_code);
  throw CpuException(vector, error_code, "injected exception without a handler");
}

Cpu::~Cpu() = default;

Mmu& Cpu::active_mmu() { return guest_active_ ? *guest_->guest_mmu : mmu_; }
const PhysAddrLayout& Cpu::active_layout() const {
  return guest_active_ ? guest_->guest_mmu->layout() : mmu_.layout();
}
bool Cpu::sev_es() const { return guest_ && guest_->es; }
bool Cpu::intercepted3(uint32_t bit) const {
  return guest_ && (guest_->word(ctl::kInterceptWord3) & bit);
}
bool Cpu::guest_intercepts_wbinvd() const {
  return guest_ && (guest_->word(ctl::kInterceptWord4) & intercept4::kWbinvd);
}

VmExit Cpu::vmrun(uint64_t vmcb_pa, GuestSoftware& guest, VmExitHandler& hv) {
  if (guest_active_) throw NotModelled("VMRUN in guest mode (nested SVM)");
  if (!(efer_ & efer::kSvme)) throw InvalidOpcode("VMRUN with EFER.SVME=0");
  if (cpl_ != 0) throw GeneralProtection("VMRUN at CPL 3");
  if (vmcb_pa & (kPageSize - 1)) throw GeneralProtection("VMRUN: VMCB not page-aligned");
  if (snp_active() &&
      !rmp::hypervisor_owned(rmp_->table().read(SysPhysAddr(vmcb_pa & mmu_.layout().addr_mask))))
    throw GeneralProtection("VMRUN: VMCB is not hypervisor-owned");
  std::unique_ptr<GuestState, GuestStateDeleter> g(new GuestState(mem_, mmu_.layout()));
  g->cr2 = &cr2_;
  g->core = core_id_;
  g->vmpl_sss = model_.fn8000_001f.has(SevFeature::VmplSss);
  const uint64_t cmask = mmu_.layout().c_bit_mask;
  g->vmcb_pa = vmcb_pa;
  g->vmcb_c = cmask && (vmcb_pa & cmask);
  g->vmcb = SysPhysAddr(vmcb_pa & mmu_.layout().addr_mask);
  g->sw = &guest;
  g->hv = &hv;
  g->h_cr0 = cr0_, g->h_cr2 = cr2_, g->h_cr3 = cr3_, g->h_cr4 = cr4_, g->h_efer = efer_;
  g->h_cpl = cpl_;
  guest_ = std::move(g);

  VmExit result;
  if (!enter_guest()) {
    result = {exit_code::kInvalid, 0, 0};
  } else {
    try {
      deliver_event();
      for (;;) {
        guest.run(*this);
        // The guest software returned: its idle loop executes HLT.
        hlt();
      }
    } catch (const LeaveGuest& leave) {
      result = leave.exit;
    } catch (const CpuException& e) {
      // An exception the guest did not handle: a triple fault, which SVM turns into
      // #VMEXIT(SHUTDOWN).
      if (guest_active_) leave_guest({exit_code::kShutdown, e.vector(), 0});
      result = {exit_code::kShutdown, e.vector(), 0};
    } catch (...) {
      // Not the guest's doing (the guest software's own error, e.g. the x86 engine that cannot
      // be loaded): the host's state back before the error goes on to the caller, whose
      // cleanup (KVM's vCPU teardown) runs on the host.
      if (guest_active_) leave_guest({exit_code::kShutdown, 0, 0});
      guest_.reset();
      throw;
    }
  }
  guest_.reset();
  return result;
}

bool Cpu::enter_guest() {
  GuestState& g = *guest_;
  const MemAttr vmcb_attr{g.vmcb_c, Asid(0)};
  read_lines(mem_, g.vmcb, g.page, kVmcbCtlLines, vmcb_attr);
  g.vmcb_lines = kVmcbCtlLines;
  const auto invalid = [&] {
    if (trace::on()) [[unlikely]]
      cpu_trace::vmrun(core_id_, g.asid.value,
                       g.snp   ? "SEV-SNP"
                       : g.es  ? "SEV-ES"
                       : g.sev ? "SEV"
                               : "off",
                       g.vmcb_pa, false);
    g.set_quad(ctl::kExitCode, exit_code::kInvalid);
    write_lines(mem_, g.vmcb, g.page, g.vmcb_lines, vmcb_attr);
    return false;
  };
  // Consistency checks (APM §15.5.1, §15.34.4, §15.35.1).
  const uint64_t nctl = g.quad(ctl::kNestedCtl);
  g.asid = Asid(g.word(ctl::kAsid));
  g.np = nctl & nested_ctl::kNpEnable;
  g.sev = nctl & nested_ctl::kSevEnable;
  g.es = nctl & nested_ctl::kSevEsEnable;
  const auto& f = model_.fn8000_001f;
  if (g.asid.value == 0) return invalid();
  if (!(g.word(ctl::kInterceptWord4) & intercept4::kVmrun)) return invalid();
  if (g.sev && (!f.has(SevFeature::Sev) || !g.np)) return invalid();
  if (g.es && (!g.sev || !f.has(SevFeature::SevEs))) return invalid();
  if (g.sev) {
    if (g.asid.value > f.num_encrypted_guests()) return invalid();
    // ES guests use ASIDs below the minimum SEV ASID; plain SEV guests the rest.
    if (g.es != (g.asid.value < f.min_sev_asid())) return invalid();
    if (!gate_ || !gate_->asid_runnable(g.asid)) return invalid();
  }
  g.ncr3 = g.quad(ctl::kNestedCr3);
  g.nested_mode = PagingMode{true, true, (g.h_efer & efer::kNxe) != 0, false, g.ncr3};
  g.nested_mmu.tlb().flush_all();

  // The guest's state: from the VMCB's save area, or from the VMSA with the guest's key.
  uint8_t vmsa[kPageSize];
  const uint8_t* sa = g.page + save::kInVmcb;
  g.rmp = snp_active() ? &rmp_->table() : nullptr;
  g.snp = false;
  g.sev_features = 0;
  g.vmpl = 0;
  if (g.es) {
    g.vmsa = SysPhysAddr(g.quad(ctl::kVmsaPa) & mmu_.layout().addr_mask);
    read_lines(mem_, g.vmsa, vmsa, kSaveLines, MemAttr{true, g.asid});
    g.sev_features = load_le<uint64_t>(vmsa + save::kSevFeatures);
    g.snp = g.sev_features & sev_features::kSnpActive;
    // SEV-ES without SNP: the whole page, for the integrity check below.
    if (!g.snp) read_lines(mem_, g.vmsa, vmsa, ~kSaveLines, MemAttr{true, g.asid});
    if (g.snp) {
      // APM Table 15-41: the VMSA of an SNP-active guest is RMP-Covered, Guest-Owned by this
      // ASID, Mutable, a 4 KiB page and has RMP.VMSA=1. The RMP, not a recorded digest, is what
      // keeps the hypervisor from having written it.
      if (!g.rmp || !f.has(SevFeature::SevSnp)) return invalid();
      if (!rmp::vmrun_vmsa_ok(*g.rmp, g.vmsa, g.asid.value)) {
        if (trace::on()) [[unlikely]]
          trace::instant(trace::track::cpu(core_id_), "rmp", "RMP check failed: VMSA",
                         {{"check", "VMSA page (APM Table 15-41)"},
                          {"access", "VMRUN"},
                          {"spa", trace::hex(g.vmsa.value)},
                          {"asid", g.asid.value}});
        return invalid();
      }
      g.vmpl = vmsa[save::kVmpl];
      if (g.vmpl >= rmp::kVmpls) return invalid();
    } else if (!integrity_ || !integrity_->matches(g.vmsa, vmsa)) {
      return invalid();
    }
    if (g.snp) std::memcpy(g.vmsa_save, vmsa, kSaveUsed);
    sa = vmsa;
    g.ghcb_msr = g.quad(ctl::kGhcbGpa);
  } else {
    read_lines(mem_, g.vmcb, g.page, kVmcbSaveLines, vmcb_attr);
    g.vmcb_lines |= kVmcbSaveLines;
  }
  // EVENTINJ: checked here, delivered once the guest runs (deliver_event).
  const uint64_t inj = g.quad(ctl::kEventInj);
  g.pending_event = 0;
  if (inj & event_inj::kValid) {
    // Restricted injection is an SNP feature (SEV_FEATURES bit 3 of an SNP-active VMSA).
    const uint64_t features = g.snp ? g.sev_features : 0;
    const bool is_hv = (inj >> event_inj::kTypeShift & 7) == event_inj::kTypeException &&
                       (inj & event_inj::kVectorMask) == event_inj::kVectorHv;
    if (features & sev_features::kRestrictedInjection) {
      if (!f.has(SevFeature::RestrictedInjection) || !is_hv) return invalid();
    }
    g.pending_event = inj;
    g.set_quad(ctl::kEventInj, inj & ~event_inj::kValid);
  }
  if (g.rmp) {
    // In use until #VMEXIT: RMPUPDATE on them is FAIL_INUSE (APM Table 15-41).
    rmp_->mark_in_use(g.vmcb);
    if (g.es) rmp_->mark_in_use(g.vmsa);
    g.in_use_marked = true;
  }
  const auto q = [&](uint64_t off) { return load_le<uint64_t>(sa + off); };
  cr0_ = q(save::kCr0);
  cr2_ = q(save::kCr2);
  cr3_ = q(save::kCr3);
  cr4_ = q(save::kCr4);
  efer_ = q(save::kEfer);
  cpl_ = sa[save::kCpl] == 3 ? 3 : 0;
  // Non-ES: the other GPRs are what the hypervisor left in them (KVM loads vcpu->arch.regs).
  regs_.rax = q(save::kRax);
  regs_.rsp = q(save::kRsp);
  regs_.rip = q(save::kRip);
  regs_.rflags = q(save::kRflags);
  if (g.es)
    for (const auto& fld : kEsGprs) regs_.*fld.reg = q(fld.off);

  if (!g.guest_tables) g.guest_tables = std::make_unique<GuestTableReader>(g, mem_);
  WalkPolicy policy;
  policy.tables_always_private = g.sev;
  policy.fetch_always_private = g.sev;
  // The guest's TLB starts empty at each VMRUN (the model flushes it as KVM's TLB_CONTROL does).
  const PhysAddrLayout layout = PhysAddrLayout::make_guest(model_, g.sev);
  if (g.guest_mmu)
    g.guest_mmu->reset(layout, policy);
  else
    g.guest_mmu = std::make_unique<Mmu>(*g.guest_tables, layout, policy);
  guest_active_ = true;
  update_mode();
  if (trace::on()) [[unlikely]] {
    cpu_trace::vmrun(core_id_, g.asid.value,
                     g.snp   ? "SEV-SNP"
                     : g.es  ? "SEV-ES"
                     : g.sev ? "SEV"
                             : "off",
                     g.vmcb_pa, true);
    g.guest_since = trace::now();
  }
  return true;
}

void Cpu::leave_guest(const VmExit& exit) {
  GuestState& g = *guest_;
  note_vmexit();
  uint8_t* sa = g.page + save::kInVmcb;
  uint8_t vmsa[kPageSize];
  if (g.snp) {
    sa = g.vmsa_save;  // the lines VMRUN read
  } else if (g.es) {
    // SEV-ES: the VMSA page as it is (fields the model does not track keep their values), all of
    // it, which the integrity record needs.
    mem_.read(g.vmsa, MutByteSpan(vmsa, kPageSize), MemAttr{true, g.asid});
    sa = vmsa;
  }
  const auto put = [&](uint64_t off, uint64_t v) { store_le<uint64_t>(sa + off, v); };
  put(save::kCr0, cr0_);
  put(save::kCr2, cr2_);
  put(save::kCr3, cr3_);
  put(save::kCr4, cr4_);
  put(save::kEfer, efer_);
  sa[save::kCpl] = static_cast<uint8_t>(cpl_);
  put(save::kRax, regs_.rax);
  put(save::kRsp, regs_.rsp);
  put(save::kRip, regs_.rip);
  put(save::kRflags, regs_.rflags);
  if (g.es) {
    for (const auto& fld : kEsGprs) put(fld.off, regs_.*fld.reg);
    if (g.snp) {
      write_lines(mem_, g.vmsa, g.vmsa_save, kSaveLines, MemAttr{true, g.asid});
      std::memset(g.vmsa_save, 0, sizeof g.vmsa_save);
    } else {
      mem_.write(g.vmsa, ByteSpan(vmsa, kPageSize), MemAttr{true, g.asid});
      integrity_->record(g.vmsa, ByteSpan(vmsa, kPageSize));
      std::memset(vmsa, 0, sizeof vmsa);
    }
    g.set_quad(ctl::kGhcbGpa, g.ghcb_msr);
    regs_ = GprFile{};  // the hypervisor gets its own registers back, nothing of the guest's
  }
  g.set_quad(ctl::kExitCode, exit.code);
  g.set_quad(ctl::kExitInfo1, exit.info1);
  g.set_quad(ctl::kExitInfo2, exit.info2);
  write_lines(mem_, g.vmcb, g.page, g.vmcb_lines, MemAttr{g.vmcb_c, Asid(0)});
  if (g.in_use_marked) {
    rmp_->clear_in_use(g.vmcb);
    if (g.es) rmp_->clear_in_use(g.vmsa);
    g.in_use_marked = false;
  }

  cr0_ = g.h_cr0, cr2_ = g.h_cr2, cr3_ = g.h_cr3, cr4_ = g.h_cr4, efer_ = g.h_efer;
  cpl_ = g.h_cpl;
  guest_active_ = false;
  update_mode();
  if (trace::on()) [[unlikely]]
    cpu_trace::vmexit(core_id_, g.guest_since, g.asid.value, exit.code, exit.info1, exit.info2);
}

void Cpu::intercept(uint64_t code, uint64_t info1, uint64_t info2, unsigned insn_len) {
  CBIT_ASSERT(guest_active_);
  GuestState& g = *guest_;
  g.set_quad(ctl::kNextRip, regs_.rip + insn_len);
  leave_guest({code, info1, info2});
  if (!g.hv->handle_exit(*this, {code, info1, info2})) throw LeaveGuest{{code, info1, info2}};
  if (!enter_guest()) throw LeaveGuest{{exit_code::kInvalid, 0, 0}};
  deliver_event();
}

void Cpu::deliver_event() {
  GuestState& g = *guest_;
  const uint64_t inj = g.pending_event;
  if (!(inj & event_inj::kValid)) return;
  g.pending_event = 0;
  const uint32_t ec = inj & event_inj::kErrorCodeValid
                          ? static_cast<uint32_t>(inj >> event_inj::kErrorCodeShift)
                          : 0;
  g.sw->exception(*this, static_cast<uint8_t>(inj & event_inj::kVectorMask), ec);
}

// --- instructions that exit ---

void Cpu::hlt() {
  if (cpl_ != 0) throw GeneralProtection("HLT at CPL 3");
  if (guest_active_ && intercepted3(intercept3::kHlt)) {
    // HLT is an automatic exit under SEV-ES too.
    intercept(exit_code::kHlt, 0, 0, 1);
    return;
  }
  // Host (or not intercepted): nothing to wait for in this model.
}

void Cpu::vmmcall() {
  if (!guest_active_) throw InvalidOpcode("VMMCALL outside a guest");
  if (!(guest_->word(ctl::kInterceptWord4) & intercept4::kVmmcall))
    throw InvalidOpcode("VMMCALL not intercepted");
  if (guest_->es) cpu_trace::raise_vc(core_id_, exit_code::kVmmcall);
  intercept(exit_code::kVmmcall, 0, 0, 3);
}

void Cpu::vmgexit() {
  if (!guest_active_) throw InvalidOpcode("VMGEXIT outside a guest");
  if (!guest_->es) return vmmcall();  // REP VMMCALL is VMMCALL outside SEV-ES
  intercept(exit_code::kVmgexit, 0, 0, 4);
}

bool Cpu::port_intercepted(uint16_t port) {
  if (!intercepted3(intercept3::kIoioProt)) return false;
  return permission_bit(ctl::kIopmBasePa, port);
}

bool Cpu::permission_bit(uint64_t base_field, uint64_t bit) {
  // The map's address is a system physical address; its C-bit decides the key (KVM passes
  // __sme_page_pa()).
  const uint64_t base = guest_->quad(base_field);
  const uint64_t cmask = mmu_.layout().c_bit_mask;
  uint8_t b = 0;
  mem_.read(SysPhysAddr((base & mmu_.layout().addr_mask) + bit / 8), MutByteSpan(&b, 1),
            MemAttr{cmask && (base & cmask), Asid(0)});
  return b >> (bit % 8) & 1;
}

void Cpu::out(uint16_t port, unsigned size, uint32_t value) {
  if (!out_or_vc(port, size, value)) throw VmmCommunication(exit_code::kIoio);
}

bool Cpu::out_or_vc(uint16_t port, unsigned size, uint32_t value) {
  if (size != 1 && size != 2 && size != 4) throw NotModelled("OUT of that size");
  if (!guest_active_ || !port_intercepted(port)) return true;  // no devices on the host side
  if (guest_->es) {
    cpu_trace::note_vc(core_id_, exit_code::kIoio);
    return false;
  }
  regs_.rax = value;
  intercept(exit_code::kIoio, ioio::info(port, size, false), regs_.rip + 1, 1);
  return true;
}

uint32_t Cpu::in(uint16_t port, unsigned size) {
  if (size != 1 && size != 2 && size != 4) throw NotModelled("IN of that size");
  if (!guest_active_ || !port_intercepted(port)) return ~0u;  // nothing answers
  if (guest_->es) cpu_trace::raise_vc(core_id_, exit_code::kIoio);
  intercept(exit_code::kIoio, ioio::info(port, size, true), regs_.rip + 1, 1);
  const uint32_t mask = size == 4 ? ~0u : (1u << (8 * size)) - 1;
  return static_cast<uint32_t>(regs_.rax) & mask;
}

bool Cpu::msr_intercepted(uint32_t index, bool write) {
  if (!intercepted3(intercept3::kMsrProt)) return false;
  // Two bits per MSR (read, write) in three 2 KiB ranges (APM §15.11).
  uint64_t base;
  if (index <= 0x1FFF)
    base = 0;
  else if (index >= 0xC0000000 && index <= 0xC0001FFF)
    base = 0x800, index -= 0xC0000000;
  else if (index >= 0xC0010000 && index <= 0xC0011FFF)
    base = 0x1000, index -= 0xC0010000;
  else
    return true;  // outside the map: always intercepted
  return permission_bit(ctl::kMsrpmBasePa, 8 * base + 2ull * index + (write ? 1 : 0));
}

uint64_t Cpu::guest_rdmsr(uint32_t index) {
  GuestState& g = *guest_;
  // SEV_STATUS and the GHCB MSR are the guest's own and never exit (a guest reads SEV_STATUS
  // before it has a #VC handler).
  // SNP: bit 2, and SEV_FEATURES bit n as bit n + 2 (SNPActive is bit 0, so bit 2 again).
  if (index == msr::kSevStatus)
    return (g.sev ? 1u : 0u) | (g.es ? 2u : 0u) | (g.snp ? g.sev_features << 2 : 0);
  if (index == msr::kGhcb) {
    if (!g.es) throw GeneralProtection("GHCB MSR outside SEV-ES");
    return g.ghcb_msr;
  }
  if (!msr_intercepted(index, false)) return msrs_.read(index);
  if (g.es) cpu_trace::raise_vc(core_id_, exit_code::kMsr);
  regs_.rcx = index;
  intercept(exit_code::kMsr, 0, 0, 2);
  return (regs_.rax & 0xffffffffu) | (regs_.rdx << 32);
}

bool Cpu::guest_wrmsr(uint32_t index, uint64_t value) {
  GuestState& g = *guest_;
  if (index == msr::kSevStatus) throw GeneralProtection("SEV_STATUS is read-only");
  if (index == msr::kGhcb) {
    if (!g.es) throw GeneralProtection("GHCB MSR outside SEV-ES");
    g.ghcb_msr = value;
    return true;
  }
  if (!msr_intercepted(index, true)) return false;  // the core's own MSR
  if (g.es) cpu_trace::raise_vc(core_id_, exit_code::kMsr);
  regs_.rcx = index;
  regs_.rax = value & 0xffffffffu;
  regs_.rdx = value >> 32;
  intercept(exit_code::kMsr, 1, 0, 2);
  return true;
}

// --- SNP guest instructions: the walks (cpu_snp.cc has the rest) ---

bool Cpu::guest_snp() const { return guest_ && guest_->snp; }
unsigned Cpu::guest_vmpl() const { return guest_ ? guest_->vmpl : 0; }

rmp::GuestInsnResult Cpu::guest_rmp_insn(VirtAddr va, bool size_2m, const char* name,
                                         const GuestRmpOp& op) {
  if (!guest_active_ || !guest_snp()) throw InvalidOpcode(std::string(name) + " outside SNP");
  if (cpl_ != 0) throw GeneralProtection(std::string(name) + " at CPL 3");
  if (size_2m && (va.value & (rmp::k2MiB - 1))) return {rmp::ret::kFailInput, false, {}};
  GuestState& g = *guest_;
  for (;;) {
    // An #NPF found by the RMP check is handled below without a C++ throw (one per page a guest
    // accepts at boot); one from the walks arrives as NestedFault.
    NestedFault npf{0, 0};
    try {
      g.cur_va = va;
      g.cur_user = false;
      uint64_t gpa;
      if (mode_.paging) {
        gpa = translate(va, Access::Read).pa.value;
      } else {
        gpa = va.value & ~(1ull << model_.fn8000_001f.cbit_position());
      }
      const Translation nt = g.nested(gpa, Access::Read, npf::kGuestFinal);
      const rmp::GuestTarget target{nt.pa.page_base(), gpa & kPageMask, g.asid.value};
      if (size_2m && (target.spa.value & (rmp::k2MiB - 1)))
        return {rmp::ret::kFailSizeMismatch, false, {}};
      const rmp::GuestInsnResult r = op(rmp_->table(), target);
      if (r.fault == rmp::GuestInsnFault::None) return r;
      if (trace::on()) [[unlikely]]
        cpu_trace::rmp_fail(core_id_, name,
                            r.fault == rmp::GuestInsnFault::NpfSizeM ? rmp::RmpCheck::PageSize
                            : r.fault == rmp::GuestInsnFault::NotValidated
                                ? rmp::RmpCheck::Validated
                                : rmp::RmpCheck::GuestOwned,
                            target.spa.value, gpa);
      if (r.fault == rmp::GuestInsnFault::NotValidated) {
        *g.cr2 = va.value;
        cpu_trace::raise_vc(core_id_, vc_code::kPageNotValidated, va.value);
      }
      uint64_t info = pf_err::kPresent | npf::kRmp | npf::kGuestFinal | npf::kEnc;
      if (r.fault == rmp::GuestInsnFault::NpfSizeM) info |= npf::kSizeM;
      npf = NestedFault{gpa, info};
    } catch (const NestedFault& f) {
      npf = f;
    }
    intercept(exit_code::kNpf, npf.info1, npf.gpa, 0);
  }
}

// --- guest memory accesses ---

void Cpu::guest_access(VirtAddr va, uint8_t* data, size_t len, Access kind) {
  GuestState& g = *guest_;
  for (;;) {
    try {
      struct Piece {
        SysPhysAddr spa;
        MemAttr attr;
        size_t off, n;
      };
      Piece pieces[2];
      size_t count = 0;
      std::vector<Piece> many;
      for (size_t off = 0; off < len;) {
        const VirtAddr a = va + off;
        const size_t n = std::min<size_t>(kPageSize - a.page_offset(), len - off);
        uint64_t gpa;
        bool priv;
        g.cur_va = a;
        g.cur_user = cpl_ == 3;
        if (mode_.paging) {
          const Translation t = translate(a, kind);
          gpa = t.pa.value;
          priv = t.c_bit || kind == Access::Fetch;
        } else {
          // Without paging the guest cannot choose: an SEV guest's accesses are private.
          gpa = a.value & ~(g.sev ? 1ull << model_.fn8000_001f.cbit_position() : 0);
          priv = true;
        }
        const Translation nt = g.nested(gpa, kind, npf::kGuestFinal);
        if (g.rmp)
          g.rmp_check(nt, gpa,
                      kind == Access::Write   ? rmp::GuestOp::Write
                      : kind == Access::Fetch ? rmp::GuestOp::Fetch
                                              : rmp::GuestOp::Read,
                      priv, false, npf::kGuestFinal);
        const Piece p{nt.pa, g.attr(priv, nt), off, n};
        if (count < 2)
          pieces[count++] = p;
        else
          many.push_back(p);
        off += n;
      }
      const auto apply = [&](const Piece& p) {
        if (kind == Access::Write)
          mem_.write(p.spa, ByteSpan(data + p.off, p.n), p.attr);
        else
          mem_.read(p.spa, MutByteSpan(data + p.off, p.n), p.attr);
      };
      for (size_t i = 0; i < count; ++i) apply(pieces[i]);
      for (const auto& p : many) apply(p);
      return;
    } catch (const NestedFault& f) {
      // #NPF is an automatic exit (also under SEV-ES). If the hypervisor resumes, the access
      // is tried again with whatever it changed in the nested tables.
      intercept(exit_code::kNpf, f.info1, f.gpa, 0);
    }
  }
}

}  // namespace cbit::hw
