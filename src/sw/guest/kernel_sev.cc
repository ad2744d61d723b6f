// The guest's side of SEV-ES (Linux arch/x86/coco/sev/, arch/x86/kernel/sev-shared.c): the
// #VC handler for the non-automatic exits, through the GHCB MSR protocol before the GHCB page
// exists (do_vc_no_ghcb: CPUID only) and through the shared GHCB page after it
// (sev_es_ghcb_hv_call). GHCB specification §2.3 (MSR protocol), §2.5 (the GHCB page), §4.1
// (exit codes), APM Vol. 2 §15.35.
#include <fmt/format.h>

#include "common/error.h"
#include "common/trace.h"
#include "hw/cpu/cpu.h"
#include "hw/cpu/msr.h"
#include "hw/svm/vmcb.h"
#include "sw/guest/kernel.h"

namespace cbit::sw::guest {

namespace {
namespace mp = ghcb::msr_proto;
namespace go = ghcb::off;
// Termination reasons (Linux sev-common.h: SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ,
// GHCB_SEV_ES_PROT_UNSUPPORTED).
constexpr unsigned SEV_TERM_SET_GEN = 0;
constexpr unsigned GHCB_SEV_ES_GEN_REQ = 0;
constexpr unsigned GHCB_SEV_ES_PROT_UNSUPPORTED = 1;
// The GHCB save area has the VMSA's layout (struct ghcb_save_area): RSI where the VMSA has it.
constexpr uint64_t kGhcbRsi = hw::svm::save::kRsi;
// IOIO EXITINFO1 address-size bits (APM Figure 15-2): A32 in protected mode, A64 in long mode.
constexpr uint64_t kIoioA32 = 1ull << 8, kIoioA64 = 1ull << 9;
// The save area with the valid bitmap: where the hypervisor answers.
constexpr uint64_t kSaveAreaLines = ghcb::line_mask(0, go::kValidBitmap + 16);
}  // namespace

void GuestKernel::vmgexit() {
  ++vmgexits_;
  cpu_->vmgexit();
}

uint64_t GuestKernel::ghcb_msr_call(uint64_t request) {
  cpu_->wrmsr(hw::msr::kGhcb, request);  // the GHCB MSR is the guest's own: no exit
  vmgexit();
  return cpu_->rdmsr(hw::msr::kGhcb);
}

// sev_es_terminate(): GHCB_MSR_TERM_REQ; the hypervisor stops the guest.
void GuestKernel::sev_es_terminate(unsigned set, unsigned reason) {
  term_ = std::make_pair(set, reason);
  cpu_->wrmsr(hw::msr::kGhcb, mp::term(set, reason));
  vmgexit();
  panic(fmt::format("SEV-ES: the hypervisor resumed the guest after termination request {}:{}", set,
                    reason));
}

// sev_es_negotiate_protocol(): GHCB_MSR_SEV_INFO_REQ; the ranges must overlap and the C-bit the
// hypervisor names must be the one CPUID gave.
void GuestKernel::sev_es_negotiate_protocol(unsigned cpuid_cbit) {
  const auto info = decode_sev_info(ghcb_msr_call(mp::kSevInfoReq));
  if (!info) sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
  const auto version = negotiate_protocol(*info);
  if (!version) sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_PROT_UNSUPPORTED);
  if (info->cbit != cpuid_cbit) sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
  ghcb_version_ = *version;
}

uint32_t GuestKernel::do_vc_no_ghcb_cpuid(uint32_t leaf, unsigned reg) {
  const auto v = decode_cpuid_resp(ghcb_msr_call(mp::cpuid_req(leaf, reg)));
  if (!v) sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
  return *v;
}

// The GHCB: a page of the kernel's, made shared (no hypercall yet: there is no GHCB to make it
// with), registered with GHCB_MSR_REG_GPA, and then announced with KVM_HC_MAP_GPA_RANGE like
// the kernel's other early-decrypted pages (kvm_init_platform, __bss_decrypted).
void GuestKernel::sev_es_setup_ghcb() {
  const auto va = alloc_pages(0);
  if (!va) panic("SEV-ES: out of memory for the GHCB");
  if (set_memory_enc_dec(*va, 1, /*enc=*/false, /*notify=*/false) != 0)
    panic("SEV-ES: cannot decrypt the GHCB page");
  const GuestPhysAddr gpa = __pa(*va);
  clear_page(gpa);
  const uint64_t resp = ghcb_msr_call(mp::reg_gpa(gpa.pfn(), false));
  if (mp::code(resp) != mp::kRegGpaResp || (resp >> 12) != gpa.pfn())
    sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
  ghcb_gpa_ = gpa;
  ghcb_.attach([this](unsigned line, MutByteSpan out) {
    memcpy_from(__va(*ghcb_gpa_) + line * ghcb::kGhcbLine, out);
  });
  kvm_hypercall(KVM_HC_MAP_GPA_RANGE, gpa.value, 1, KVM_MAP_GPA_RANGE_DECRYPTED);
}

// sev_es_ghcb_hv_call(): the exit fields, the page to the shared GHCB, the GHCB MSR to its GPA,
// VMGEXIT, the page back, and the hypervisor's verdict in sw_exit_info_1 (0 ok, 1 an exception
// to inject, 2 malformed input with the reason in sw_exit_info_2).
void GuestKernel::ghcb_hv_call(uint64_t exit_code, uint64_t info1, uint64_t info2) {
  if (ghcb_hv_exchange(exit_code, info1, info2) == 0) return;
  printk(
      fmt::format("SEV-ES: Failure in communication with VMM (exit-code {:#x} info1 {:#x} "
                  "info2 {:#x})",
                  exit_code, ghcb_.get(go::kSwExitInfo1), ghcb_.get(go::kSwExitInfo2)));
  sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
}

uint64_t GuestKernel::ghcb_hv_exchange(uint64_t exit_code, uint64_t info1, uint64_t info2) {
  ghcb_.set(go::kSwExitCode, exit_code);
  ghcb_.set(go::kSwExitInfo1, info1);
  ghcb_.set(go::kSwExitInfo2, info2);
  ghcb_vmgexit();
  return ghcb_.get(go::kSwExitInfo1) & 0xffffffffu;
}

// The end of sev_es_ghcb_hv_call(): the header (protocol version, usage), the lines of the shared
// page the guest changed, the GHCB MSR to its GPA, VMGEXIT. The hypervisor answers in the save
// area, whose lines are loaded again as the guest reads them.
void GuestKernel::ghcb_vmgexit() {
  CBIT_ASSERT(ghcb_gpa_.has_value());
  ghcb_.set_protocol(ghcb_version_);
  const VirtAddr va = __va(*ghcb_gpa_);
  const ByteSpan page = ghcb_.bytes();
  constexpr uint64_t L = ghcb::kGhcbLine;
  ghcb::for_each_line_run(ghcb_.take_dirty(), [&](unsigned first, unsigned n) {
    memcpy_to(va + first * L, page.subspan(first * L, n * L));
  });
  cpu_->wrmsr(hw::msr::kGhcb, ghcb_gpa_->value);
  vmgexit();
  ghcb_.reload(kSaveAreaLines);
}

hw::CpuidResult GuestKernel::vc_handle_cpuid(uint32_t leaf, uint32_t subleaf) {
  trace::Span span(trace::track::kGuestKernel, "vc", "#VC handler: vc_handle_cpuid");
  if (!ghcb_gpa_) {
    // The MSR protocol has no sub-leaf: it answers sub-leaf 0, one register per request.
    return {do_vc_no_ghcb_cpuid(leaf, 0), do_vc_no_ghcb_cpuid(leaf, 1),
            do_vc_no_ghcb_cpuid(leaf, 2), do_vc_no_ghcb_cpuid(leaf, 3)};
  }
  ghcb_.invalidate();
  ghcb_.set(go::kRax, leaf);
  ghcb_.set(go::kRcx, subleaf);
  ghcb_hv_call(hw::svm::exit_code::kCpuid, 0, 0);
  if (!ghcb_.is_valid(go::kRax) || !ghcb_.is_valid(go::kRbx) || !ghcb_.is_valid(go::kRcx) ||
      !ghcb_.is_valid(go::kRdx))
    sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
  return {static_cast<uint32_t>(ghcb_.get(go::kRax)), static_cast<uint32_t>(ghcb_.get(go::kRbx)),
          static_cast<uint32_t>(ghcb_.get(go::kRcx)), static_cast<uint32_t>(ghcb_.get(go::kRdx))};
}

void GuestKernel::vc_handle_ioio(uint16_t port, unsigned size, uint32_t value) {
  trace::Span span(trace::track::kGuestKernel, "vc", "#VC handler: vc_handle_ioio");
  if (!ghcb_gpa_) sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
  namespace io = hw::svm::ioio;
  const uint64_t info1 = io::info(port, size, false) | (paging_ ? kIoioA64 : kIoioA32);
  ghcb_.invalidate();
  ghcb_.set(go::kRax, value);
  ghcb_hv_call(hw::svm::exit_code::kIoio, info1, 0);
}

uint64_t GuestKernel::vc_handle_msr(uint32_t index, bool write, uint64_t value) {
  trace::Span span(trace::track::kGuestKernel, "vc", "#VC handler: vc_handle_msr");
  if (!ghcb_gpa_) sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
  ghcb_.invalidate();
  ghcb_.set(go::kRcx, index);
  if (write) {
    ghcb_.set(go::kRax, value & 0xffffffffu);
    ghcb_.set(go::kRdx, value >> 32);
  }
  ghcb_hv_call(hw::svm::exit_code::kMsr, write ? 1 : 0, 0);
  if (write) return 0;
  if (!ghcb_.is_valid(go::kRax) || !ghcb_.is_valid(go::kRdx))
    sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
  return (ghcb_.get(go::kRax) & 0xffffffffu) | ghcb_.get(go::kRdx) << 32;
}

// vc_handle_vmmcall() with kvm_sev_es_hcall_prepare(): RAX, the four argument registers, CPL.
uint64_t GuestKernel::vc_handle_vmmcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                                        uint64_t a3) {
  trace::Span span(trace::track::kGuestKernel, "vc", "#VC handler: vc_handle_vmmcall");
  if (!ghcb_gpa_) sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
  ghcb_.invalidate();
  ghcb_.set(go::kRax, nr);
  ghcb_.set(go::kRbx, a0);
  ghcb_.set(go::kRcx, a1);
  ghcb_.set(go::kRdx, a2);
  ghcb_.set(kGhcbRsi, a3);
  ghcb_.set_cpl(static_cast<uint8_t>(cpu_->cpl()));
  ghcb_hv_call(hw::svm::exit_code::kVmmcall, 0, 0);
  if (!ghcb_.is_valid(go::kRax)) sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
  return ghcb_.get(go::kRax);
}

}  // namespace cbit::sw::guest
