// SNP guest commands: GCTX_CREATE, LAUNCH_START (policy), ACTIVATE, LAUNCH_UPDATE (page types,
// checks), LAUNCH_FINISH (ID block), DECOMMISSION, GUEST_STATUS, DBG_DECRYPT/ENCRYPT,
// GUEST_REQUEST's checks. Each status with a control where the same command succeeds.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "crypto/hash.h"
#include "hw/cpu/cpuid.h"
#include "psp/certs/sim_chain.h"
#include "psp/snp/cpuid_page.h"
#include "snp_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

using rmp::PageState;

Bytes pattern(uint8_t seed) {
  Bytes p(kPageSize);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(seed + i * 13);
  return p;
}

TEST(SnpGctxCreate, NeedsAFirmware4KPage) {
  SnpRig r;
  EXPECT_EQ(r.cmd(SevCmd::SnpGctxCreate, SnpRig::addr_buf(kGctx)), SevStatus::InvalidPlatformState);
  r.init();
  EXPECT_EQ(r.cmd(SevCmd::SnpGctxCreate, SnpRig::addr_buf(kGctx | 0x10)), SevStatus::InvalidParam);
  EXPECT_EQ(r.cmd(SevCmd::SnpGctxCreate, SnpRig::addr_buf(kGctx)), SevStatus::InvalidPageState);
  EXPECT_EQ(r.cmd(SevCmd::SnpGctxCreate, SnpRig::addr_buf(kRmpBase)),
            SevStatus::InvalidAddress);  // the RMP's own page is Firmware but never a context
  rmp::RmpEntry big;
  big.assigned = big.immutable = big.page_size_2m = true;
  r.rmp_set(kGuest, big);
  EXPECT_EQ(r.cmd(SevCmd::SnpGctxCreate, SnpRig::addr_buf(kGuest)), SevStatus::InvalidPageSize);
  EXPECT_EQ(r.gctx_create(), SevStatus::Success);
  EXPECT_EQ(r.state(kGctx), PageState::Context);
  Bytes raw(64);
  r.m.raw_view().read(SysPhysAddr(kGctx), raw);
  EXPECT_EQ(raw, Bytes(64, 0));  // nothing of the context in the page
  EXPECT_EQ(r.guest_status()[0x0C], uint8_t(SnpGuestState::Init));
}

TEST(SnpLaunchStart, PolicyChecks) {
  struct Case {
    const char* what;
    uint64_t policy;
    SevStatus want;
  };
  const Case cases[] = {
      {"QEMU default", kSnpPolicyQemuDefault, SevStatus::Success},
      {"DEBUG", kSnpPolicyQemuDefault | snp_policy_flag(SnpPolicyBit::Debug), SevStatus::Success},
      {"SINGLE_SOCKET", kSnpPolicyQemuDefault | snp_policy_flag(SnpPolicyBit::SingleSocket),
       SevStatus::Success},
      {"MBO clear", snp_policy_flag(SnpPolicyBit::Smt), SevStatus::PolicyFailure},
      {"SMT clear with SMT on", snp_policy_flag(SnpPolicyBit::Mbo), SevStatus::PolicyFailure},
      {"reserved bit 26", kSnpPolicyQemuDefault | (1ull << 26), SevStatus::PolicyFailure},
      {"reserved bit 63", kSnpPolicyQemuDefault | (1ull << 63), SevStatus::PolicyFailure},
      {"ABI 2.0", kSnpPolicyQemuDefault | 0x200, SevStatus::PolicyFailure},
      {"ABI 1.56", kSnpPolicyQemuDefault | 0x138, SevStatus::PolicyFailure},
      {"ABI 1.55", kSnpPolicyQemuDefault | 0x137, SevStatus::Success},
      {"CXL_ALLOW", kSnpPolicyQemuDefault | snp_policy_flag(SnpPolicyBit::CxlAllow),
       SevStatus::PolicyFailure},
      {"CIPHERTEXT_HIDING not enabled",
       kSnpPolicyQemuDefault | snp_policy_flag(SnpPolicyBit::CiphertextHiding),
       SevStatus::PolicyFailure},
      {"PAGE_SWAP_DISABLE before 1.58",
       kSnpPolicyQemuDefault | snp_policy_flag(SnpPolicyBit::PageSwapDisable),
       SevStatus::PolicyFailure},
  };
  for (const Case& c : cases) {
    SnpRig r;
    r.init();
    ASSERT_EQ(r.gctx_create(), SevStatus::Success);
    EXPECT_EQ(r.launch_start(c.policy), c.want) << c.what;
  }
}

TEST(SnpLaunchStart, PrologueInAspfwOrder) {
  SnpRig r;
  r.init();
  EXPECT_EQ(r.launch_start(), SevStatus::InvalidGuest);  // no context yet
  ASSERT_EQ(r.gctx_create(), SevStatus::Success);
  Bytes rsvd = SnpRig::launch_start_buf(kSnpPolicyQemuDefault);
  store_le<uint32_t>(rsvd.data() + 24, 4);
  EXPECT_EQ(r.cmd(SevCmd::SnpLaunchStart, rsvd), SevStatus::InvalidParam);
  EXPECT_EQ(r.launch_start(), SevStatus::Success);
  EXPECT_EQ(r.launch_start(), SevStatus::InvalidGuestState);  // already LAUNCH
}

TEST(SnpActivate, RefusedWhileTheAsidOwnsPages) {
  SnpRig r;
  r.init();
  ASSERT_EQ(r.gctx_create(), SevStatus::Success);
  EXPECT_EQ(r.activate(), SevStatus::InvalidGuestState);  // INIT: not launched
  ASSERT_EQ(r.launch_start(), SevStatus::Success);
  r.make_private(kGuest, 0, kSnpAsid);  // a page still assigned to ASID 3
  EXPECT_EQ(r.activate(), SevStatus::InvalidConfig);
  EXPECT_EQ(r.activate(300), SevStatus::InvalidAsid);  // SEV-only ASID range
  rmp::RmpEntry shared;
  r.rmp_set(kGuest, shared);  // control: released
  EXPECT_EQ(r.activate(), SevStatus::Success);
  EXPECT_FALSE(r.fw().asid_runnable(Asid(kSnpAsid)));  // pending until LAUNCH_FINISH
  EXPECT_EQ(r.activate(), SevStatus::AsidOwned);
}

TEST(SnpActivate, DirtyAsidNeedsDfFlush) {
  SnpRig r;
  ASSERT_EQ(r.cmd(SevCmd::SnpInit), SevStatus::Success);  // no DF_FLUSH
  ASSERT_EQ(r.gctx_create(), SevStatus::Success);
  ASSERT_EQ(r.launch_start(), SevStatus::Success);
  EXPECT_EQ(r.activate(), SevStatus::DfflushRequired);
}

TEST(SnpLaunchUpdate, NormalPageIsEncryptedMeasuredAndValidated) {
  SnpRig r;
  r.launching_guest();
  const Bytes plain = pattern(1);
  r.host_write(kGuest, plain);
  r.make_private(kGuest, 0x1000, kSnpAsid);
  ASSERT_EQ(r.launch_update(kGuest, SnpPageType::Normal), SevStatus::Success);
  EXPECT_EQ(r.state(kGuest), PageState::GuestValid);
  EXPECT_EQ(r.guest_read(kGuest, kPageSize, kSnpAsid), plain);  // the guest's key
  Bytes raw(kPageSize);
  r.m.raw_view().read(SysPhysAddr(kGuest), raw);
  EXPECT_NE(raw, plain);  // ciphertext in DRAM
  EXPECT_EQ(r.launch_update(kGuest, SnpPageType::Normal), SevStatus::InvalidPageState);  // twice
}

TEST(SnpLaunchUpdate, ChecksInAspfwOrder) {
  SnpRig r;
  r.launching_guest();
  EXPECT_EQ(r.launch_update(kGuest, SnpPageType::Normal), SevStatus::InvalidPageState);
  r.make_private(kGuest, 0, kSnpAsid + 1);
  EXPECT_EQ(r.launch_update(kGuest, SnpPageType::Normal, true), SevStatus::InvalidPageSize);
  EXPECT_EQ(r.launch_update(kGuest, SnpPageType::Normal), SevStatus::InvalidPageOwner);
  // The host takes the page back (Pre-Guest is immutable: RMPUPDATE would answer
  // FAIL_PERMISSION) and gives it to the right ASID.
  ASSERT_EQ(r.cmd(SevCmd::SnpPageReclaim, SnpRig::addr_buf(kGuest)), SevStatus::Success);
  r.make_shared(kGuest);
  r.make_private(kGuest, 0, kSnpAsid);
  EXPECT_EQ(r.cmd(SevCmd::SnpLaunchUpdate, SnpRig::update_buf(kGuest, SnpPageType(0))),
            SevStatus::InvalidParam);
  EXPECT_EQ(r.cmd(SevCmd::SnpLaunchUpdate, SnpRig::update_buf(kGuest, SnpPageType(7))),
            SevStatus::InvalidParam);
  EXPECT_EQ(
      r.cmd(SevCmd::SnpLaunchUpdate, SnpRig::update_buf(kGuest, SnpPageType::Normal, false, 0x1)),
      SevStatus::InvalidParam);  // reserved low byte of the permission word
  EXPECT_EQ(r.cmd(SevCmd::SnpLaunchUpdate,
                  SnpRig::update_buf(kGuest, SnpPageType::Normal, false, 0x0300)),
            SevStatus::Success);  // VMPL1 read+write
  EXPECT_EQ(r.rmp().read(SysPhysAddr(kGuest)).vmpl_perms[1], 0x03);
  r.make_private(kGuest + rmp::k2MiB, 0x200000, kSnpAsid, true);
  EXPECT_EQ(r.launch_update(kGuest + rmp::k2MiB, SnpPageType::Vmsa, true),
            SevStatus::InvalidPageSize);
  // Every entry of a 2 MiB page says Page_Size=1 (as RMPUPDATE wrote them): one off the
  // page's start is refused for its alignment.
  EXPECT_EQ(r.launch_update(kGuest + rmp::k2MiB + 0x1000, SnpPageType::Normal, true),
            SevStatus::InvalidAddress);
}

TEST(SnpLaunchUpdate, TwoMegabytePageIs512PageInfos) {
  SnpRig r;
  r.launching_guest();
  const uint64_t pa = kGuest, gpa = 0x200000;
  Bytes big(rmp::k2MiB);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i / 4096 + i);
  r.host_write(pa, big);
  r.make_private(pa, gpa, kSnpAsid, true);
  ASSERT_EQ(r.launch_update(pa, SnpPageType::Normal, true), SevStatus::Success);
  ::cbit::psp::digest::SnpLaunchDigest ld;
  for (uint64_t i = 0; i < rmp::kPagesPer2MiB; ++i)
    ld.update_page(::cbit::psp::digest::PageType::Normal, gpa + i * kPageSize,
                   ByteSpan(big).subspan(i * kPageSize, kPageSize));
  Bytes ib(kIdBlockSize, 0);
  std::copy(ld.digest().begin(), ld.digest().end(), ib.begin());
  store_le(ib.data() + kIdBlockPolicy, kSnpPolicyQemuDefault);
  auto key = ::cbit::psp::p384_key_from_seed(Bytes(48, 1));
  r.host_write(0x50000, ib);
  r.host_write(0x51000, make_id_auth(ib, key.get(), nullptr));
  EXPECT_EQ(r.cmd(SevCmd::SnpLaunchFinish, SnpRig::finish_buf(1, 0x50000 | r.c(), 0x51000 | r.c())),
            SevStatus::Success);
}

TEST(SnpLaunchUpdate, SecretsPageHoldsVmpcksGeneratedByTheFirmware) {
  SnpRig r;
  r.launching_guest();
  r.host_write(kGuest, pattern(9));  // whatever the host put there is replaced
  r.make_private(kGuest, 0x80d000, kSnpAsid);
  ASSERT_EQ(r.launch_update(kGuest, SnpPageType::Secrets), SevStatus::Success);
  const Bytes s = r.guest_read(kGuest, kPageSize, kSnpAsid);
  EXPECT_EQ(load_le<uint32_t>(s.data()), 3u);
  EXPECT_EQ(load_le<uint32_t>(s.data() + 0x160), 200u);
  EXPECT_NE(Bytes(s.begin() + 0x20, s.begin() + 0x40), Bytes(32, 0));  // VMPCK0
  EXPECT_NE(Bytes(s.begin() + 0x20, s.begin() + 0x40), Bytes(s.begin() + 0x40, s.begin() + 0x60));
  EXPECT_EQ(Bytes(s.begin() + 0x180, s.end()), Bytes(kPageSize - 0x180, 0));
}

Bytes cpuid_page(uint32_t leaf, uint32_t ecx_value) {
  Bytes p(kPageSize, 0);
  store_le<uint32_t>(p.data(), 1);
  uint8_t* e = p.data() + ::cbit::psp::snp::kCpuidHeaderSize;
  store_le(e, leaf);
  store_le<uint32_t>(e + 0x18 + 8, ecx_value);  // ECX
  return p;
}

TEST(SnpLaunchUpdate, WrongCpuidPageIsCorrectedWrittenBackAndRefused) {
  SnpRig r;
  r.launching_guest();
  const uint32_t hw_ecx = cpuid(r.m.cpu_model(), 0x80000001).ecx;
  const uint32_t missing = ~hw_ecx & 0x80000000u ? 0x80000000u : 0;
  ASSERT_NE(missing, 0u);
  r.host_write(kGuest, cpuid_page(0x80000001, hw_ecx | missing));
  r.make_private(kGuest, 0x80e000, kSnpAsid);
  EXPECT_EQ(r.launch_update(kGuest, SnpPageType::Cpuid), SevStatus::InvalidParam);
  const Bytes back = r.host_read(kGuest, kPageSize);  // unencrypted for the host to read
  EXPECT_EQ(load_le<uint32_t>(back.data() + ::cbit::psp::snp::kCpuidHeaderSize + 0x20), hw_ecx);
  EXPECT_EQ(r.state(kGuest), PageState::PreGuest);                             // nothing changed
  ASSERT_EQ(r.launch_update(kGuest, SnpPageType::Cpuid), SevStatus::Success);  // corrected
  EXPECT_EQ(r.state(kGuest), PageState::GuestValid);
}

TEST(SnpLaunchUpdate, VmsaPageGetsTheVmsaBit) {
  SnpRig r;
  r.launching_guest();
  r.host_write(kGuest, pattern(3));
  r.make_private(kGuest, ::cbit::psp::digest::kVmsaGpa, kSnpAsid);
  ASSERT_EQ(r.launch_update(kGuest, SnpPageType::Vmsa), SevStatus::Success);
  EXPECT_TRUE(r.rmp().read(SysPhysAddr(kGuest)).vmsa);
}

struct IdRig : SnpRig {
  ::cbit::psp::PkeyPtr id_key = ::cbit::psp::p384_key_from_seed(Bytes(48, 2));
  ::cbit::psp::PkeyPtr author = ::cbit::psp::p384_key_from_seed(Bytes(48, 3));
  crypto::Sha384Digest ld{};
  IdRig() {
    launching_guest();
    host_write(kGuest, pattern(5));
    make_private(kGuest, 0, kSnpAsid);
    EXPECT_EQ(launch_update(kGuest, SnpPageType::Normal), SevStatus::Success);
    ::cbit::psp::digest::SnpLaunchDigest d;
    d.update_page(::cbit::psp::digest::PageType::Normal, 0, pattern(5));
    ld = d.digest();
  }
  Bytes id_block(uint64_t policy = kSnpPolicyQemuDefault) {
    Bytes ib(kIdBlockSize, 0);
    std::copy(ld.begin(), ld.end(), ib.begin());
    store_le<uint32_t>(ib.data() + 0x50, 1);
    store_le(ib.data() + kIdBlockPolicy, policy);
    return ib;
  }
  SevStatus finish(const Bytes& ib, const Bytes& auth, bool author_en) {
    host_write(0x50000, ib);
    host_write(0x51000, auth);
    return cmd(SevCmd::SnpLaunchFinish,
               finish_buf(1 | (author_en ? 2 : 0), 0x50000 | c(), 0x51000 | c()));
  }
};

TEST(SnpLaunchFinish, IdBlockWithTheLaunchDigestIsAccepted) {
  IdRig r;
  const Bytes ib = r.id_block();
  EXPECT_EQ(r.finish(ib, make_id_auth(ib, r.id_key.get(), r.author.get()), true),
            SevStatus::Success);
  EXPECT_TRUE(r.fw().asid_runnable(Asid(kSnpAsid)));
  EXPECT_EQ(r.guest_status()[0x0C], uint8_t(SnpGuestState::Running));
}

TEST(SnpLaunchFinish, WrongDigestIsBadMeasurement) {
  IdRig r;
  Bytes ib = r.id_block();
  ib[0] ^= 1;
  EXPECT_EQ(r.finish(ib, make_id_auth(ib, r.id_key.get(), nullptr), false),
            SevStatus::BadMeasurement);
  EXPECT_FALSE(r.fw().asid_runnable(Asid(kSnpAsid)));
}

TEST(SnpLaunchFinish, PolicyMismatchAndSignatures) {
  IdRig r;
  const Bytes other = r.id_block(kSnpPolicyQemuDefault | snp_policy_flag(SnpPolicyBit::Debug));
  EXPECT_EQ(r.finish(other, make_id_auth(other, r.id_key.get(), nullptr), false),
            SevStatus::PolicyFailure);
  const Bytes ib = r.id_block();
  Bytes auth = make_id_auth(ib, r.id_key.get(), r.author.get());
  Bytes bad_sig = auth;
  bad_sig[kIdAuthIdBlockSig + 3] ^= 1;
  EXPECT_EQ(r.finish(ib, bad_sig, false), SevStatus::BadSignature);
  Bytes bad_author = auth;
  bad_author[kIdAuthIdKeySig + 3] ^= 1;
  EXPECT_EQ(r.finish(ib, bad_author, true), SevStatus::BadSignature);
  Bytes bad_curve = auth;
  store_le<uint32_t>(bad_curve.data() + kIdAuthIdKey, 1);
  EXPECT_EQ(r.finish(ib, bad_curve, false), SevStatus::BadSignature);
  Bytes bad_algo = auth;
  store_le<uint32_t>(bad_algo.data(), 2);
  EXPECT_EQ(r.finish(ib, bad_algo, false), SevStatus::InvalidParam);
  EXPECT_EQ(r.finish(ib, bad_author, false), SevStatus::Success);  // author key not asked for
}

TEST(SnpLaunchFinish, WithoutAsidIsInactive) {
  SnpRig r;
  r.init();
  ASSERT_EQ(r.gctx_create(), SevStatus::Success);
  EXPECT_EQ(r.cmd(SevCmd::SnpLaunchFinish, SnpRig::finish_buf()), SevStatus::InvalidGuestState);
  ASSERT_EQ(r.launch_start(), SevStatus::Success);
  EXPECT_EQ(r.cmd(SevCmd::SnpLaunchFinish, SnpRig::finish_buf(8)), SevStatus::InvalidParam);
  EXPECT_EQ(r.cmd(SevCmd::SnpLaunchFinish, SnpRig::finish_buf()), SevStatus::Inactive);
}

TEST(SnpDecommission, ContextBackToFirmwareAndAsidDirty) {
  SnpRig r;
  r.launching_guest();
  ASSERT_EQ(r.cmd(SevCmd::SnpLaunchFinish, SnpRig::finish_buf()), SevStatus::Success);
  EXPECT_EQ(r.fw().asid_state(Asid(kSnpAsid)), AsidState::InUse);
  ASSERT_EQ(r.cmd(SevCmd::SnpDecommission, SnpRig::addr_buf(kGctx)), SevStatus::Success);
  EXPECT_EQ(r.state(kGctx), PageState::Firmware);
  EXPECT_EQ(r.fw().asid_state(Asid(kSnpAsid)), AsidState::Dirty);
  EXPECT_FALSE(r.fw().asid_runnable(Asid(kSnpAsid)));
  EXPECT_EQ(r.cmd(SevCmd::SnpDecommission, SnpRig::addr_buf(kGctx)), SevStatus::InvalidGuest);
}

TEST(SnpDbg, NeedsDebugPolicyAndAFirmwareDestination) {
  for (bool debug : {false, true}) {
    SnpRig r;
    r.launching_guest(kSnpPolicyQemuDefault | (debug ? snp_policy_flag(SnpPolicyBit::Debug) : 0));
    r.host_write(kGuest, pattern(7));
    r.make_private(kGuest, 0, kSnpAsid);
    ASSERT_EQ(r.launch_update(kGuest, SnpPageType::Normal), SevStatus::Success);
    Bytes b(kSnpDbgLen, 0);
    store_le(b.data(), kGctx);
    store_le(b.data() + 8, kGuest);
    store_le(b.data() + 16, kFwPage);
    if (!debug) {
      r.make_firmware(kFwPage);
      EXPECT_EQ(r.cmd(SevCmd::SnpDbgDecrypt, b), SevStatus::PolicyFailure);
      continue;
    }
    EXPECT_EQ(r.cmd(SevCmd::SnpDbgDecrypt, b), SevStatus::InvalidPageState);  // Hypervisor dst
    r.make_firmware(kFwPage);
    ASSERT_EQ(r.cmd(SevCmd::SnpDbgDecrypt, b), SevStatus::Success);
    Bytes got(kPageSize);
    r.m.raw_view().read(SysPhysAddr(kFwPage), got);
    EXPECT_EQ(got, pattern(7));
    r.make_private(kGuest + kPageSize, 0x1000, kSnpAsid + 1);
    store_le(b.data() + 8, kGuest + kPageSize);
    EXPECT_EQ(r.cmd(SevCmd::SnpDbgDecrypt, b), SevStatus::InvalidPageOwner);
  }
}

TEST(SnpGuestRequest, OnlyRunning) {
  SnpRig r;
  r.launching_guest();
  Bytes b(kSnpGuestRequestLen, 0);
  store_le(b.data(), kGctx);
  store_le(b.data() + 8, uint64_t(0x60000));
  store_le(b.data() + 16, kFwPage);
  // ASPFW checks the response page's state before the guest's (snp_guest_request_test.cc has
  // the messages themselves).
  EXPECT_EQ(r.cmd(SevCmd::SnpGuestRequest, b), SevStatus::InvalidPageState);
  r.make_firmware(kFwPage);
  EXPECT_EQ(r.cmd(SevCmd::SnpGuestRequest, b), SevStatus::InvalidGuestState);
  ASSERT_EQ(r.cmd(SevCmd::SnpLaunchFinish, SnpRig::finish_buf()), SevStatus::Success);
  // Running: a zero request page is not a message (HDR_VERSION 0).
  EXPECT_EQ(r.cmd(SevCmd::SnpGuestRequest, b), SevStatus::InvalidParam);
}

TEST(SnpGuestStatus, ReportsPolicyAsidState) {
  SnpRig r;
  r.launching_guest(kSnpPolicyQemuDefault | 1);
  const Bytes s = r.guest_status();
  EXPECT_EQ(load_le<uint64_t>(s.data()), kSnpPolicyQemuDefault | 1);
  EXPECT_EQ(load_le<uint32_t>(s.data() + 8), kSnpAsid);
  EXPECT_EQ(s[0x0C], uint8_t(SnpGuestState::Launch));
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
