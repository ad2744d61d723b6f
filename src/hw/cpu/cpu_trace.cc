#include "hw/cpu/cpu_trace.h"

#include <fmt/format.h>

#include "common/trace.h"
#include "hw/cpu/fault.h"
#include "hw/svm/vmcb.h"

namespace cbit::hw::cpu_trace {
namespace {

struct Bit {
  uint64_t mask;
  const char* name;
};

std::string bits(uint64_t v, std::initializer_list<Bit> names) {
  std::string s;
  for (const Bit& b : names) {
    if (!(v & b.mask)) continue;
    if (!s.empty()) s += '|';
    s += b.name;
  }
  return s.empty() ? "0" : s;
}

}  // namespace

std::string pf_error_bits(uint64_t code) {
  return bits(code, {{pf_err::kPresent, "P"},
                     {pf_err::kWrite, "W"},
                     {pf_err::kUser, "U"},
                     {pf_err::kRsvd, "RSV"},
                     {pf_err::kFetch, "I"},
                     {pf_err::kPk, "PK"},
                     {pf_err::kSs, "SS"},
                     {pf_err::kRmp, "RMP"}});
}

std::string npf_error_bits(uint64_t info1) {
  return bits(info1, {{pf_err::kPresent, "P"},
                      {pf_err::kWrite, "W"},
                      {pf_err::kUser, "U"},
                      {pf_err::kRsvd, "RSV"},
                      {pf_err::kFetch, "I"},
                      {svm::npf::kRmp, "RMP"},
                      {svm::npf::kGuestFinal, "GUEST_FINAL"},
                      {svm::npf::kGuestPage, "GUEST_PAGE"},
                      {svm::npf::kEnc, "ENC"},
                      {svm::npf::kSizeM, "SIZEM"},
                      {svm::npf::kVmpl, "VMPL"},
                      {svm::npf::kSss, "SSS"}});
}

std::string svm_exit_name(uint64_t code) {
  if (code == svm::exit_code::kInvalid) return "SVM_EXIT_ERR (VMEXIT_INVALID)";
  if (code >= svm::exit_code::kExceptionBase && code < svm::exit_code::kExceptionBase + 32)
    return fmt::format("SVM_EXIT_EXCP_BASE+{}", code - svm::exit_code::kExceptionBase);
  const std::string n = svm::exit_code_name(code);
  if (n == "?") return fmt::format("SVM_EXIT_{:#x}", code);
  return "SVM_EXIT_" + n;
}

std::string vc_name(uint64_t error_code) {
  if (error_code == svm::vc_code::kPageNotValidated) return "PAGE_NOT_VALIDATED";
  return svm_exit_name(error_code);
}

void vmrun(unsigned core, uint32_t asid, const char* mode, uint64_t vmcb_pa, bool entered) {
  trace::instant(trace::track::cpu(core), "svm", entered ? "VMRUN" : "VMRUN refused",
                 {{"asid", asid},
                  {"guest", mode},
                  {"vmcb", trace::hex(vmcb_pa)},
                  {"result", entered ? "guest mode" : "SVM_EXIT_ERR (VMEXIT_INVALID)"}});
}

void vmexit(unsigned core, uint64_t guest_since, uint32_t asid, uint64_t code, uint64_t info1,
            uint64_t info2) {
  const trace::Track t = trace::track::cpu(core);
  const std::string name = svm_exit_name(code);
  trace::complete(t, "svm", fmt::format("guest ASID {}", asid), guest_since, {{"asid", asid}});
  if (code == svm::exit_code::kNpf)
    trace::instant(t, "fault", "#NPF",
                   {{"gpa", trace::hex(info2)},
                    {"error_code", trace::hex(info1)},
                    {"bits", npf_error_bits(info1)}});
  trace::instant(t, "svm", "#VMEXIT " + name,
                 {{"exit_code", name},
                  {"code", trace::hex(code)},
                  {"exitinfo1", trace::hex(info1)},
                  {"exitinfo2", trace::hex(info2)}});
}

void page_fault(unsigned core, uint64_t va, uint64_t error_code, bool guest) {
  trace::instant(trace::track::cpu(core), "fault", "#PF",
                 {{"cr2", trace::hex(va)},
                  {"error_code", trace::hex(error_code)},
                  {"bits", pf_error_bits(error_code)},
                  {"mode", guest ? "guest" : "host"}});
}

void rmp_fail(unsigned core, const char* who, rmp::RmpCheck check, uint64_t spa, uint64_t gpa) {
  trace::instant(trace::track::cpu(core), "rmp",
                 fmt::format("RMP check failed: {}", rmp::rmp_check_name(check)),
                 {{"check", rmp::rmp_check_name(check)},
                  {"access", who},
                  {"spa", trace::hex(spa)},
                  {"gpa", trace::hex(gpa)}});
}

void cache_op(unsigned core, const char* insn, uint64_t va, uint64_t len) {
  if (len == 0) {
    trace::instant(trace::track::cpu(core), "cache", insn);
    return;
  }
  trace::instant(trace::track::cpu(core), "cache", insn, {{"va", trace::hex(va)}, {"length", len}});
}

void note_vc(unsigned core, uint64_t error_code, uint64_t cr2) {
  if (!trace::on()) [[likely]]
    return;
  const std::string name = vc_name(error_code);
  if (error_code == svm::vc_code::kPageNotValidated)
    trace::instant(
        trace::track::cpu(core), "fault", "#VC " + name,
        {{"error_code", trace::hex(error_code)}, {"name", name}, {"cr2", trace::hex(cr2)}});
  else
    trace::instant(trace::track::cpu(core), "fault", "#VC " + name,
                   {{"error_code", trace::hex(error_code)}, {"name", name}});
}

void raise_vc(unsigned core, uint64_t error_code, uint64_t cr2) {
  note_vc(core, error_code, cr2);
  throw VmmCommunication(error_code);
}

}  // namespace cbit::hw::cpu_trace
