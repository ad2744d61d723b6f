// SEV-SNP instructions on the simulated core (APM Vol. 3 RMPUPDATE, PSMASH, RMPREAD, PVALIDATE,
// RMPADJUST; Vol. 2 §15.36; SNP-FACTS.md §1.4). The core's part: the mode and privilege checks,
// the operand reads and writes through the MMU, the guest and nested walks, and turning what
// the table said (hw/rmp/rmp_insn.h) into EAX, CF, #NPF or an exception.
//
//  - Host instructions (RMPUPDATE, PSMASH, RMPREAD): #UD without the CPUID feature (SNP; RMPREAD
//    needs RmpRead), in guest mode, outside 64-bit mode or while SYSCFG.SNP_EN=0; #GP at CPL 3.
//  - Guest instructions (PVALIDATE, RMPADJUST): #UD outside an SNP-active guest, #GP at CPL 3;
//    PVALIDATE also #GP above VMPL0 (Linux terminates with GHCB_TERM_NOT_VMPL0 there and asks
//    the SVSM instead). A fault in the walks is the usual #PF / #NPF; an RMP entry the guest does
//    not own (or a 4 KiB request on a 2 MiB entry, with SIZEM) is #NPF with the RMP bit.
#include <array>

#include "common/trace.h"
#include "hw/cpu/cpu.h"
#include "hw/cpu/fault.h"
#include "hw/rmp/rmp.h"
#include "hw/rmp/rmp_insn.h"
#include "hw/svm/vmcb.h"

namespace cbit::hw {

namespace {
// A failed SNP instruction on the trace (successes are the normal course, not traced).
void trace_rmp_insn(unsigned core, const char* insn, uint32_t eax, uint64_t addr) {
  if (eax == 0 || !trace::on()) [[likely]]
    return;
  static constexpr const char* kNames[] = {
      "SUCCESS", "FAIL_INPUT",       "FAIL_PERMISSION", "FAIL_INUSE", "FAIL_OVERLAP / FAIL_BADADDR",
      "?",       "FAIL_SIZEMISMATCH"};
  const char* what = eax < std::size(kNames) ? kNames[eax] : "?";
  trace::instant(trace::track::cpu(core), "rmp", std::string(insn) + " " + what,
                 {{"eax", eax}, {"result", what}, {"address", trace::hex(addr)}});
}
}  // namespace

void Cpu::snp_host_insn_checks(const char* name, SevFeature feature) {
  if (!model_.fn8000_001f.has(feature)) throw InvalidOpcode(std::string(name) + " on this part");
  if (guest_active_) throw InvalidOpcode(std::string(name) + " in guest mode");
  if (!(efer_ & efer::kLma)) throw InvalidOpcode(std::string(name) + " outside 64-bit mode");
  if (!snp_active()) throw InvalidOpcode(std::string(name) + " with SYSCFG.SNP_EN=0");
  if (cpl_ != 0) throw GeneralProtection(std::string(name) + " at CPL 3");
}

uint32_t Cpu::rmpupdate(uint64_t spa, VirtAddr new_state) {
  snp_host_insn_checks("RMPUPDATE", SevFeature::SevSnp);
  std::array<uint8_t, 16> raw{};
  read_virt(new_state, raw);  // a host read: faults like any other
  const uint32_t eax = rmp::rmpupdate(*rmp_, spa, rmp::RmpState::decode(raw),
                                      model_.fn8000_001f.num_encrypted_guests());
  regs_.rax = eax;
  trace_rmp_insn(core_id_, "RMPUPDATE", eax, spa);
  return eax;
}

uint32_t Cpu::psmash(uint64_t spa) {
  snp_host_insn_checks("PSMASH", SevFeature::SevSnp);
  const uint32_t eax = rmp::psmash(*rmp_, spa);
  regs_.rax = eax;
  trace_rmp_insn(core_id_, "PSMASH", eax, spa);
  return eax;
}

uint32_t Cpu::rmpread(uint64_t spa, VirtAddr out) {
  snp_host_insn_checks("RMPREAD", SevFeature::RmpRead);
  uint32_t eax = rmp::ret::kSuccess;
  if ((spa & (kPageSize - 1)) || !rmp_->table().covers(SysPhysAddr(spa))) {
    eax = rmp::ret::kFailInput;
  } else {
    const auto rec = rmp::rmpread_record(rmp_->table(), SysPhysAddr(spa));
    write_virt(out, rec);  // a host write: RMP-checked like any other
  }
  regs_.rax = eax;
  return eax;
}

Cpu::RmpResult Cpu::pvalidate(VirtAddr va, bool size_2m, bool validate) {
  if (guest_active_ && guest_snp() && cpl_ == 0 && guest_vmpl() != 0)
    throw GeneralProtection("PVALIDATE above VMPL0");
  const auto r =
      guest_rmp_insn(va, size_2m, "PVALIDATE", [&](rmp::RmpTable& t, const rmp::GuestTarget& g) {
        return rmp::pvalidate(t, g, size_2m, validate);
      });
  regs_.rax = r.eax;
  trace_rmp_insn(core_id_, "PVALIDATE", r.eax, va.value);
  return {r.eax, r.cf};
}

Cpu::RmpResult Cpu::rmpadjust(VirtAddr va, bool size_2m, uint64_t attrs) {
  const unsigned vmpl = guest_active_ && guest_snp() ? guest_vmpl() : 0;
  const auto r =
      guest_rmp_insn(va, size_2m, "RMPADJUST", [&](rmp::RmpTable& t, const rmp::GuestTarget& g) {
        return rmp::rmpadjust(t, g, size_2m, attrs, vmpl);
      });
  regs_.rax = r.eax;
  trace_rmp_insn(core_id_, "RMPADJUST", r.eax, va.value);
  return {r.eax, r.cf};
}

}  // namespace cbit::hw
