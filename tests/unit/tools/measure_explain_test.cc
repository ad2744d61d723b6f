// --explain and `measure diff`: the explanation's digest is the measured one, and a diff of two
// explanations names the input that differs and the first page where the launches part.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/file.h"
#include "tools/measure/diff.h"
#include "tools/measure/explain.h"
#include "tools/measure/request.h"
#include "unit/temp_dir.h"
#include "unit/tools/measure_fixtures.h"

namespace cbit::tools::measure {
namespace {

class MeasureExplain : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::make_unique<testutil::UniqueTempDir>("cbit-measure-explain");
    dir_ = tmp_->path().string();
    const auto fw = testutil::measure_firmwares();
    write_file_atomic(dir_ + "/a.fd", testutil::build_firmware(fw.at("amdsev")));
    Bytes b = testutil::build_firmware(fw.at("amdsev"));
    b[5 * 4096 + 17] ^= 1;  // one bit in the sixth firmware page
    write_file_atomic(dir_ + "/b.fd", b);
    write_file_atomic(dir_ + "/kernel", testutil::measure_kernel());
  }
  void TearDown() override { tmp_.reset(); }
  RawArgs args(const std::string& fw) {
    RawArgs a;
    a.mode.emplace("snp");
    a.ovmf = dir_ + "/" + fw;
    a.vcpus.emplace("4");
    a.vcpu_type.emplace("EPYC-Milan");
    return a;
  }
  std::string json_of(const RawArgs& a) {
    const Request r = resolve(a);
    return explain_json(r, run(r, true));
  }
  std::unique_ptr<testutil::UniqueTempDir> tmp_;
  std::string dir_;
};

TEST_F(MeasureExplain, JsonCarriesTheDigestAndEveryPage) {
  const RawArgs a = args("a.fd");
  const auto j = nlohmann::json::parse(json_of(a));
  const std::string digest = digest_output(resolve(a));
  EXPECT_EQ(j["digest"].get<std::string>() + "\n", digest);
  // 16 firmware pages, 9+3 SEC_MEM, secrets, CPUID, SVSM_CAA, hashes (zero), 15 SEC_MEM, 4 VMSAs.
  EXPECT_EQ(j["records"].size(), 16u + 9 + 3 + 1 + 1 + 1 + 1 + 15 + 4);
  EXPECT_EQ(j["records"].back()["ld"], j["digest"]);
  EXPECT_EQ(j["inputs"]["vcpu_sig"], 0xa00f11u);
  const std::string text = explain_text(resolve(a), run(resolve(a), true));
  EXPECT_NE(text.find("SNP_SECRETS"), std::string::npos);
  EXPECT_NE(text.find("rdx=0xa00f11"), std::string::npos);
  EXPECT_NE(text.find("digest: " + digest.substr(0, 96)), std::string::npos);
}

TEST_F(MeasureExplain, DiffSameDigest) {
  const std::string a = json_of(args("a.fd"));
  const DiffResult d = diff_explained_text(a, a);
  EXPECT_TRUE(d.same);
  EXPECT_NE(d.text.find("same digest"), std::string::npos);
}

TEST_F(MeasureExplain, DiffNamesTheFirmwarePage) {
  const DiffResult d = diff_explained_text(json_of(args("a.fd")), json_of(args("b.fd")));
  EXPECT_FALSE(d.same);
  EXPECT_NE(d.text.find("--ovmf (contents)"), std::string::npos) << d.text;
  EXPECT_NE(d.text.find("measured page #5 "), std::string::npos) << d.text;
  EXPECT_NE(d.text.find("OVMF file offset 0x5000"), std::string::npos) << d.text;
  EXPECT_NE(d.text.find("first input that differs: --ovmf"), std::string::npos) << d.text;
}

TEST_F(MeasureExplain, DiffNamesTheVcpuSignatureAndCount) {
  RawArgs rome = args("a.fd");
  rome.vcpu_type.emplace("EPYC-Rome");
  DiffResult d = diff_explained_text(json_of(args("a.fd")), json_of(rome));
  EXPECT_NE(d.text.find("first input that differs: vCPU signature (VMSA fields: rdx 0xa00f11 vs "
                        "0x830f10)"),
            std::string::npos)
      << d.text;
  RawArgs more = args("a.fd");
  more.vcpus.emplace("5");
  d = diff_explained_text(json_of(args("a.fd")), json_of(more));
  EXPECT_NE(d.text.find("first input that differs: --vcpus"), std::string::npos) << d.text;
  RawArgs gce = args("a.fd");
  gce.vmm_type.emplace("gce");
  d = diff_explained_text(json_of(args("a.fd")), json_of(gce));
  EXPECT_NE(d.text.find("first input that differs: --vmm-type"), std::string::npos) << d.text;
  RawArgs k = args("a.fd");
  k.kernel = dir_ + "/kernel";
  d = diff_explained_text(json_of(args("a.fd")), json_of(k));
  EXPECT_NE(d.text.find("--kernel (contents)"), std::string::npos) << d.text;
}

TEST_F(MeasureExplain, DiffRefusesOtherFiles) {
  EXPECT_THROW(diff_explained_text("{}", json_of(args("a.fd")), "x.json"), InputError);
  EXPECT_THROW(diff_explained_text("not json", "[]"), InputError);
}

}  // namespace
}  // namespace cbit::tools::measure

namespace cbit::tools::measure {
namespace {

TEST(MeasureDiff, MalformedExplanationIsAnInputErrorNotACrash) {
  const std::string good =
      R"({"cbit_measure_explain":1,"mode":"SEV_SNP","inputs":{},"steps":[{"source":"vmsa",)"
      R"("vmsa_fields":{"rdx":1}}],"records":[{"step":0,"type":"VMSA","gpa":1}],"digest":"aa"})";
  std::string bad = good;
  bad.replace(bad.find("\"rdx\":1"), 7, "\"rdx\":\"x\"");
  std::string other = good;
  other.replace(other.find("\"gpa\":1"), 7, "\"gpa\":2");
  other.replace(other.find("\"aa\""), 4, "\"bb\"");
  EXPECT_NO_THROW(diff_explained_text(good, other));  // control: well-formed
  EXPECT_THROW(diff_explained_text(bad, other), InputError);
}

}  // namespace
}  // namespace cbit::tools::measure
