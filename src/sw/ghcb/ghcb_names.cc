#include "sw/ghcb/ghcb_names.h"

#include <fmt/format.h>

#include "hw/cpu/cpu_trace.h"
#include "sw/ghcb/ghcb.h"

namespace cbit::sw::ghcb {

std::string msr_protocol_name(uint64_t code) {
  namespace mp = msr_proto;
  switch (code) {
    case mp::kSevInfoResp:
      return "GHCB_MSR_SEV_INFO_RESP";
    case mp::kSevInfoReq:
      return "GHCB_MSR_SEV_INFO_REQ";
    case mp::kCpuidReq:
      return "GHCB_MSR_CPUID_REQ";
    case mp::kCpuidResp:
      return "GHCB_MSR_CPUID_RESP";
    case mp::kApResetHoldReq:
      return "GHCB_MSR_AP_RESET_HOLD_REQ";
    case mp::kApResetHoldResp:
      return "GHCB_MSR_AP_RESET_HOLD_RESP";
    case mp::kPreferredGpaReq:
      return "GHCB_MSR_PREF_GPA_REQ";
    case mp::kPreferredGpaResp:
      return "GHCB_MSR_PREF_GPA_RESP";
    case mp::kRegGpaReq:
      return "GHCB_MSR_REG_GPA_REQ";
    case mp::kRegGpaResp:
      return "GHCB_MSR_REG_GPA_RESP";
    case mp::kPscReq:
      return "GHCB_MSR_PSC_REQ";
    case mp::kPscResp:
      return "GHCB_MSR_PSC_RESP";
    case mp::kVmplReq:
      return "GHCB_MSR_VMPL_REQ";
    case mp::kVmplResp:
      return "GHCB_MSR_VMPL_RESP";
    case mp::kHvFeaturesReq:
      return "GHCB_MSR_HV_FT_REQ";
    case mp::kHvFeaturesResp:
      return "GHCB_MSR_HV_FT_RESP";
    case mp::kTermReq:
      return "GHCB_MSR_TERM_REQ";
  }
  return fmt::format("GHCB_MSR_{:#05x}", code);
}

std::string nae_name(uint64_t sw_exit_code) {
  switch (sw_exit_code) {
    case vmgexit::kMmioRead:
      return "SVM_VMGEXIT_MMIO_READ";
    case vmgexit::kMmioWrite:
      return "SVM_VMGEXIT_MMIO_WRITE";
    case vmgexit::kNmiComplete:
      return "SVM_VMGEXIT_NMI_COMPLETE";
    case vmgexit::kApHltLoop:
      return "SVM_VMGEXIT_AP_HLT_LOOP";
    case vmgexit::kApJumpTable:
      return "SVM_VMGEXIT_AP_JUMP_TABLE";
    case vmgexit::kPsc:
      return "SVM_VMGEXIT_PSC";
    case vmgexit::kGuestRequest:
      return "SVM_VMGEXIT_GUEST_REQUEST";
    case vmgexit::kExtGuestRequest:
      return "SVM_VMGEXIT_EXT_GUEST_REQUEST";
    case vmgexit::kApCreation:
      return "SVM_VMGEXIT_AP_CREATION";
    case vmgexit::kHvDoorbellPage:
      return "SVM_VMGEXIT_HV_DOORBELL_PAGE";
    case vmgexit::kHvFeatures:
      return "SVM_VMGEXIT_HV_FEATURES";
    case vmgexit::kTermRequest:
      return "SVM_VMGEXIT_TERM_REQUEST";
    case vmgexit::kUnsupportedEvent:
      return "SVM_VMGEXIT_UNSUPPORTED_EVENT";
  }
  return hw::cpu_trace::svm_exit_name(sw_exit_code);
}

}  // namespace cbit::sw::ghcb
