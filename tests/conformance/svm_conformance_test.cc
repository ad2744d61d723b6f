// The VMCB offsets and SVM exit codes cbit uses (hw/svm/vmcb.h) against the spec table in
// docs/SPEC-FACTS.md ("SVM: the VMCB"), row by row.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

#include "hw/svm/vmcb.h"
#include "spec_tables.inc"

namespace cbit::hw::svm {
namespace {

struct Named {
  const char* name;
  uint64_t value;
};

TEST(SvmConformance, VmcbControlAreaOffsets) {
  const std::map<std::string, uint64_t> ours = {
      {"INTERCEPT_CR", ctl::kInterceptCr},
      {"INTERCEPT_EXCEPTION", ctl::kInterceptExc},
      {"INTERCEPT_WORD3", ctl::kInterceptWord3},
      {"INTERCEPT_WORD4", ctl::kInterceptWord4},
      {"IOPM_BASE_PA", ctl::kIopmBasePa},
      {"MSRPM_BASE_PA", ctl::kMsrpmBasePa},
      {"ASID", ctl::kAsid},
      {"EXITCODE", ctl::kExitCode},
      {"EXITINFO1", ctl::kExitInfo1},
      {"EXITINFO2", ctl::kExitInfo2},
      {"NESTED_CTL", ctl::kNestedCtl},
      {"GHCB_GPA", ctl::kGhcbGpa},
      {"N_CR3", ctl::kNestedCr3},
      {"NEXT_RIP", ctl::kNextRip},
      {"VMSA_PA", ctl::kVmsaPa},
  };
  constexpr Named spec[] = {CBIT_SPEC_VMCB_CONTROL};
  ASSERT_EQ(std::size(spec), ours.size());
  for (const auto& row : spec) {
    ASSERT_TRUE(ours.count(row.name)) << row.name;
    EXPECT_EQ(ours.at(row.name), row.value) << row.name;
  }
}

TEST(SvmConformance, ExitCodes) {
  const std::map<std::string, uint64_t> ours = {
      {"CPUID", exit_code::kCpuid},       {"HLT", exit_code::kHlt},
      {"IOIO", exit_code::kIoio},         {"MSR", exit_code::kMsr},
      {"SHUTDOWN", exit_code::kShutdown}, {"VMRUN", exit_code::kVmrun},
      {"VMMCALL", exit_code::kVmmcall},   {"NPF", exit_code::kNpf},
      {"VMGEXIT", exit_code::kVmgexit},
  };
  constexpr Named spec[] = {CBIT_SPEC_SVM_EXIT_CODES};
  ASSERT_EQ(std::size(spec), ours.size());
  for (const auto& row : spec) {
    ASSERT_TRUE(ours.count(row.name)) << row.name;
    EXPECT_EQ(ours.at(row.name), row.value) << row.name;
    EXPECT_STREQ(exit_code_name(row.value), row.name);
  }
  EXPECT_EQ(exit_code::kInvalid, static_cast<uint64_t>(-1));
}

TEST(SvmConformance, SaveAreaMatchesTheVmsaLayout) {
  // The same offsets serve the VMCB save area (+0x400) and the SEV-ES VMSA.
  EXPECT_EQ(save::kInVmcb, 0x400u);
  EXPECT_EQ(save::kRip, 0x178u);
  EXPECT_EQ(save::kRsp, 0x1D8u);
  EXPECT_EQ(save::kRax, 0x1F8u);
  EXPECT_EQ(save::kCr0, 0x158u);
  EXPECT_EQ(save::kRcx, 0x308u);
  EXPECT_EQ(save::kR15, 0x378u);
  EXPECT_EQ(nested_ctl::kSevEsEnable, 1u << 2);
}

}  // namespace
}  // namespace cbit::hw::svm
