// Seed 004's smetest module as actions (scenario/actions/smetest.cc): with the C-bit the page
// reads "my secret", after set_memory_decrypted() it reads exactly the ciphertext in DRAM, and
// after set_memory_encrypted() the secret again; a cold-boot image never holds it. Control:
// with mem_encrypt=off the module refuses (-ENXIO) and the image holds the secret.
#include <gtest/gtest.h>

#include "attacks/cold_boot.h"
#include "unit/input_error.h"
#include "unit/scenario/sme_rig.h"

namespace cbit::scenario {
namespace {

using testutil::SmeRig;

size_t image_hits(SmeRig& r) {
  r.machine->cache().wbinvd();
  return attacks::cold_boot(r.machine->raw_view(), {"my secret"}).count("my secret");
}

TEST(SmetestActions, ReadsWithAndWithoutTheCBit) {
  SmeRig r("mem_encrypt=on");
  const auto ins = r.step("smetest-insmod", {{"id", "mod"}});
  EXPECT_EQ(ins["secret"], "my secret");
  const auto c0 = r.step("smetest-ioctl", {{"module", "mod"}, {"cmd", 0}});
  EXPECT_EQ(c0["ret"], 0);
  EXPECT_EQ(c0["read"], "my secret");
  EXPECT_EQ(c0["reads_secret"], true);
  EXPECT_EQ(c0["same_as_dram"], false) << "DRAM holds ciphertext";
  const auto c1 = r.step("smetest-ioctl", {{"cmd", 1}});
  EXPECT_EQ(c1["ret"], 0);
  EXPECT_NE(c1["read"], "my secret");
  EXPECT_EQ(c1["reads_secret"], false);
  EXPECT_EQ(c1["same_as_dram"], true) << "without the C-bit the CPU reads what the DIMMs hold";
  const auto again = r.step("smetest-ioctl", {{"cmd", 0}});
  EXPECT_EQ(again["read"], "my secret");
  EXPECT_EQ(again["hex"], c0["hex"]);
  EXPECT_EQ(image_hits(r), 0u);
  EXPECT_TRUE(r.said("dmesg: Secret data is: my secret"));
  EXPECT_EQ(r.host->dmesg().back().substr(15), "Secret data is: my secret");
  EXPECT_EQ(r.step("smetest-ioctl", {{"cmd", 7}})["ret"], -22) << "-EINVAL, as smetest.c";
}

TEST(SmetestActions, ControlWithoutSmeTheModuleRefusesAndDramHoldsTheSecret) {
  SmeRig r("mem_encrypt=off");
  r.step("smetest-insmod", {{"secret", "my secret"}});
  for (int cmd : {0, 1}) {
    const auto c = r.step("smetest-ioctl", {{"cmd", cmd}});
    EXPECT_EQ(c["ret"], -6) << "-ENXIO";
    EXPECT_EQ(c["read"], "");
  }
  EXPECT_GE(image_hits(r), 1u);
}

TEST(SmetestActions, TheCiphertextFollowsTheSeed) {
  const auto cipher = [](uint64_t seed) {
    SmeRig r("mem_encrypt=on", 1ull << 20, "naples", seed);
    r.step("smetest-insmod", {});
    return r.step("smetest-ioctl", {{"cmd", 1}})["hex"].get<std::string>();
  };
  EXPECT_EQ(cipher(1), cipher(1));
  EXPECT_NE(cipher(1), cipher(2));
  EXPECT_NE(cipher(0), cipher(0)) << "unseeded runs get fresh keys";
}

TEST(SmetestActions, APartWithoutSmeRefusesEvenWithMemEncryptOn) {
  // CPUID Fn8000_001F EAX[0] clear: the kernel finds no SME, mem_encrypt_active() is false.
  SmeRig r("mem_encrypt=on", 1ull << 20, "naples", 1, {"features=-sme"});
  EXPECT_EQ(r.host->sme_me_mask(), 0u);
  r.step("smetest-insmod", {});
  const auto c = r.step("smetest-ioctl", {{"cmd", 1}});
  EXPECT_EQ(c["ret"], -6);
  EXPECT_EQ(c["same_as_dram"], false);
  EXPECT_GE(image_hits(r), 1u);
  // Control: the same preset with SME reads the secret.
  SmeRig sme("mem_encrypt=on", 1ull << 20, "naples", 1);
  sme.step("smetest-insmod", {});
  EXPECT_EQ(sme.step("smetest-ioctl", {{"cmd", 0}})["read"], "my secret");
}

TEST(SmetestActions, BadInputNamesTheKey) {
  using cbit::testutil::error_of;
  SmeRig r("mem_encrypt=on");
  EXPECT_NE(error_of([&] {
              r.step("smetest-ioctl", {{"cmd", 0}});
            }).find("smetest-insmod"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              r.step("smetest-insmod", {{"secret", ""}});
            }).find("key 'secret'"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              r.step("smetest-ioctl", {{"module", "h"}, {"cmd", 0}});
            }).find("is not the smetest module"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { r.step("smetest-insmod", {}); }), "");
}

}  // namespace
}  // namespace cbit::scenario
