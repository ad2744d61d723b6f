// Flag handling of `cbit measure`: Python-style integers and sev-snp-measure's checks, in its
// order, with usage errors (exit 2) kept apart from refusals (exit 1).
#include <gtest/gtest.h>

#include "tools/measure/py_int.h"
#include "tools/measure/request.h"

namespace cbit::tools::measure {
namespace {

TEST(MeasurePyInt, AcceptsWhatPythonAccepts) {
  EXPECT_EQ(parse_py_int("0x800f12", 0)->bits, 0x800f12u);
  EXPECT_EQ(parse_py_int(" 1_000 ", 0)->bits, 1000u);
  EXPECT_EQ(parse_py_int("0o17", 0)->bits, 15u);
  EXPECT_EQ(parse_py_int("0B101", 0)->bits, 5u);
  EXPECT_EQ(parse_py_int("0x_ff", 0)->bits, 255u);
  EXPECT_EQ(parse_py_int("000", 0)->bits, 0u);
  EXPECT_EQ(parse_py_int("-1", 0)->bits, ~uint64_t(0));
  EXPECT_EQ(parse_py_int("+7", 10)->bits, 7u);
  EXPECT_EQ(parse_py_int("007", 10)->bits, 7u);  // int("007") is fine, int("007", 0) is not
  const auto big = parse_py_int("0x10000000000000001", 0);
  EXPECT_EQ(big->bits, 1u);  // modulo 2^64, as a u64 field stores it
  EXPECT_FALSE(big->fits_i64);
  EXPECT_TRUE(parse_py_int("-9223372036854775808", 10)->fits_i64);
  EXPECT_FALSE(parse_py_int("9223372036854775808", 10)->fits_i64);
}

TEST(MeasurePyInt, RefusesWhatPythonRefuses) {
  for (const char* s : {"", " ", "010", "0x", "1__0", "_1", "1_", "0x1g", "1.0", "ten", "--1"})
    EXPECT_FALSE(parse_py_int(s, 0)) << s;
  EXPECT_FALSE(parse_py_int("0x10", 10));
  EXPECT_FALSE(parse_py_int("12a", 10));
}

RawArgs snp() {
  RawArgs a;
  a.mode.emplace("snp");
  a.ovmf.emplace("/nonexistent/ovmf.fd");
  a.vcpus.emplace("2");
  a.vcpu_type.emplace("EPYC-v4");
  return a;
}

TEST(MeasureResolve, SignaturePrecedenceFamilyThenSigThenType) {
  RawArgs a = snp();
  EXPECT_EQ(resolve(a).cfg.vcpu_sig, 0x800f12u);
  a.vcpu_sig.emplace("0x1234");
  EXPECT_EQ(resolve(a).cfg.vcpu_sig, 0x1234u);
  a.vcpu_family.emplace("25");
  a.vcpu_model.emplace("1");
  a.vcpu_stepping.emplace("1");
  EXPECT_EQ(resolve(a).cfg.vcpu_sig, 0xa00f11u);
  a.vcpu_stepping.reset();  // the reference crashes: family without stepping
  EXPECT_THROW(
      {
        try {
          resolve(a);
        } catch (const UsageError&) {
          FAIL() << "should be a refusal (exit 1), not a usage error";
        }
      },
      InputError);
}

TEST(MeasureResolve, UsageErrors) {
  auto usage = [](RawArgs a) {
    try {
      resolve(a);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  RawArgs a = snp();
  a.vcpus.reset();
  EXPECT_EQ(usage(a), "missing --vcpus N in guest mode 'snp'");
  a = snp();
  a.vcpu_type.reset();
  EXPECT_EQ(usage(a), "missing --vcpu-type or --vcpu-sig or --vcpu-family in guest mode 'snp'");
  a.vmm_type.emplace("ec2");  // ec2 needs no signature
  EXPECT_EQ(usage(a), "accepted");
  a.vmm_type.emplace("EC2");  // names are case-sensitive, as in the reference
  EXPECT_NE(usage(a).find("unknown VMM type 'EC2'"), std::string::npos);
  a = snp();
  a.initrd.emplace("x");
  EXPECT_EQ(usage(a), "--kernel required when using --initrd");
  a.initrd.emplace("");  // an empty value is no value
  EXPECT_EQ(usage(a), "accepted");
  a = snp();
  a.vcpu_type.emplace("EPYC-Foo");
  EXPECT_NE(usage(a).find("--vcpu-type 'EPYC-Foo'"), std::string::npos);
  a = snp();
  a.mode.emplace("sev");
  a.vcpus.reset();
  a.vcpu_type.reset();
  EXPECT_EQ(usage(a), "accepted");  // SEV needs neither
  a.mode.reset();
  EXPECT_EQ(usage(a), "the following arguments are required: --mode");
}

TEST(MeasureResolve, VcpusWithinKvmMaxVcpus) {
  auto vcpus = [](const char* n) {
    RawArgs a = snp();
    a.vcpus.emplace(n);
    try {
      return std::to_string(resolve(a).cfg.vcpus);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
  };
  EXPECT_EQ(vcpus("0"), "0");
  EXPECT_EQ(vcpus("4096"), "4096");
  EXPECT_EQ(vcpus("4097"), "--vcpus '4097': at most 4096 (KVM_MAX_VCPUS)");
  EXPECT_EQ(vcpus("-1"), "0");  // no VMSA, as sev-snp-measure (its digest is in the table test)
  EXPECT_EQ(vcpus("99999999999999999999"), "--vcpus '99999999999999999999': out of range");
}

TEST(MeasureResolve, MissingFirmwareIsARefusalNamingTheFile) {
  const Request r = resolve(snp());
  try {
    digest_output(r);
    FAIL();
  } catch (const UsageError&) {
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ovmf.fd"), std::string::npos);
  }
}

TEST(MeasureOutput, Base64AndHex) {
  const Bytes d = {0xde, 0xad, 0xbe, 0xef};
  EXPECT_EQ(format_digest(d, false), "deadbeef");
  EXPECT_EQ(format_digest(d, true), "3q2+7w==");
}

}  // namespace
}  // namespace cbit::tools::measure
