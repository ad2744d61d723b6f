// KVM's SEV-SNP runtime exits (Linux arch/x86/kvm/svm/sev.c, 6.11; GHCB specification 2.0
// §2.3.1, §4.1.6, §4.1.9; SNP-FACTS.md §1.5, §5.1, §5.2):
//   - the MSR protocol's SNP requests: page-state change (one 4 KiB page), HV_FEATURES, the
//     preferred GHCB GPA, AP reset hold;
//   - the PSC NAE event (snp_begin_psc): the buffer in the GHCB's shared area, checked with
//     sw/ghcb/psc.h's decoder, each entry applied and cur_entry advanced, errors in
//     SW_EXITINFO2;
//   - AP creation (sev_snp_ap_creation): a vCPU's VMSA replaced by a guest page;
//   - #NPF with the RMP bit (sev_handle_rmp_fault): PSMASH on SIZEM, and the private/shared
//     conversions that real KVM hands to QEMU as KVM_EXIT_MEMORY_FAULT, done here in-process
//     (the VMM's KVM_SET_MEMORY_ATTRIBUTES + guest_memfd prepare/invalidate).
// A page that becomes private: rmp_make_private(pfn, gpa, 4K, asid, immutable=false) (assigned,
// not validated: the guest must PVALIDATE it). A page that becomes shared: its guest-key lines
// flushed (VM_PAGE_FLUSH or WBINVD, as sev_gmem_invalidate), then rmp_make_shared.
#include "common/error.h"
#include "hw/cpu/cpu.h"
#include "hw/cpu/msr.h"
#include "hw/machine.h"
#include "hw/rmp/rmp.h"
#include "hw/svm/vmcb.h"
#include "sw/ghcb/ghcb.h"
#include "sw/ghcb/psc.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_snp.h"
#include "sw/hv/vcpu.h"
#include "sw/hv/vm.h"

namespace cbit::sw::hv {

using namespace hw::svm;
namespace gh = ghcb;
namespace mp = ghcb::msr_proto;

namespace {
// #NPF EXITINFO1 bits of the RMP checks (APM §15.36.10; SNP-FACTS.md §1.5).
constexpr uint64_t kNpfRmp = 1ull << 31, kNpfEnc = 1ull << 34, kNpfSizem = 1ull << 35;
constexpr uint64_t kPagesPer2M = 512;
// KVM's PSC MSR-protocol error: bit 63 of the response's error field (GHCB_MSR_PSC_RESP with a
// generic error), SNP-FACTS.md §5.1.
constexpr uint32_t kPscMsrError = 1u << 31;
using host::PG_LEVEL_4K;
using host::PSMASH_FAIL_INUSE;
}  // namespace

// The host kernel's RMP pair (arch/x86/virt/svm/sev.c; sw/host/sev_snp.h): the vCPU calls
// rmp_make_private / rmp_make_shared / psmash of the host kernel's SevSnpHost, which does the
// RMPUPDATE with Linux's retries and splits the direct map.
struct Vcpu::SnpPages {
  static int rmp_make_private(Vm& vm, Pfn pfn, uint64_t gpa, int level, uint32_t asid,
                              bool immutable) {
    return vm.kernel().snp().rmp_make_private(pfn, gpa, level, asid, immutable);
  }
  static int rmp_make_shared(Vm& vm, Pfn pfn, int level) {
    return vm.kernel().snp().rmp_make_shared(pfn, level);
  }
  static int psmash(Vm& vm, Pfn pfn) { return vm.kernel().snp().psmash(pfn); }
};

bool Vcpu::snp_active() const { return vm_.config().mode == SevMode::Snp; }

std::optional<hw::rmp::RmpEntry> Vcpu::rmp_entry(SysPhysAddr spa) const {
  auto& rmp = vm_.machine().rmp();
  if (!rmp.enabled() || !rmp.table().covers(spa)) return std::nullopt;
  return rmp.table().read(spa);
}

// One 4 KiB guest page to private or shared. 0, or a PSC error for SW_EXITINFO2.
uint64_t Vcpu::snp_page_state_change(uint64_t gfn, bool to_private) {
  const GuestPhysAddr gpa(gfn << kPageShift);
  if (gpa.value >= vm_.config().ram_bytes) return gh::kPscErrorInvalidEntry;  // not guest RAM
  const auto spa = vm_.memory().gpa_to_spa(gpa);
  if (!spa) return gh::kPscErrorInvalidEntry;
  const auto e = rmp_entry(*spa);
  if (!e) return gh::kPscErrorGeneric;
  // A 2 MiB private entry is split first (KVM: the guest_memfd folio is split, PSMASH).
  if (e->page_size_2m && e->assigned) {
    const Pfn base(spa->pfn() & ~(kPagesPer2M - 1));
    int rc;
    do rc = SnpPages::psmash(vm_, base);
    while (rc == PSMASH_FAIL_INUSE);
    ++rmp_psmashes_;
    if (rc != 0) return gh::kPscErrorGeneric;
  }
  // The VMM's side (KVM_SET_MEMORY_ATTRIBUTES): the GFN's memory attribute follows the guest.
  vm_.memory().set_memory_attributes(gpa, kPageSize, to_private);
  if (to_private) {
    vm_.shared_gfns_.erase(gfn);
    // Already this guest's page at this GPA: nothing to do (KVM: the attribute is unchanged,
    // the page keeps its Validated bit).
    if (e->assigned && e->asid == vm_.asid() && e->gpa == gpa.value) return 0;
    // kvm_gmem_get_pfn(): a guest_memfd page never touched is allocated and cleared first
    // (kvm_gmem_prepare_folio), through the host's mapping while the host still owns it.
    if (hw::rmp::hypervisor_owned(*e)) vm_.memory().fault_in(gpa, kPageSize);
    return SnpPages::rmp_make_private(vm_, Pfn(spa->pfn()), gpa.value, PG_LEVEL_4K, vm_.asid(),
                                      false) == 0
               ? 0
               : gh::kPscErrorGeneric;
  }
  vm_.shared_gfns_.insert(gfn);
  if (hw::rmp::hypervisor_owned(*e)) return 0;
  if (e->asid != vm_.asid() || e->immutable) return gh::kPscErrorInvalidEntry;  // not its page
  auto& cpu = vm_.machine().cpu();
  if (vm_.machine().cpu_model().fn8000_001f.has(hw::SevFeature::VmPageFlush))
    // VM_PAGE_FLUSH takes the page's virtual address in the host (sev_gmem_invalidate).
    cpu.wrmsr(hw::msr::kVmPageFlush, vm_.kernel().__va(spa->page_base()).value | vm_.asid());
  else
    cpu.wbinvd();
  return SnpPages::rmp_make_shared(vm_, Pfn(spa->pfn()), PG_LEVEL_4K) == 0 ? 0
                                                                           : gh::kPscErrorGeneric;
}

// The MSR protocol's SNP requests; the response to put in the GHCB MSR, or nullopt to exit to
// the run loop.
std::optional<uint64_t> Vcpu::snp_msr_protocol(uint64_t msr) {
  switch (mp::code(msr)) {
    case mp::kPscReq: {
      const uint8_t op = mp::psc_req_op(msr);
      if (op != static_cast<uint8_t>(gh::PscOp::Private) &&
          op != static_cast<uint8_t>(gh::PscOp::Shared))
        return mp::psc_resp(kPscMsrError);
      const uint64_t err = snp_page_state_change(mp::psc_req_gfn(msr),
                                                 op == static_cast<uint8_t>(gh::PscOp::Private));
      return mp::psc_resp(err ? kPscMsrError : 0);
    }
    case mp::kPreferredGpaReq:
      return mp::kPreferredGpaNone << 12 | mp::kPreferredGpaResp;
    case mp::kApResetHoldReq:
      // The vCPU parks until an INIT/SIPI (kvm_emulate_ap_reset_hold); the answer it will see
      // when woken has a nonzero result. With no SIPI modelled, the run loop gets the exit.
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

uint64_t Vcpu::hv_features() const {
  return snp_active() ? (mp::kHvFtSnp | mp::kHvFtSnpApCreation) : 0;
}

// snp_begin_psc(): the buffer must be the GHCB's shared buffer (SW_SCRATCH), its header valid;
// entries from cur_entry to end_entry are applied in order, cur_entry (and cur_page of a 2 MiB
// entry) advanced as they complete, so a guest may resume. Returns SW_EXITINFO2.
uint64_t Vcpu::snp_psc_nae(uint8_t* ghcb_page, uint64_t ghcb_gpa) {
  const uint64_t scratch = load_le<uint64_t>(ghcb_page + gh::off::kSwScratch);
  if (scratch != ghcb_gpa + gh::off::kSharedBuffer) return ~0ull;  // invalid scratch area
  uint8_t* buf = ghcb_page + gh::off::kSharedBuffer;
  const auto d = gh::psc_decode(ByteSpan(buf, gh::off::kSharedBufferSize));
  if (d.error) return d.error;
  uint16_t cur = d.buffer.cur_entry;
  for (; cur <= d.buffer.end_entry; ++cur) {
    auto e = d.buffer.entries.at(cur);
    if (const uint64_t err = gh::psc_check_entry(e)) return err;
    const bool to_private = e.operation == static_cast<uint8_t>(gh::PscOp::Private);
    const uint64_t pages = gh::psc_entry_pages(e);
    for (; e.cur_page < pages; ++e.cur_page) {
      const uint64_t err = snp_page_state_change(e.gfn + e.cur_page, to_private);
      store_le<uint64_t>(buf + gh::kPscHeaderSize + 8 * cur, e.encode());
      if (err) return err;
    }
    store_le<uint64_t>(buf + gh::kPscHeaderSize + 8 * cur, e.encode());
    store_le<uint16_t>(buf, static_cast<uint16_t>(cur + 1));
  }
  return 0;
}

// sev_snp_ap_creation(): create points vCPU apic_id at the guest's VMSA page (the guest marked
// it with RMPADJUST's VMSA bit; VMRUN checks that, not KVM), destroy takes it away.
// SEV_FEATURES must be this VM's. Returns 0 or a GHCB error for SW_EXITINFO2.
uint64_t Vcpu::snp_ap_creation(uint64_t info1, uint64_t vmsa_gpa, uint64_t sev_features) {
  const uint32_t apic_id = gh::vmgexit::ap_apic_id(info1);
  if (apic_id >= vm_.vcpus_.size()) return gh::ghcb_err::kInvalidInput;
  Vcpu& target = *vm_.vcpus_[apic_id];
  switch (gh::vmgexit::ap_request(info1)) {
    case gh::vmgexit::kApCreate:
    case gh::vmgexit::kApCreateOnInit: {
      if (vmsa_gpa % kPageSize || vmsa_gpa >= vm_.config().ram_bytes)
        return gh::ghcb_err::kInvalidInput;
      if (!(sev_features & 1)) return gh::ghcb_err::kInvalidInput;  // SNPActive must be set
      const auto spa = vm_.memory().gpa_to_spa(GuestPhysAddr(vmsa_gpa));
      if (!spa) return gh::ghcb_err::kInvalidInput;
      target.snp_vmsa_gpa_ = vmsa_gpa;
      target.vmcb_write(ctl::kVmsaPa, spa->value);
      return 0;
    }
    case gh::vmgexit::kApDestroy:
      target.snp_vmsa_gpa_.reset();
      target.vmcb_write(ctl::kVmsaPa, ~0ull & ~(kPageSize - 1));  // INVALID_PAGE: VMRUN fails
      return 0;
    default:
      return gh::ghcb_err::kInvalidInput;
  }
}

// sev_handle_rmp_fault() and the conversions of a guest_memfd VM.
bool Vcpu::snp_handle_npf(uint64_t gpa, uint64_t info1) {
  const GuestPhysAddr g(gpa & ~(kPageSize - 1));
  const auto spa = vm_.memory().gpa_to_spa(g);
  if (!spa || g.value >= vm_.config().ram_bytes) return false;
  const auto e = rmp_entry(*spa);
  if (!e) return false;
  if (info1 & kNpfSizem) {
    // PVALIDATE/RMPADJUST of 4 KiB inside a 2 MiB RMP entry: split it and let the guest retry.
    const Pfn base(spa->pfn() & ~(kPagesPer2M - 1));
    int rc;
    do rc = SnpPages::psmash(vm_, base);
    while (rc == PSMASH_FAIL_INUSE);
    ++rmp_psmashes_;
    ++rmp_faults_;
    return rc == 0;
  }
  if (!(info1 & kNpfRmp)) return false;
  ++rmp_faults_;
  const bool enc = info1 & kNpfEnc;
  // A private access to a page the hypervisor still owns: the guest_memfd page is prepared
  // (rmp_make_private) unless the guest last declared it shared; a shared access to a private
  // page is an implicit conversion KVM reports to the VMM, which converts it.
  if (enc && hw::rmp::hypervisor_owned(*e) && vm_.memory().is_private(g))
    return snp_page_state_change(g.pfn(), true) == 0;
  if (!enc && !hw::rmp::hypervisor_owned(*e) && e->asid == vm_.asid())
    return snp_page_state_change(g.pfn(), false) == 0;
  return false;
}

}  // namespace cbit::sw::hv
