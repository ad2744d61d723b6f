#include "sw/hv/vcpu.h"

#include <cstring>

#include "common/error.h"
#include "common/trace.h"
#include "hw/cpu/cpu.h"
#include "hw/cpu/cpu_trace.h"
#include "hw/cpu/cpuid.h"
#include "hw/cpu/msr.h"
#include "hw/machine.h"
#include "hw/svm/vmcb.h"
#include "sw/ghcb/ghcb.h"
#include "sw/ghcb/ghcb_names.h"
#include "sw/host/kernel.h"
#include "sw/hv/vm.h"

namespace cbit::sw::hv {

using namespace hw::svm;
namespace gh = ghcb;

namespace {
constexpr uint64_t kKvmHcMapGpaRange = 12;  // include/uapi/linux/kvm_para.h
constexpr uint64_t kKvmMapGpaRangeEncrypted = 1ull << 4;
constexpr uint64_t kKvmEnosys = static_cast<uint64_t>(-1000);
// GHCB error reporting in sw_exit_info_1/2 (Linux svm.h GHCB_HV_RESP_ISSUE_EXCEPTION... and
// sev-common.h GHCB_ERR_*).
constexpr uint64_t kGhcbRespMalformed = 2;
constexpr uint64_t kGhcbErrMissingInput = 4, kGhcbErrInvalidInput = 5, kGhcbErrInvalidEvent = 6;

VirtAddr alloc_filled(host::HostKernel& k, unsigned order, uint8_t fill) {
  const auto va = k.alloc_pages(order);
  if (!va) throw InputError("vCPU: out of host memory");
  Bytes b(kPageSize << order, fill);
  k.memcpy_to(*va, b);
  return *va;
}
}  // namespace

Vcpu::Vcpu(Vm& vm, unsigned id) : vm_(vm), id_(id) {
  auto& k = vm_.kernel();
  vmcb_ = alloc_filled(k, 0, 0);
  msrpm_ = alloc_filled(k, 1, 0xff);  // 8 KiB: every MSR intercepted...
  if (guest_state_protected()) vmsa_ = alloc_filled(k, 0, 0);
  init_vmcb();
}

Vcpu::~Vcpu() {
  auto& k = vm_.kernel();
  if (vmsa_) {
    // sev_free_vcpu(): the VMSA's guest-key lines must not outlive the page.
    auto& cpu = vm_.machine().cpu();
    if (vm_.machine().cpu_model().fn8000_001f.has(hw::SevFeature::VmPageFlush))
      cpu.wrmsr(hw::msr::kVmPageFlush, vmsa_->value | vm_.asid());
    else
      cpu.wbinvd();
    k.free_pages(*vmsa_, 0);
  }
  k.free_pages(msrpm_, 1);
  k.free_pages(vmcb_, 0);
}

bool Vcpu::guest_state_protected() const {
  return vm_.config().mode == SevMode::SevEs || vm_.config().mode == SevMode::Snp;
}

SysPhysAddr Vcpu::vmsa_pa() const {
  CBIT_ASSERT(vmsa_.has_value());
  return vm_.kernel().__pa(*vmsa_);
}

uint64_t Vcpu::vmcb_read(uint64_t off) const {
  uint8_t b[8];
  vm_.kernel().memcpy_from(vmcb_ + off, b);
  return load_le<uint64_t>(b);
}

void Vcpu::vmcb_write(uint64_t off, uint64_t value) {
  uint8_t b[8];
  store_le(b, value);
  vm_.kernel().memcpy_to(vmcb_ + off, b);
}

void Vcpu::init_vmcb() {
  auto& k = vm_.kernel();
  const uint64_t me = k.sme_me_mask();
  // init_vmcb(): the intercepts KVM sets for every guest.
  const uint32_t w3 = intercept3::kCpuid | intercept3::kHlt | intercept3::kIoioProt |
                      intercept3::kMsrProt | intercept3::kShutdown | intercept3::kInvd;
  const uint32_t w4 = intercept4::kVmrun | intercept4::kVmmcall;
  vmcb_write(ctl::kInterceptWord3, w3 | uint64_t{w4} << 32);    // words 3 and 4 are adjacent
  vmcb_write(ctl::kIopmBasePa, k.__pa(vm_.iopm()).value | me);  // the VM's one (Vm::iopm)
  vmcb_write(ctl::kMsrpmBasePa, k.__pa(msrpm_).value | me);
  vmcb_write(ctl::kAsid, vm_.asid());
  uint64_t nctl = nested_ctl::kNpEnable;
  if (vm_.config().mode != SevMode::None) nctl |= nested_ctl::kSevEnable;
  if (guest_state_protected()) nctl |= nested_ctl::kSevEsEnable;  // SNP needs SEV-ES
  vmcb_write(ctl::kNestedCtl, nctl);
  vmcb_write(ctl::kNestedCr3, vm_.npt().ncr3());
  if (vmsa_) vmcb_write(ctl::kVmsaPa, vmsa_pa().value);  // __pa(): no C-bit
  // The save area (non-ES guests; an ES guest's comes from LAUNCH_UPDATE_VMSA).
  vmcb_write(save::kInVmcb + save::kCr0, kEntryCr0);
  vmcb_write(save::kInVmcb + save::kEfer, hw::efer::kSvme);
  vmcb_write(save::kInVmcb + save::kRip, kEntryRip);
  vmcb_write(save::kInVmcb + save::kRflags, 0x2);
  regs_ = hw::GprFile{};
  regs_.rip = kEntryRip;
}

int Vcpu::get_regs(hw::GprFile* out) const {
  if (guest_state_protected()) return -EINVAL;  // vcpu->arch.guest_state_protected
  *out = regs_;
  return 0;
}

int Vcpu::set_regs(const hw::GprFile& in) {
  if (guest_state_protected()) return -EINVAL;
  regs_ = in;
  regs_to_vmcb();
  return 0;
}

// The registers the VMCB save area holds (the rest stay in vcpu->arch.regs).
void Vcpu::regs_to_vmcb() {
  vmcb_write(save::kInVmcb + save::kRax, regs_.rax);
  vmcb_write(save::kInVmcb + save::kRsp, regs_.rsp);
  vmcb_write(save::kInVmcb + save::kRip, regs_.rip);
}

VmExit Vcpu::run(GuestSoftware& guest) {
  auto& cpu = vm_.machine().cpu();
  const bool es = guest_state_protected();
  if (!es) cpu.regs() = regs_;  // KVM loads the GPRs the VMCB does not hold
  if (terminated_) return {exit_code::kShutdown, 0, 0};
  const uint64_t vmcb_pa = vm_.kernel().__pa(vmcb_).value | vm_.kernel().sme_me_mask();
  last_ = cpu.vmrun(vmcb_pa, guest, *this);
  if (last_.code == exit_code::kInvalid || last_.code == exit_code::kShutdown) ++exits_[last_.code];
  if (!es) regs_ = cpu.regs();
  return last_;
}

bool Vcpu::handle_exit(hw::Cpu& cpu, const VmExit& exit) {
  // KVM's handling of the exit, on this vCPU's row (the VMGEXIT it decodes goes inside).
  const std::string span_name =
      trace::on() ? "handle " + hw::cpu_trace::svm_exit_name(exit.code) : std::string();
  trace::Span span(trace::track::vcpu(id_), "kvm", span_name);
  ++exits_[exit.code];
  last_ = exit;
  const bool es = guest_state_protected();
  if (!es) {
    regs_ = cpu.regs();
    regs_.rax = vmcb_read(save::kInVmcb + save::kRax);
    regs_.rsp = vmcb_read(save::kInVmcb + save::kRsp);
    regs_.rip = vmcb_read(save::kInVmcb + save::kRip);
  }
  const uint64_t nrip = vmcb_read(ctl::kNextRip);
  bool resume = true;
  switch (exit.code) {
    case exit_code::kCpuid: {
      const auto r =
          guest_cpuid(static_cast<uint32_t>(regs_.rax), static_cast<uint32_t>(regs_.rcx));
      regs_.rax = r.eax, regs_.rbx = r.ebx, regs_.rcx = r.ecx, regs_.rdx = r.edx;
      regs_.rip = nrip;
      break;
    }
    case exit_code::kMsr:
      if (exit.info1 == 0) {
        const uint64_t v = guest_msr_read(static_cast<uint32_t>(regs_.rcx));
        regs_.rax = v & 0xffffffffu;
        regs_.rdx = v >> 32;
      }
      regs_.rip = nrip;
      break;
    case exit_code::kIoio: {
      const uint16_t port = ioio::port(exit.info1);
      const unsigned size = ioio::size(exit.info1);
      const bool in = exit.info1 & ioio::kIn;
      const uint32_t v = pio(port, size, in, static_cast<uint32_t>(regs_.rax));
      if (in) {
        const uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
        regs_.rax = (regs_.rax & ~mask) | (v & mask);
      }
      regs_.rip = exit.info2;
      break;
    }
    case exit_code::kVmmcall:
      regs_.rax = hypercall(regs_.rax, regs_.rbx, regs_.rcx, regs_.rdx, regs_.rsi);
      regs_.rip = nrip;
      break;
    case exit_code::kHlt:
      regs_.rip = nrip;
      resume = false;  // nothing to wake the vCPU: back to the run loop
      break;
    case exit_code::kNpf:
      resume = handle_npf(exit.info2, exit.info1);
      break;
    case exit_code::kVmgexit:
      resume = handle_vmgexit(cpu);
      break;
    default:
      resume = false;
  }
  if (!es) {
    regs_to_vmcb();
    cpu.regs() = regs_;
  }
  return resume;
}

hw::CpuidResult Vcpu::guest_cpuid(uint32_t leaf, uint32_t subleaf) const {
  const auto& model = vm_.machine().cpu_model();
  hw::CpuidResult r = hw::cpuid(model, leaf, subleaf);
  const SevMode mode = vm_.config().mode;
  if (leaf == 1) r.ecx |= 1u << 31;  // the hypervisor-present bit
  if (leaf == hw::cpuid_leaf::kExtFeatures) r.ecx &= ~hw::cpuid_bit::kSvm;  // no nested SVM
  if (leaf == 0x8000001F) {
    // What QEMU's sev-guest object puts there (seed 004: eax=0x00000002 ebx=0x0000006f).
    if (mode == SevMode::None) return {};
    const auto& f = model.fn8000_001f;
    uint32_t eax = 1u << static_cast<unsigned>(hw::SevFeature::Sev);
    if (mode == SevMode::SevEs || mode == SevMode::Snp)
      eax |= 1u << static_cast<unsigned>(hw::SevFeature::SevEs);
    if (mode == SevMode::Snp) eax |= 1u << static_cast<unsigned>(hw::SevFeature::SevSnp);
    return {eax, f.cbit_position() | (vm_.config().reduced_phys_bits & 0x3f) << 6, 0, 0};
  }
  return r;
}

uint64_t Vcpu::guest_msr_read(uint32_t) const { return 0; }

uint32_t Vcpu::pio(uint16_t port, unsigned size, bool in, uint32_t value) {
  if (port == kCom1Port && !in) {
    vm_.console().out(static_cast<uint8_t>(value));
    return 0;
  }
  if (port == kBlkPort && !in && size == 4) {
    vm_.blk().kick(vm_.memory(), value);
    return 0;
  }
  return in ? ~0u : 0;
}

uint64_t Vcpu::hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t) {
  if (nr != kKvmHcMapGpaRange) return kKvmEnosys;
  // The guest tells which pages it now uses shared (attrs bit 4 clear) or private.
  if (a1 > (vm_.config().ram_bytes >> kPageShift)) return static_cast<uint64_t>(-22);
  for (uint64_t i = 0; i < a1; ++i) {
    const uint64_t gfn = (a0 >> kPageShift) + i;
    if (a2 & kKvmMapGpaRangeEncrypted)
      vm_.shared_gfns_.erase(gfn);
    else
      vm_.shared_gfns_.insert(gfn);
  }
  return 0;
}

bool Vcpu::handle_npf(uint64_t gpa, uint64_t info1) {
  if (snp_active() && snp_handle_npf(gpa, info1)) return true;
  if (vm_.on_npf && vm_.on_npf(*this, gpa, info1)) return true;
  // kvm_mmu_page_fault(): a not-present GFN of a memslot is faulted in and mapped.
  if (vm_.tdp_page_fault(gpa, info1)) return true;
  return false;  // MMIO and protection faults are not modelled: the run loop sees the exit
}

bool Vcpu::handle_vmgexit(hw::Cpu&) {
  const uint64_t msr = vmcb_read(ctl::kGhcbGpa);
  if (gh::msr_proto::code(msr) != 0) return vmgexit_msr_protocol(msr);
  return vmgexit_ghcb(msr);
}

bool Vcpu::vmgexit_msr_protocol(uint64_t msr) {
  namespace mp = gh::msr_proto;
  const uint64_t code = mp::code(msr);
  ++vmgexits_[code];
  if (trace::on()) [[unlikely]] {
    const std::string request = gh::msr_protocol_name(code);
    trace::instant(trace::track::vcpu(id_), "ghcb", "VMGEXIT " + request,
                   {{"protocol", "MSR"}, {"request", request}, {"ghcb_msr", trace::hex(msr)}});
  }
  uint64_t resp;
  switch (code) {
    case mp::kSevInfoReq:
      resp = mp::sev_info(gh::kProtocolMax, gh::kProtocolMin,
                          vm_.machine().cpu_model().fn8000_001f.cbit_position());
      break;
    case mp::kCpuidReq: {
      const auto r = guest_cpuid(static_cast<uint32_t>(msr >> 32), 0);
      const uint32_t regs[4] = {r.eax, r.ebx, r.ecx, r.edx};
      resp = mp::cpuid_resp(regs[(msr >> 30) & 3]);
      break;
    }
    case mp::kRegGpaReq:
      ghcb_gpa_ = msr & ~mp::kInfoMask;
      resp = mp::reg_gpa(msr >> 12, true);
      break;
    case mp::kHvFeaturesReq:
      resp = mp::hv_features_resp(hv_features());  // GHCB_HV_FT_SNP | _AP_CREATION for SNP
      break;
    case mp::kTermReq:
      terminated_ = true;
      return false;
    default: {
      // KVM: the SNP requests of an SNP VM; anything else exits to userspace.
      const auto r = snp_active() ? snp_msr_protocol(msr) : std::nullopt;
      if (!r) return false;
      resp = *r;
    }
  }
  vmcb_write(ctl::kGhcbGpa, resp);
  return true;
}

bool Vcpu::vmgexit_ghcb(uint64_t gpa) {
  if (!ghcb_gpa_ || gpa != *ghcb_gpa_) return false;  // not the GHCB the guest registered
  // KVM maps the GHCB and reads the fields an exit needs (sev_es_sync_from_ghcb), writes back
  // those it set (sev_es_sync_to_ghcb), and copies the shared buffer only for the events that
  // use it: here line by line (64 bytes), `loaded` and `changed` saying which.
  constexpr uint64_t L = gh::kGhcbLine;
  uint8_t g[gh::kGhcbSize];
  uint64_t loaded = 0, changed = 0;
  const auto need = [&](uint64_t off, uint64_t len) {
    gh::for_each_line_run(gh::line_mask(off, len) & ~loaded, [&](unsigned first, unsigned n) {
      vm_.memory().read(GuestPhysAddr(gpa + first * L), MutByteSpan(g + first * L, n * L));
    });
    loaded |= gh::line_mask(off, len);
  };
  const auto touch = [&](uint64_t off, uint64_t len) {
    need(off, len);
    changed |= gh::line_mask(off, len);
  };
  try {
    need(gh::off::kSwExitCode, gh::off::kValidBitmap + 16 - gh::off::kSwExitCode);
    need(gh::off::kGhcbUsage, 4);
  } catch (const InputError&) {
    return false;
  }
  const auto q = [&](uint64_t off) {
    need(off, 8);
    return load_le<uint64_t>(g + off);
  };
  const auto put = [&](uint64_t off, uint64_t v) {
    touch(off, 8);
    store_le<uint64_t>(g + off, v);
    const unsigned bit = gh::valid_bit(off);
    touch(gh::off::kValidBitmap + bit / 8, 1);
    g[gh::off::kValidBitmap + bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
  };
  const auto valid = [&](uint64_t off) {
    const unsigned bit = gh::valid_bit(off);
    return (g[gh::off::kValidBitmap + bit / 8] >> (bit % 8)) & 1;  // the bitmap is loaded
  };
  // The events that take the page whole (the PSC buffer, the certificate request).
  const auto whole = [&]() -> uint8_t* {
    touch(0, gh::kGhcbSize);
    return g;
  };
  const uint64_t exit = q(gh::off::kSwExitCode);
  ++vmgexits_[exit];
  const uint64_t info1 = q(gh::off::kSwExitInfo1);
  if (trace::on()) [[unlikely]] {
    const std::string event = gh::nae_name(exit);
    trace::instant(trace::track::vcpu(id_), "ghcb", "VMGEXIT " + event,
                   {{"protocol", "GHCB"},
                    {"sw_exit_code", event},
                    {"code", trace::hex(exit)},
                    {"sw_exit_info1", trace::hex(info1)},
                    {"sw_exit_info2", trace::hex(q(gh::off::kSwExitInfo2))},
                    {"ghcb_gpa", trace::hex(gpa)}});
  }
  uint64_t err = 0, info2_result = 0;  // info2_result: SW_EXITINFO2 of a handled event
  if (load_le<uint32_t>(g + gh::off::kGhcbUsage) != 0 || !valid(gh::off::kSwExitCode)) {
    err = kGhcbErrInvalidInput;
  } else {
    switch (exit) {
      case exit_code::kCpuid:
        if (!valid(gh::off::kRax) || !valid(gh::off::kRcx)) {
          err = kGhcbErrMissingInput;
        } else {
          const auto r = guest_cpuid(static_cast<uint32_t>(q(gh::off::kRax)),
                                     static_cast<uint32_t>(q(gh::off::kRcx)));
          put(gh::off::kRax, r.eax), put(gh::off::kRbx, r.ebx);
          put(gh::off::kRcx, r.ecx), put(gh::off::kRdx, r.edx);
        }
        break;
      case exit_code::kIoio: {
        const bool in = info1 & ioio::kIn;
        if (!in && !valid(gh::off::kRax)) {
          err = kGhcbErrMissingInput;
          break;
        }
        const uint16_t port = ioio::port(info1);
        const unsigned size = ioio::size(info1);
        const uint32_t v = pio(port, size, in, static_cast<uint32_t>(q(gh::off::kRax)));
        if (in) put(gh::off::kRax, v);
        break;
      }
      case exit_code::kMsr:
        if (!valid(gh::off::kRcx)) {
          err = kGhcbErrMissingInput;
        } else if (info1 == 0) {
          const uint64_t v = guest_msr_read(static_cast<uint32_t>(q(gh::off::kRcx)));
          put(gh::off::kRax, v & 0xffffffffu), put(gh::off::kRdx, v >> 32);
        }
        break;
      case exit_code::kVmmcall:
        if (!valid(gh::off::kRax) || !valid(gh::off::kCpl)) {
          err = kGhcbErrMissingInput;
        } else {
          put(gh::off::kRax,
              hypercall(q(gh::off::kRax), q(gh::off::kRbx), q(gh::off::kRcx), q(gh::off::kRdx), 0));
        }
        break;
      case gh::vmgexit::kPsc:
        if (!snp_active()) {
          err = kGhcbErrInvalidEvent;
          break;
        }
        if (!valid(gh::off::kSwScratch)) {
          err = kGhcbErrMissingInput;
          break;
        }
        // The PSC result goes to SW_EXITINFO2 with SW_EXITINFO1 = 0 (snp_complete_psc).
        if (const uint64_t r = snp_psc_nae(whole(), gpa); r == ~0ull) {
          err = gh::ghcb_err::kInvalidScratchArea;
        } else {
          info2_result = r;
        }
        break;
      case gh::vmgexit::kApCreation:
        if (!snp_active()) {
          err = kGhcbErrInvalidEvent;
        } else if (!valid(gh::off::kRax)) {
          err = kGhcbErrMissingInput;
        } else {
          err = snp_ap_creation(info1, q(gh::off::kSwExitInfo2), q(gh::off::kRax));
        }
        break;
      case gh::vmgexit::kGuestRequest:
      case gh::vmgexit::kExtGuestRequest: {
        if (!snp_active()) {
          err = kGhcbErrInvalidEvent;
          break;
        }
        const uint64_t info2 = q(gh::off::kSwExitInfo2);
        const auto r = exit == gh::vmgexit::kGuestRequest
                           ? snp_handle_guest_req(info1, info2)
                           : snp_handle_ext_guest_req(whole(), info1, info2, &err);
        if (!r) return false;  // KVM_RUN fails: the VMM gets the error
        info2_result = *r;     // SW_EXITINFO1 = 0, SW_EXITINFO2 = vmm_err << 32 | fw_err
        break;
      }
      default:
        err = kGhcbErrInvalidEvent;
    }
  }
  touch(gh::off::kSwExitInfo1, 16);
  store_le<uint64_t>(g + gh::off::kSwExitInfo1, err ? kGhcbRespMalformed : 0);
  store_le<uint64_t>(g + gh::off::kSwExitInfo2, err ? err : info2_result);
  gh::for_each_line_run(changed, [&](unsigned first, unsigned n) {
    vm_.memory().write(GuestPhysAddr(gpa + first * L), ByteSpan(g + first * L, n * L));
  });
  return true;
}

}  // namespace cbit::sw::hv
