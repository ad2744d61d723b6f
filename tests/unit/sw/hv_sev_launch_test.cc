// SEV and SEV-ES launches of Debian's OVMF through the host's PSP driver, KVM's SEV layer and
// the VMM, checked by the guest owner against the digest cbit measure predicts.
#include <gtest/gtest.h>

#include <cerrno>

#include "hv_sev_rig.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv::test {
namespace {

namespace sev = hw::psp::sev;
using psp::digest::SevMode;

#define REQUIRE_OVMF()                 \
  if (!std::filesystem::exists(kOvmf)) \
  GTEST_FAIL() << kOvmf << " is missing: scripts/install-deps.sh installs the ovmf package"

struct Case {
  SevMode mode;
  uint64_t vcpus;
};

// The case as the parameter's print (ctest names carry it; test_names_test.cc).
void PrintTo(const Case& c, std::ostream* os) {
  *os << (c.mode == SevMode::Sev ? "SEV" : "SEV-ES") << " x" << c.vcpus;
}

class HvSevLaunch : public ::testing::TestWithParam<Case> {};

TEST_P(HvSevLaunch, OwnerVerifiesTheMeasurementCbitMeasurePredicts) {
  REQUIRE_OVMF();
  // Plain variables, not a structured binding: clang 14 cannot capture those in a lambda.
  const SevMode mode = GetParam().mode;
  const auto vcpus = GetParam().vcpus;
  const bool es = mode == SevMode::SevEs;
  HostRig r;
  const Bytes image = ovmf_image();
  const uint32_t policy = es ? 0x5 : 0x1;
  OwnedLaunch l(r, mode, vcpus, image, policy);
  const Bytes want = expected_digest(image, mode, vcpus, epyc_milan_sig());
  ASSERT_TRUE(l.owner.verify_measurement(l.measure, want, r.version()));
  // The ASID comes from the guest type's range (CPUID Fn8000_001F EDX = 256 on Milan).
  const unsigned asid = l.launch.vm().asid();
  if (es) {
    EXPECT_GE(asid, 1u);
    EXPECT_LT(asid, r.kvm.min_sev_asid());
  } else {
    EXPECT_GE(asid, r.kvm.min_sev_asid());
  }
  host::sev_data_guest_status gs{};
  int error = 0;
  ASSERT_EQ(l.launch.vm().sev_guest_status(&gs, &error), 0);
  EXPECT_EQ(gs.state, static_cast<uint8_t>(sev::GuestState::Lsecret));
  EXPECT_EQ(gs.policy, policy);
  EXPECT_EQ(gs.asid, asid);
  EXPECT_FALSE(r.fw().asid_runnable(Asid(asid)));  // not before LAUNCH_FINISH
  l.launch.sev_launch_finish();
  ASSERT_EQ(l.launch.vm().sev_guest_status(&gs, &error), 0);
  EXPECT_EQ(gs.state, static_cast<uint8_t>(sev::GuestState::Running));
  EXPECT_TRUE(r.fw().asid_runnable(Asid(asid)));
  // Control: the digest of another vCPU count (ES) or of another image does not verify.
  const Bytes other = es ? expected_digest(image, mode, vcpus + 1, epyc_milan_sig()) : [&] {
    Bytes img = image;
    img[0] ^= 1;
    return expected_digest(img, mode, vcpus, 0);
  }();
  EXPECT_FALSE(l.owner.verify_measurement(l.measure, other, r.version()));
}

INSTANTIATE_TEST_SUITE_P(HvSev, HvSevLaunch,
                         ::testing::Values(Case{SevMode::Sev, 1}, Case{SevMode::SevEs, 1},
                                           Case{SevMode::SevEs, 4}),
                         [](const auto& info) {
                           return std::string(info.param.mode == SevMode::Sev ? "Sev" : "SevEs") +
                                  std::to_string(info.param.vcpus) + "Vcpu";
                         });

TEST(HvSev, TamperedFirmwareByteIsRefusedByTheOwner) {
  REQUIRE_OVMF();
  for (SevMode mode : {SevMode::Sev, SevMode::SevEs}) {
    HostRig r;
    const Bytes image = ovmf_image();
    const Bytes want = expected_digest(image, mode, 1, epyc_milan_sig());
    Bytes evil = image;
    evil[evil.size() / 2] ^= 0x40;  // the host swaps one byte of the firmware it loads
    OwnedLaunch l(r, mode, 1, evil, mode == SevMode::SevEs ? 0x5 : 0x1);
    EXPECT_FALSE(l.owner.verify_measurement(l.measure, want, r.version()));
    EXPECT_FALSE(l.owner.wrap_secret(as_bytes("disk key")));  // no secret for this guest
    // Control: the digest of what the host really loaded does verify.
    EXPECT_TRUE(l.owner.verify_measurement(
        l.measure, expected_digest(evil, mode, 1, epyc_milan_sig()), r.version()));
  }
}

// The hypervisor's view of an SEV guest's firmware: ciphertext under the host key. Control: a
// plain VM's memory holds the image as loaded.
TEST(HvSev, HypervisorSeesCiphertextOfLaunchedFirmware) {
  REQUIRE_OVMF();
  HostRig r;
  const Bytes image = ovmf_image();
  OwnedLaunch l(r, SevMode::Sev, 1, image, 0x1);
  const MemSlot& flash = l.launch.flash_slot();
  Bytes seen(image.size());
  l.launch.memory().read(l.launch.firmware_gpa(), seen);
  EXPECT_NE(seen, image);
  // No 32-byte window of the image's last page (reset vector, footer table) survives.
  const ByteSpan tail = ByteSpan(image).last(kPageSize);
  size_t found = 0;
  for (size_t off = 0; off + 32 <= tail.size(); off += 32)
    found += count_occurrences(seen, tail.subspan(off, 32)) ? 1 : 0;
  EXPECT_EQ(found, 0u);
  EXPECT_EQ(flash.gpa.value + flash.size, psp::digest::kFourGiB);

  // Control: the same image in a VM that was never launched with SEV.
  VmMemory plain(r.k);
  plain.add_slot("pc.flash0", flash.gpa, flash.size, true);
  plain.write(l.launch.firmware_gpa(), image);
  Bytes plain_seen(image.size());
  plain.read(l.launch.firmware_gpa(), plain_seen);
  EXPECT_EQ(plain_seen, image);
}

TEST(HvSev, SecretReachesTheGuestOnlyAfterVerification) {
  REQUIRE_OVMF();
  HostRig r;
  const Bytes image = ovmf_image();
  // Policy 0: debugging allowed, so the test can read the guest page back with DBG_DECRYPT.
  OwnedLaunch l(r, SevMode::Sev, 1, image, 0x0);
  ASSERT_TRUE(l.owner.verify_measurement(l.measure, expected_digest(image, SevMode::Sev, 1, 0),
                                         r.version()));
  const std::string secret = "luks key 5f2c0e9a71b3d846";
  const auto packet = l.owner.wrap_secret(as_bytes(secret));
  ASSERT_TRUE(packet);
  const GuestPhysAddr at(0x10000);
  l.launch.sev_inject_launch_secret(packet->header, packet->data, at);
  l.launch.sev_launch_finish();
  Bytes in_guest(secret.size());
  int error = 0;
  ASSERT_EQ(l.launch.vm().sev_dbg_decrypt(at, in_guest, &error), 0);
  EXPECT_EQ(std::string(in_guest.begin(), in_guest.end()), secret);
  // The hypervisor's own view of that page is not the secret.
  Bytes hv(secret.size());
  l.launch.memory().read(at, hv);
  EXPECT_NE(hv, in_guest);
  // DBG_ENCRYPT at an unaligned address, read back through DBG_DECRYPT.
  const Bytes patch{0xde, 0xad, 0xbe, 0xef, 0x01};
  ASSERT_EQ(l.launch.vm().sev_dbg_encrypt(at + 3, patch, &error), 0);
  Bytes back(secret.size());
  ASSERT_EQ(l.launch.vm().sev_dbg_decrypt(at, back, &error), 0);
  Bytes want(secret.begin(), secret.end());
  for (size_t i = 0; i < patch.size(); ++i) want.at(3 + i) = patch[i];
  EXPECT_EQ(back, want);
}

TEST(HvSev, NodbgPolicyRefusesDebugDecrypt) {
  REQUIRE_OVMF();
  HostRig r;
  const Bytes image = ovmf_image();
  OwnedLaunch l(r, SevMode::Sev, 1, image, 0x1);  // NODBG
  Bytes out(16);
  int error = 0;
  EXPECT_EQ(l.launch.vm().sev_dbg_decrypt(l.launch.firmware_gpa(), out, &error), -EIO);
  EXPECT_EQ(error, static_cast<int>(sev::SevStatus::PolicyFailure));
}

TEST(HvSev, LaunchMeasureLengthQueryAndErrorsKeepErrnoAndFirmwareStatus) {
  REQUIRE_OVMF();
  HostRig r;
  const Bytes image = ovmf_image();
  SevGuestLaunch l(r.kvm, OwnedLaunch::config(SevMode::Sev, 1, 0x1, 4 << 20), image, "OVMF.fd");
  l.sev_kvm_init();
  l.sev_launch_start(std::nullopt);
  l.sev_encrypt_flash();
  uint32_t len = 0;
  Bytes blob;
  int error = 0;
  EXPECT_EQ(l.vm().sev_launch_measure(&blob, &len, &error), -EIO);
  EXPECT_EQ(error, static_cast<int>(sev::SevStatus::InvalidLen));
  EXPECT_EQ(len, 48u);
  ASSERT_EQ(l.vm().sev_launch_measure(&blob, &len, &error), 0);
  EXPECT_EQ(blob.size(), 48u);
  // LAUNCH_UPDATE_DATA after LAUNCH_MEASURE: the guest left LUPDATE.
  EXPECT_EQ(l.vm().sev_launch_update_data(GuestPhysAddr(0), kPageSize, &error), -EIO);
  EXPECT_EQ(error, static_cast<int>(sev::SevStatus::InvalidGuestState));
  try {
    l.sev_encrypt_flash();
    FAIL() << "no KvmError";
  } catch (const KvmError& e) {
    EXPECT_EQ(e.ret(), -EIO);
    EXPECT_EQ(e.fw_error(), static_cast<int>(sev::SevStatus::InvalidGuestState));
    EXPECT_NE(std::string(e.what()).find("INVALID_GUEST_STATE"), std::string::npos) << e.what();
  }
  // A GPA outside every memslot never reaches the firmware.
  EXPECT_EQ(l.vm().sev_launch_update_data(GuestPhysAddr(0x80000000), kPageSize, &error), -EFAULT);
  // SEV-ES-only command on an SEV guest.
  EXPECT_EQ(l.vm().sev_launch_update_vmsa({}, &error), -ENOTTY);
}

TEST(HvSev, EsPolicyOnAnSevAsidFailsAtActivate) {
  REQUIRE_OVMF();
  HostRig r;
  const Bytes image = ovmf_image();
  // KVM_SEV_INIT (an SEV ASID) with an ES policy: the firmware refuses the ASID for an ES guest
  // and KVM decommissions the new handle.
  SevGuestLaunch l(r.kvm, OwnedLaunch::config(SevMode::Sev, 1, 0x5, 4 << 20), image, "OVMF.fd");
  l.sev_kvm_init();
  int error = 0;
  EXPECT_EQ(l.vm().sev_launch_start(0x5, std::nullopt, &error), -EIO);
  EXPECT_EQ(error, static_cast<int>(sev::SevStatus::InvalidAsid));
  EXPECT_EQ(l.vm().handle(), 0u);
  host::sev_user_data_status s{};
  ASSERT_EQ(r.dev.sev_platform_status(&s, &error), 0);
  EXPECT_EQ(s.guest_count, 0u);  // decommissioned
}

}  // namespace
}  // namespace cbit::sw::hv::test
