// Known answers for the SEV trusted channel: the KDF, the session blob, the measurement HMAC.
// The expected bytes are the test vectors of virtee/sev (src/session/key.rs, src/session/mod.rs);
// the measurement vector there is a real LAUNCH_MEASURE from an AMD part (API 0.18 build 15).
#include "hw/psp/sev/sev_channel.h"

#include <gtest/gtest.h>

namespace cbit::hw::psp::sev {
namespace {

TEST(SevChannel, KdfKnownAnswer) {
  const Bytes zero(16, 0);
  EXPECT_EQ(to_hex(sev_kdf(zero, "sev-master-secret", zero, 16)),
            "ab4d269fcc62bedb4511d56c386ce706");
  EXPECT_NE(to_hex(sev_kdf(zero, "sev-master-secreT", zero, 16)),
            "ab4d269fcc62bedb4511d56c386ce706");  // control
}

TEST(SevChannel, SessionKnownAnswer) {
  const Bytes zero(16, 0);
  TransportKeys keys;  // TEK = TIK = 0
  const SessionBlob s = make_session(zero, zero, zero, keys, 0);
  EXPECT_EQ(to_hex(s.wrap_tk), "2137bc7f9bb8bd7c3e55a576a15d3454b3856b8ba27afadf46dcfee9f02c02c4");
  EXPECT_EQ(to_hex(s.wrap_mac), "3176c0752738bd9d5e86689534020f528c088f16238826b000b327dee6aeed7d");
  EXPECT_EQ(to_hex(s.policy_mac),
            "aa7855e13839dd767cd5da7c1ff5036540c9264b7a803029315e55375287b4af");
  // The firmware side unwraps what the client wrapped, and refuses a changed blob.
  auto back = open_session(zero, s);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->tik, keys.tik);
  SessionBlob bad = s;
  bad.wrap_tk[0] ^= 1;
  EXPECT_FALSE(open_session(zero, bad));
}

TEST(SevChannel, MeasurementKnownAnswerFromRealHardware) {
  const Bytes tik = from_hex("66320db73158a35a255d051758e95ed4");
  const Bytes digest = from_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const Bytes mnonce = from_hex("4fbe0bedbad6c86ae8f68971d103e554");
  const auto m = measurement_mac(tik, 0x00, 0x12, 0x0f, 0, digest, mnonce);
  EXPECT_EQ(to_hex(m), "6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea");
  const auto other = measurement_mac(tik, 0x00, 0x12, 0x0f, 1, digest, mnonce);  // control
  EXPECT_NE(to_hex(other), to_hex(m));
}

}  // namespace
}  // namespace cbit::hw::psp::sev
