// The guest's side of SEV-SNP (Linux arch/x86/coco/sev/core.c, arch/x86/kernel/sev-shared.c,
// arch/x86/boot/compressed/sev.c; GHCB specification 2.x §2.3.1 MSR protocol, §4.1.6 Page State
// Change; APM Vol. 2 §15.36; SNP-FACTS.md §1.4, §5):
//   - the CPUID table from the CPUID page (setup_cpuid_table / snp_cpuid): CPUID never asks the
//     hypervisor once the table exists;
//   - get_hv_features(): GHCB protocol 2 and GHCB_HV_FT_SNP, else GHCB_SNP_UNSUPPORTED;
//   - unaccepted memory: RAM the launch did not validate is accepted with PVALIDATE
//     (pvalidate_pages) at boot where the EFI stub must, else per 2 MiB unit when the page
//     allocator first uses it (accept_memory=lazy, the default) or all at boot (=eager);
//   - page-state changes around set_memory_decrypted()/encrypted(): PVALIDATE rescind before a
//     page goes shared, PVALIDATE after it comes back private; the change itself through the GHCB
//     MSR protocol early (early_set_pages_state) and the PSC NAE event later (set_pages_state);
//   - #VC that no handler takes (PAGE_NOT_VALIDATED 0x404 after a remap): terminate.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "common/error.h"
#include "hw/cpu/cpu.h"
#include "hw/cpu/fault.h"
#include "hw/cpu/msr.h"
#include "hw/svm/vmcb.h"
#include "sw/ghcb/psc.h"
#include "sw/guest/kernel.h"

namespace cbit::sw::guest {

namespace {
namespace mp = ghcb::msr_proto;
namespace go = ghcb::off;
// Termination reason sets and codes (Linux sev-common.h).
constexpr unsigned SEV_TERM_SET_GEN = 0, SEV_TERM_SET_LINUX = 1;
constexpr unsigned GHCB_SEV_ES_GEN_REQ = 0, GHCB_SNP_UNSUPPORTED = 2;
constexpr unsigned GHCB_TERM_PSC = 1, GHCB_TERM_PVALIDATE = 2, GHCB_TERM_CPUID = 4;
constexpr uint64_t GHCB_HV_FT_SNP = 1ull << 0;
// The CPUID page (Linux struct snp_cpuid_table): count, 12 reserved bytes, 0x30-byte entries.
constexpr uint32_t SNP_CPUID_COUNT_MAX = 64;
constexpr uint64_t kCpuidHdr = 16, kCpuidFnSize = 0x30;
constexpr uint32_t PVALIDATE_FAIL_SIZEMISMATCH = 6;
constexpr uint64_t k2MiB = 2ull << 20, kPagesPer2M = 512;
// CPUID leaves whose sub-leaf selects the entry (cpuid_function_is_indexed()).
bool cpuid_function_is_indexed(uint32_t fn) {
  return fn == 0x4 || fn == 0x7 || fn == 0xb || fn == 0xd || fn == 0xf || fn == 0x10 ||
         fn == 0x8000001d || fn == 0x80000020 || fn == 0x80000026;
}
}  // namespace

// --- CPUID ---

// setup_cpuid_table(): the page the launch put in guest RAM (validated, measured, checked by
// the firmware against the real CPU) is copied once; a count of 0 or over 64 is a table the
// kernel must not trust: GHCB_TERM_CPUID.
void GuestKernel::snp_setup_cpuid_table() {
  const GuestPhysAddr page = *cfg_.snp_cpuid_page;
  Bytes b(kPageSize);
  memcpy_from(kaddr(page), b);
  const uint32_t count = load_le<uint32_t>(b.data());
  if (count == 0 || count > SNP_CPUID_COUNT_MAX)
    sev_es_terminate(SEV_TERM_SET_LINUX, GHCB_TERM_CPUID);
  snp_cpuid_table_.clear();
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* e = b.data() + kCpuidHdr + i * kCpuidFnSize;
    CpuidFn fn{load_le<uint32_t>(e),
               load_le<uint32_t>(e + 4),
               {load_le<uint32_t>(e + 24), load_le<uint32_t>(e + 28), load_le<uint32_t>(e + 32),
                load_le<uint32_t>(e + 36)}};
    if (fn.eax_in == 0x0) snp_std_max_ = fn.r.eax;
    if (fn.eax_in == 0x80000000) snp_ext_max_ = fn.r.eax;
    snp_cpuid_table_.push_back(fn);
  }
  snp_cpuid_count_ = count;
}

// snp_cpuid(): the table's entry; a leaf the table lacks reads as zeros (the firmware-checked
// table is the whole truth; the hypervisor is not asked). Leaf 0xD's XCR0/XSS inputs are not
// modelled (the guest runs with XCR0 = x87|SSE).
std::optional<hw::CpuidResult> GuestKernel::snp_cpuid(uint32_t leaf, uint32_t subleaf) const {
  if (snp_cpuid_count_ == 0) return std::nullopt;  // -EOPNOTSUPP: ask the hypervisor
  for (const auto& fn : snp_cpuid_table_) {
    if (fn.eax_in != leaf) continue;
    if (cpuid_function_is_indexed(leaf) && fn.ecx_in != subleaf) continue;
    return fn.r;
  }
  return hw::CpuidResult{};
}

// get_hv_features() and the SNP checks of sev_enable(): protocol 2 or the hypervisor has no
// SNP; GHCB_HV_FT_SNP must be set.
void GuestKernel::snp_init() {
  hv_features_ = 0;
  if (ghcb_version_ >= 2) {
    const uint64_t resp = ghcb_msr_call(mp::kHvFeaturesReq);
    if (mp::code(resp) == mp::kHvFeaturesResp) hv_features_ = resp >> 12;
  }
  if (!(hv_features_ & GHCB_HV_FT_SNP)) sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SNP_UNSUPPORTED);
}

// --- memory acceptance: PVALIDATE ---

void GuestKernel::pvalidate_pages(GuestPhysAddr start, uint64_t npages, bool validate) {
  for (uint64_t i = 0; i < npages;) {
    const GuestPhysAddr pa = start + i * kPageSize;
    // A 2 MiB PVALIDATE where the range allows it; FAIL_SIZEMISMATCH (the RMP holds 4 KiB
    // entries) retries page by page, as Linux does.
    if (pa.value % k2MiB == 0 && npages - i >= kPagesPer2M) {
      const auto r = cpu_->pvalidate(kaddr(pa), true, validate);
      if (r.eax == 0 && !r.cf) {
        i += kPagesPer2M;
        pvalidated_ += kPagesPer2M;
        continue;
      }
      if (r.eax != PVALIDATE_FAIL_SIZEMISMATCH) {
        printk(fmt::format("SEV: Failed to validate address {:#x} ret {}", kaddr(pa).value,
                           r.cf ? 255u : r.eax));
        sev_es_terminate(SEV_TERM_SET_LINUX, GHCB_TERM_PVALIDATE);
      }
    }
    const auto r = cpu_->pvalidate(kaddr(pa), false, validate);
    // CF=1 (PVALIDATE_FAIL_NOUPDATE, 255): the page already had that state, which Linux treats
    // as an attack on its bookkeeping (a page validated twice can be swapped in by a remap).
    if (r.eax != 0 || r.cf) {
      printk(fmt::format("SEV: Failed to validate address {:#x} ret {}", kaddr(pa).value,
                         r.cf ? 255u : r.eax));
      sev_es_terminate(SEV_TERM_SET_LINUX, GHCB_TERM_PVALIDATE);
    }
    ++i;
    ++pvalidated_;
  }
}

// The EFI stub's process_unaccepted_memory() for each range of RAM the launch did not validate
// (OVMF reports it as EfiUnacceptedMemoryType): a range under two units is accepted at once, so
// are an unaligned head and tail; the whole units between go into the bitmap. With
// accept_memory=eager the kernel then accepts the bitmap's units too, before anything runs.
void GuestKernel::snp_setup_unaccepted_memory() {
  const uint64_t npages = cfg_.ram_bytes / kPageSize;
  std::vector<bool> pre(npages, false);
  for (const auto& [s, len] : cfg_.snp_prevalidated)
    for (uint64_t a = s.page_base().value; a < s.value + len && a < cfg_.ram_bytes; a += kPageSize)
      pre[a / kPageSize] = true;
  unaccepted_.assign((cfg_.ram_bytes + kUnacceptedUnit - 1) / kUnacceptedUnit, false);
  const auto accept_now = [this](uint64_t start, uint64_t end) {
    if (end > start) pvalidate_pages(GuestPhysAddr(start), (end - start) / kPageSize, true);
  };
  for (uint64_t p = 0; p < npages;) {
    if (pre[p]) {
      ++p;
      continue;
    }
    uint64_t q = p;
    while (q < npages && !pre[q]) ++q;
    uint64_t start = p * kPageSize, end = q * kPageSize;
    p = q;
    if (end - start < 2 * kUnacceptedUnit) {
      accept_now(start, end);
      continue;
    }
    if (start % kUnacceptedUnit) {
      const uint64_t up = (start + kUnacceptedUnit - 1) & ~(kUnacceptedUnit - 1);
      accept_now(start, up);
      start = up;
    }
    if (end % kUnacceptedUnit) {
      const uint64_t down = end & ~(kUnacceptedUnit - 1);
      accept_now(down, end);
      end = down;
    }
    for (uint64_t u = start / kUnacceptedUnit; u < end / kUnacceptedUnit; ++u)
      unaccepted_[u] = true;
  }
  if (!lazy_accept_) accept_memory(GuestPhysAddr(0), GuestPhysAddr(cfg_.ram_bytes));
}

// accept_memory(): each run of units the bitmap marks in [start, end) is accepted
// (arch_accept_memory: PVALIDATE, 2 MiB at a time where the RMP holds 2 MiB entries) and its
// bits cleared. A page outside the bitmap (never unaccepted) needs nothing.
void GuestKernel::accept_memory(GuestPhysAddr start, GuestPhysAddr end) {
  if (unaccepted_.empty() || end.value <= start.value) return;
  const uint64_t first = start.value / kUnacceptedUnit;
  const uint64_t last =
      std::min<uint64_t>((end.value + kUnacceptedUnit - 1) / kUnacceptedUnit, unaccepted_.size());
  for (uint64_t u = first; u < last;) {
    if (!unaccepted_[u]) {
      ++u;
      continue;
    }
    uint64_t v = u;
    while (v < last && unaccepted_[v]) ++v;
    // Cleared first, as Linux does under its lock: a nested allocation (none in this model)
    // must not accept the same unit twice.
    for (uint64_t w = u; w < v; ++w) unaccepted_[w] = false;
    pvalidate_pages(GuestPhysAddr(u * kUnacceptedUnit), (v - u) * (kUnacceptedUnit / kPageSize),
                    true);
    u = v;
  }
}

bool GuestKernel::range_contains_unaccepted_memory(GuestPhysAddr start, GuestPhysAddr end) const {
  if (end.value <= start.value) return false;
  const uint64_t last =
      std::min<uint64_t>((end.value + kUnacceptedUnit - 1) / kUnacceptedUnit, unaccepted_.size());
  for (uint64_t u = start.value / kUnacceptedUnit; u < last; ++u)
    if (unaccepted_[u]) return true;
  return false;
}

uint64_t GuestKernel::unaccepted_bytes() const {
  return static_cast<uint64_t>(std::count(unaccepted_.begin(), unaccepted_.end(), true)) *
         kUnacceptedUnit;
}

// --- page-state changes ---

void GuestKernel::snp_page_state_change(GuestPhysAddr start, uint64_t npages, bool to_private) {
  if (ghcb_gpa_)
    snp_psc_ghcb(start, npages, to_private);
  else
    snp_psc_msr(start, npages, to_private);
}

// early_set_pages_state(): one GHCB_MSR_PSC_REQ per page; a response with a nonzero error
// field (or not a PSC response) terminates with GHCB_TERM_PSC.
void GuestKernel::snp_psc_msr(GuestPhysAddr start, uint64_t npages, bool to_private) {
  const auto op = to_private ? ghcb::PscOp::Private : ghcb::PscOp::Shared;
  for (uint64_t i = 0; i < npages; ++i) {
    const uint64_t gfn = start.pfn() + i;
    const uint64_t resp = ghcb_msr_call(ghcb::msr_proto::psc_req(gfn, op));
    if (mp::code(resp) != mp::kPscResp || ghcb::msr_proto::psc_resp_error(resp) != 0)
      sev_es_terminate(SEV_TERM_SET_LINUX, GHCB_TERM_PSC);
  }
}

std::pair<uint64_t, uint64_t> GuestKernel::vmgexit_psc_raw(MutByteSpan desc) {
  CBIT_ASSERT(ghcb_gpa_.has_value() && desc.size() <= go::kSharedBufferSize);
  const VirtAddr buf = __va(*ghcb_gpa_) + go::kSharedBuffer;
  memcpy_to(buf, desc);
  ghcb_.invalidate();
  ghcb_.set(go::kSwScratch, ghcb_gpa_->value + go::kSharedBuffer);
  ghcb_.set(go::kSwExitCode, ghcb::vmgexit::kPsc);
  ghcb_.set(go::kSwExitInfo1, 0);
  ghcb_.set(go::kSwExitInfo2, 0);
  ghcb_vmgexit();
  memcpy_from(buf, desc);
  return {ghcb_.get(go::kSwExitInfo1), ghcb_.get(go::kSwExitInfo2)};
}

// set_pages_state() / vmgexit_psc(): up to 253 entries per VMGEXIT in the GHCB's shared buffer;
// the hypervisor advances cur_entry; an error in sw_exit_info_2 or a hypervisor that went
// backwards terminates with GHCB_TERM_PSC.
void GuestKernel::snp_psc_ghcb(GuestPhysAddr start, uint64_t npages, bool to_private) {
  const auto op = static_cast<uint8_t>(to_private ? ghcb::PscOp::Private : ghcb::PscOp::Shared);
  for (uint64_t done = 0; done < npages;) {
    const uint64_t n = std::min<uint64_t>(ghcb::kPscMaxEntries, npages - done);
    std::vector<ghcb::PscEntry> entries(n);
    for (uint64_t i = 0; i < n; ++i) {
      entries[i].gfn = start.pfn() + done + i;
      entries[i].operation = op;
    }
    Bytes desc = ghcb::PscBuffer::make(std::move(entries)).serialize();
    for (;;) {
      const uint16_t cur = load_le<uint16_t>(desc.data());
      const auto [info1, info2] = vmgexit_psc_raw(desc);
      const uint16_t ncur = load_le<uint16_t>(desc.data()),
                     nend = load_le<uint16_t>(desc.data() + 2);
      if ((info1 & 0xffffffffu) != 0 || info2 != 0) {
        printk(fmt::format("SEV: SNP: PSC failed ret={} exit_info_2={:x}", info1 & 0xffffffffu,
                           info2));
        sev_es_terminate(SEV_TERM_SET_LINUX, GHCB_TERM_PSC);
      }
      if (nend > n - 1 || ncur < cur) {
        printk(
            fmt::format("SEV: SNP: PSC processing going backward, end_entry {} (got {}) "
                        "cur_entry {} (got {})",
                        n - 1, nend, cur, ncur));
        sev_es_terminate(SEV_TERM_SET_LINUX, GHCB_TERM_PSC);
      }
      if (ncur > nend) break;
    }
    done += n;
  }
}

// --- the secrets page ---

// snp_secrets_page: the version is public; the VMPCKs stay where they are (guest memory) and
// are read only when a guest request is signed (not modelled).
void GuestKernel::snp_read_secrets_page() {
  if (!cfg_.snp_secrets_page) return;
  uint8_t v[4];
  memcpy_from(__va(*cfg_.snp_secrets_page), v);
  secrets_version_ = load_le<uint32_t>(v);
}

// report_snp_info(), an arch_initcall.
void GuestKernel::report_snp_info() {
  if (snp_cpuid_count_)
    printk(fmt::format("SEV: Using SNP CPUID table, {} entries present.", snp_cpuid_count_));
  if (sev_snp_active()) printk("SEV: SNP running at VMPL0.");
}

// --- AP bring-up ---

int GuestKernel::snp_set_vmsa(VirtAddr va, bool make_vmsa) {
  constexpr uint64_t RMPADJUST_VMSA_PAGE_BIT = 1ull << 16;
  const uint64_t attrs = 1 | (make_vmsa ? RMPADJUST_VMSA_PAGE_BIT : 0);  // target VMPL1
  return static_cast<int>(cpu_->rmpadjust(va, false, attrs).eax);
}

int GuestKernel::snp_ap_create(unsigned apic_id, VirtAddr vmsa, uint64_t sev_features,
                               uint16_t request) {
  if (!sev_snp_active() || !ghcb_gpa_) return -EINVAL;
  ghcb_.invalidate();
  ghcb_.set(go::kRax, sev_features);
  const uint64_t info1 = uint64_t{apic_id} << 32 | request;
  if (ghcb_hv_exchange(ghcb::vmgexit::kApCreation, info1, __pa(vmsa).value) != 0) {
    printk("SEV: SNP AP Creation error");
    return -EINVAL;
  }
  return 0;
}

// --- guest requests ---

// snp_issue_guest_request(): the NAE event with the request and response GPAs (and for the
// extended request RAX/RBX = the certificate buffer); SW_EXITINFO2 into *exitinfo2 once the
// hypervisor answered. 0, -EAGAIN (BUSY), -ENOSPC (INVALID_LEN of an extended request, with the
// pages needed in *data_npages), -EIO (any other error, or a GHCB the hypervisor refused).
int GuestKernel::snp_issue_guest_request(uint64_t exit_code, uint64_t req_gpa, uint64_t rsp_gpa,
                                         uint64_t data_gpa, uint64_t* data_npages,
                                         uint64_t* exitinfo2) {
  if (!sev_snp_active() || !ghcb_gpa_) return -ENODEV;
  ghcb_.invalidate();
  const bool ext = exit_code == ghcb::vmgexit::kExtGuestRequest;
  if (ext) {
    ghcb_.set(go::kRax, data_gpa);
    ghcb_.set(go::kRbx, *data_npages);
  }
  if (ghcb_hv_exchange(exit_code, req_gpa, rsp_gpa) != 0) return -EIO;
  *exitinfo2 = ghcb_.get(go::kSwExitInfo2);
  if (*exitinfo2 == 0) return 0;
  if (*exitinfo2 == uint64_t{ghcb::vmgexit::kGuestReqErrBusy} << 32) return -EAGAIN;
  if (*exitinfo2 == uint64_t{ghcb::vmgexit::kGuestReqErrInvalidLen} << 32 && ext) {
    *data_npages = ghcb_.get(go::kRbx);
    return -ENOSPC;
  }
  return -EIO;
}

// --- #VC nobody handles ---

void GuestKernel::vc_unhandled(const hw::VmmCommunication& vc) {
  printk(fmt::format("SEV: Unsupported exit-code {:#04x} in #VC exception (IP: {:#x})",
                     vc.exit_code(), cpu_->regs().rip));
  sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
}

}  // namespace cbit::sw::guest
