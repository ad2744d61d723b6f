#include "hw/svm/vmcb.h"

namespace cbit::hw::svm {

const char* exit_code_name(uint64_t code) {
  switch (code) {
    case exit_code::kIntr:
      return "INTR";
    case exit_code::kCpuid:
      return "CPUID";
    case exit_code::kHlt:
      return "HLT";
    case exit_code::kIoio:
      return "IOIO";
    case exit_code::kMsr:
      return "MSR";
    case exit_code::kShutdown:
      return "SHUTDOWN";
    case exit_code::kVmrun:
      return "VMRUN";
    case exit_code::kVmmcall:
      return "VMMCALL";
    case exit_code::kWbinvd:
      return "WBINVD";
    case exit_code::kNpf:
      return "NPF";
    case exit_code::kVmgexit:
      return "VMGEXIT";
    case exit_code::kInvalid:
      return "INVALID";
    default:
      if (code >= exit_code::kExceptionBase && code < exit_code::kExceptionBase + 32) return "EXCP";
      return "?";
  }
}

}  // namespace cbit::hw::svm
