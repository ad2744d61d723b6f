#include "hw/cpu/cpu.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "common/error.h"
#include "common/trace.h"
#include "hw/cpu/cpu_trace.h"
#include "hw/cpu/fault.h"
#include "hw/rmp/rmp.h"
#include "hw/svm/vmcb.h"

namespace cbit::hw {

namespace {
constexpr uint64_t kCr0Reset = cr0::kCd | cr0::kNw | cr0::kEt;  // 0x60000010
// EFER bits software may write: SCE, LME, LMA (ignored: the CPU sets it), NXE, SVME,
// LMSLE (13), FFXSR (14), TCE (15).
constexpr uint64_t kEferWritable = efer::kSce | efer::kLme | efer::kLma | efer::kNxe | efer::kSvme |
                                   1ull << 13 | 1ull << 14 | 1ull << 15;
}  // namespace

Cpu::Cpu(const CpuModel& model, PhysMemPort& mem, CacheControl& caches,
         const CpuFirmwareSettings& fw, Asid asid)
    : model_(model),
      mem_(mem),
      caches_(caches),
      asid_(asid),
      msrs_(model, fw, asid),
      tables_(mem, asid),
      mmu_(tables_, PhysAddrLayout::make(model, fw.mem_encryption)) {
  reset();
}

void Cpu::reset() {
  msrs_.reset();
  cr0_ = kCr0Reset;
  cr2_ = cr3_ = cr4_ = efer_ = 0;
  cpl_ = 0;
  mmu_.set_layout(PhysAddrLayout::make(model_, msrs_.mem_encrypt_enabled()));
  mmu_.tlb().flush_all();
  tables_.set_rmp_guard(nullptr);
  update_mode();
}

bool Cpu::snp_active() const { return rmp_ && msrs_.snp_enabled() && rmp_->enabled(); }

void Cpu::host_rmp_check_write(VirtAddr va, const Translation& t) {
  const rmp::RmpCheck c = rmp::check_host_write(rmp_->table(), t.pa, t.page_shift);
  if (c == rmp::RmpCheck::Pass) return;
  uint32_t code = pf_err::kPresent | pf_err::kWrite | pf_err::kRmp;
  if (cpl_ == 3) code |= pf_err::kUser;
  cr2_ = va.value;
  if (trace::on()) [[unlikely]] {
    cpu_trace::rmp_fail(core_id_, "host write", c, t.pa.value, 0);
    cpu_trace::page_fault(core_id_, va.value, code, false);
  }
  throw PageFault(va, code);
}

void Cpu::update_mode() {
  mode_.paging = (cr0_ & cr0::kPg) != 0;
  mode_.wp = (cr0_ & cr0::kWp) != 0;
  mode_.nxe = (efer_ & efer::kNxe) != 0;
  mode_.pge = (cr4_ & cr4::kPge) != 0;
  mode_.cr3 = cr3_;
}

void Cpu::set_cpl(unsigned cpl) {
  CBIT_ASSERT(cpl == 0 || cpl == 3);
  cpl_ = cpl;
}

CpuidResult Cpu::cpuid(uint32_t leaf, uint32_t subleaf) {
  if (guest_active_ && intercepted3(svm::intercept3::kCpuid)) {
    if (sev_es()) cpu_trace::raise_vc(core_id_, svm::exit_code::kCpuid);
    regs_.rax = leaf;
    regs_.rcx = subleaf;
    intercept(svm::exit_code::kCpuid, 0, 0, 2);
    return {static_cast<uint32_t>(regs_.rax), static_cast<uint32_t>(regs_.rbx),
            static_cast<uint32_t>(regs_.rcx), static_cast<uint32_t>(regs_.rdx)};
  }
  return hw::cpuid(model_, leaf, subleaf);
}

uint64_t Cpu::rdmsr(uint32_t index) {
  if (cpl_ != 0) throw GeneralProtection("RDMSR at CPL 3");
  if (index == msr::kEfer) return efer_;
  if (guest_active_) return guest_rdmsr(index);
  return msrs_.read(index);
}

void Cpu::wrmsr(uint32_t index, uint64_t value) {
  if (cpl_ != 0) throw GeneralProtection("WRMSR at CPL 3");
  if (guest_active_ && index != msr::kEfer && guest_wrmsr(index, value)) return;
  switch (index) {
    case msr::kEfer:
      write_efer(value);
      return;
    case msr::kVmPageFlush:
      vm_page_flush(value);
      return;
    case msr::kVmHsavePa:
      // APM Table 15-41: on an SNP host the host save area must be hypervisor-owned.
      if (snp_active() && !rmp::hypervisor_owned(rmp_->table().read(SysPhysAddr(value))))
        throw GeneralProtection("VM_HSAVE_PA: page is not hypervisor-owned");
      msrs_.write(index, value);
      return;
    case msr::kSyscfg: {
      const bool was = msrs_.snp_enabled();
      msrs_.write(index, value);
      if (!was && msrs_.snp_enabled() && rmp_) {
        // The RMP becomes active with this core's bounds (APM §15.36.4-5).
        const uint64_t cfg = msrs_.rmp_cfg();
        rmp_->enable(rmp::RmpBounds{msrs_.rmp_base(), msrs_.rmp_end(),
                                    (cfg & rmp_cfg::kSegRmpEn) != 0,
                                    (cfg & rmp_cfg::kSegRmpEn) ? rmp_cfg::shift(cfg) : 0});
        tables_.set_rmp_guard(&rmp_->table());
        mmu_.tlb().flush_all();
      }
      return;
    }
    default:
      msrs_.write(index, value);
  }
}

uint64_t Cpu::msr_for_firmware(uint32_t index) const {
  if (index == msr::kEfer) return efer_;
  try {
    return msrs_.read(index);
  } catch (const GeneralProtection&) {
    return 0;
  }
}

void Cpu::write_efer(uint64_t value) {
  if (value & ~kEferWritable) throw GeneralProtection("EFER: reserved bit set");
  if ((value & efer::kSvme) && !(hw::cpuid(model_, cpuid_leaf::kExtFeatures).ecx & cpuid_bit::kSvm))
    throw GeneralProtection("EFER.SVME without SVM");
  // LME may not change while paging is on (APM Vol. 2 §14.6.1).
  if ((cr0_ & cr0::kPg) && ((value ^ efer_) & efer::kLme))
    throw GeneralProtection("EFER.LME changed with CR0.PG=1");
  const uint64_t next = (value & ~efer::kLma) | (efer_ & efer::kLma);
  // NXE decides whether bit 63 is reserved: drop every translation made under the old rule.
  if ((next ^ efer_) & efer::kNxe) active_mmu().tlb().flush_all();
  efer_ = next;
  update_mode();
}

void Cpu::mov_to_cr0(uint64_t value) {
  if (cpl_ != 0) throw GeneralProtection("MOV CR0 at CPL 3");
  if (value >> 32) throw GeneralProtection("CR0: bits 63:32 set");
  if ((value & cr0::kNw) && !(value & cr0::kCd)) throw GeneralProtection("CR0: NW without CD");
  if ((value & cr0::kPg) && !(value & cr0::kPe)) throw GeneralProtection("CR0: PG without PE");
  const bool pg_on = (value & cr0::kPg) && !(cr0_ & cr0::kPg);
  if (pg_on) {
    if (!(efer_ & efer::kLme)) throw NotModelled("legacy (non-long-mode) paging");
    if (!(cr4_ & cr4::kPae)) throw GeneralProtection("CR0.PG with EFER.LME=1 and CR4.PAE=0");
  }
  const bool pg_changed = ((value ^ cr0_) & cr0::kPg) != 0;
  cr0_ = value;
  if (pg_changed) {
    // Long mode becomes active (or inactive) with paging (APM Vol. 2 §14.6).
    efer_ = (cr0_ & cr0::kPg) && (efer_ & efer::kLme) ? efer_ | efer::kLma : efer_ & ~efer::kLma;
    active_mmu().tlb().flush_all();
  }
  update_mode();
}

void Cpu::mov_to_cr3(uint64_t value) {
  if (cpl_ != 0) throw GeneralProtection("MOV CR3 at CPL 3");
  // Bits 63:52 and the address bits beyond the (reduced) physical width must be zero.
  if (value & (bit_range(pte::kMaxPhysBits, 64) | active_layout().reserved_mask))
    throw GeneralProtection("CR3: reserved bit set");
  cr3_ = value;
  active_mmu().tlb().flush_non_global();
  update_mode();
}

void Cpu::mov_to_cr4(uint64_t value) {
  if (cpl_ != 0) throw GeneralProtection("MOV CR4 at CPL 3");
  if ((efer_ & efer::kLma) && !(value & cr4::kPae))
    throw GeneralProtection("CR4.PAE cleared in long mode");
  const uint64_t changed = value ^ cr4_;
  cr4_ = value;
  // Changing PGE (or the page-size extensions) flushes the whole TLB, globals included.
  if (changed & (cr4::kPge | cr4::kPae | cr4::kPse)) active_mmu().tlb().flush_all();
  update_mode();
}

void Cpu::invlpg(VirtAddr va) {
  if (cpl_ != 0) throw GeneralProtection("INVLPG at CPL 3");
  active_mmu().tlb().invlpg(va);
}

Translation Cpu::translate(VirtAddr va, Access kind) {
  try {
    return active_mmu().translate(va, kind, cpl_ == 3, mode_);
  } catch (const PageFault& pf) {
    cr2_ = pf.cr2().value;
    if (trace::on()) [[unlikely]]
      cpu_trace::page_fault(core_id_, cr2_, pf.error_code(), guest_active_);
    throw;
  }
}

void Cpu::clflush(VirtAddr va) {
  // CLFLUSH is checked like a one-byte read (APM Vol. 3 "CLFLUSH"); the flush covers the
  // line under every key, so the C-bit of the mapping does not matter.
  const Translation t = translate(va, Access::Read);
  if (trace::on()) [[unlikely]]
    cpu_trace::cache_op(core_id_, "CLFLUSH", va.value, kCacheLineSize);
  caches_.clflush(t.pa);
}

void Cpu::clflush_range(VirtAddr va, uint64_t len) {
  if (trace::on()) [[unlikely]]
    cpu_trace::cache_op(core_id_, "CLFLUSH range", va.value, len);
  const uint64_t end = va.value + len;
  for (uint64_t a = va.value & ~(kCacheLineSize - 1); a < end;) {
    const uint64_t stop = std::min(end, (a & kPageMask) + kPageSize);
    const Translation t = translate(VirtAddr(a), Access::Read);
    caches_.clflush_lines(t.pa, stop - a);
    a = (a & kPageMask) + kPageSize;
  }
}

void Cpu::wbinvd() {
  if (cpl_ != 0) throw GeneralProtection("WBINVD at CPL 3");
  if (guest_active_ && guest_intercepts_wbinvd()) {
    if (sev_es()) cpu_trace::raise_vc(core_id_, svm::exit_code::kWbinvd);
    intercept(svm::exit_code::kWbinvd, 0, 0, 2);
    return;
  }
  if (trace::on()) [[unlikely]]
    cpu_trace::cache_op(core_id_, "WBINVD", 0, 0);
  caches_.wbinvd();
}

void Cpu::wbnoinvd() {
  if (cpl_ != 0) throw GeneralProtection("WBNOINVD at CPL 3");
  if (trace::on()) [[unlikely]]
    cpu_trace::cache_op(core_id_, model_has_wbnoinvd(model_) ? "WBNOINVD" : "WBNOINVD (as WBINVD)",
                        0, 0);
  if (model_has_wbnoinvd(model_))
    caches_.wbnoinvd();
  else
    caches_.wbinvd();
}

void Cpu::invd() {
  if (cpl_ != 0) throw GeneralProtection("INVD at CPL 3");
  // HWCR[INVDWBINVD] set (the reset value; pinned by the CacheWarp microcode fix): INVD is
  // WBINVD. Clear: dirty lines are dropped without write-back, whoever's key they carry.
  const bool as_wbinvd = msrs_.read(msr::kHwcr) & hwcr::kInvdWbinvd;
  if (trace::on()) [[unlikely]]
    cpu_trace::cache_op(core_id_, as_wbinvd ? "INVD (as WBINVD: HWCR.INVDWBINVD)" : "INVD", 0, 0);
  if (as_wbinvd)
    caches_.wbinvd();
  else
    caches_.invd();
}

void Cpu::vm_page_flush(uint64_t value) {
  // Linux sev_flush_encrypted_page: wrmsr(MSR_AMD64_VM_PAGE_FLUSH, host VA | ASID); "regular
  // page walk checks are performed", so the address goes through this CPU's MMU.
  if (!model_.fn8000_001f.has(SevFeature::VmPageFlush))
    throw GeneralProtection("VM_PAGE_FLUSH: not supported on this part");
  const uint32_t asid = static_cast<uint32_t>(value & (kPageSize - 1));
  if (asid > model_.fn8000_001f.num_encrypted_guests())
    throw GeneralProtection("VM_PAGE_FLUSH: ASID beyond CPUID Fn8000_001F ECX");
  const Translation t = translate(VirtAddr(value & kPageMask), Access::Read);
  caches_.vm_page_flush(t.pa.page_base(), Asid(asid));
}

void Cpu::access(VirtAddr va, uint8_t* data, size_t len, Access kind) {
  if (len == 0) return;
  if (guest_active_) return guest_access(va, data, len, kind);
  // Translate every page first: an access that faults on its second page has not touched the
  // first (the instruction did not happen).
  const uint64_t first_room = kPageSize - va.page_offset();
  const bool rmp_checked = kind == Access::Write && snp_active();
  if (len <= first_room) {
    const Translation t = translate(va, kind);
    if (rmp_checked) host_rmp_check_write(va, t);
    const MemAttr attr{t.c_bit, asid_};
    if (kind == Access::Write)
      mem_.write(t.pa, ByteSpan(data, len), attr);
    else
      mem_.read(t.pa, MutByteSpan(data, len), attr);
    return;
  }
  struct Piece {
    Translation t;
    size_t off, n;
  };
  std::vector<Piece> pieces;
  for (size_t off = 0; off < len;) {
    const VirtAddr a = va + off;
    const size_t n = std::min<size_t>(kPageSize - a.page_offset(), len - off);
    pieces.push_back({translate(a, kind), off, n});
    if (rmp_checked) host_rmp_check_write(a, pieces.back().t);
    off += n;
  }
  for (const auto& p : pieces) {
    const MemAttr attr{p.t.c_bit, asid_};
    if (kind == Access::Write)
      mem_.write(p.t.pa, ByteSpan(data + p.off, p.n), attr);
    else
      mem_.read(p.t.pa, MutByteSpan(data + p.off, p.n), attr);
  }
}

void Cpu::read_virt(VirtAddr va, MutByteSpan out) {
  access(va, out.data(), out.size(), Access::Read);
}
void Cpu::write_virt(VirtAddr va, ByteSpan in) {
  access(va, const_cast<uint8_t*>(in.data()), in.size(), Access::Write);
}
void Cpu::fetch_virt(VirtAddr va, MutByteSpan out) {
  access(va, out.data(), out.size(), Access::Fetch);
}

}  // namespace cbit::hw
