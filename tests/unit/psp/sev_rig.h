// A machine with the SEV firmware, for the tests: DRAM, the memory controller, the Secure
// Processor, a write-back cache, two cores' WBINVD_DONE flags. The host writes command buffers
// through the cache (C-bit set, as Linux's __psp_pa() gives), then rings the mailbox.
#pragma once
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "hw/cache/cache.h"
#include "hw/dram/dram.h"
#include "hw/memctrl/memory_controller.h"
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "sw/owner/sev_owner.h"

namespace cbit::hw::psp::sev::test {

inline constexpr unsigned kCbit = 47;
inline constexpr uint64_t kC = 1ull << kCbit;
inline constexpr uint64_t kCmdBuf = 0x10000;     // command buffers
inline constexpr uint64_t kScratch = 0x20000;    // certs, sessions, measurements, packets
inline constexpr uint64_t kGuestMem = 0x100000;  // guest pages (1 MiB)
inline constexpr uint64_t kTmr = 0x400000;       // SEV-ES TMR (1 MiB, aligned)
inline constexpr uint32_t kMinSevAsid = 5;       // ES guests 1..4, SEV guests 5..15

struct Rig {
  explicit Rig(uint64_t seed = 7)
      : dram(16 << 20),
        mc(dram, nullptr, CipherMode::Xex, 16, false),
        sp(mc, seed),
        cache(mc, {1024, 8, false}),
        wb(2),
        core0(cache, wb, 0),
        core1(cache, wb, 1),
        fw(sp, cfg(), wb, &cache) {}
  static SevPlatformConfig cfg() {
    SevPlatformConfig c;
    c.num_asids = 15;
    c.min_sev_asid = kMinSevAsid;
    c.cbit_position = kCbit;
    return c;
  }
  Dram dram;
  MemoryController mc;
  SecureProcessor sp;
  Cache cache;
  WbinvdDone wb;
  WbinvdTrackingCacheControl core0, core1;
  SevFirmware fw;

  void wbinvd_all() {
    core0.wbinvd();
    core1.wbinvd();
  }
  // Host memory through the cache, with or without the C-bit (SME).
  void host_write(uint64_t pa, ByteSpan b, bool c = true) {
    cache.write(SysPhysAddr(pa), b, c ? MemAttr::host_encrypted() : MemAttr::plain());
  }
  Bytes host_read(uint64_t pa, size_t n, bool c = true) {
    Bytes b(n);
    cache.read(SysPhysAddr(pa), b, c ? MemAttr::host_encrypted() : MemAttr::plain());
    return b;
  }
  Bytes guest_read(uint64_t pa, size_t n, uint32_t asid) {
    Bytes b(n);
    cache.read(SysPhysAddr(pa), b, MemAttr{true, Asid(asid)});
    return b;
  }
  // Writes `buf` at kCmdBuf, rings the mailbox, reads the buffer back into `buf`.
  SevStatus cmd(SevCmd c, Bytes& buf) {
    if (!buf.empty()) host_write(kCmdBuf, buf);
    const SevStatus st = fw.execute(c, SysPhysAddr(kCmdBuf), true);
    if (!buf.empty()) buf = host_read(kCmdBuf, buf.size());
    return st;
  }
  SevStatus cmd(SevCmd c) {
    Bytes none;
    return cmd(c, none);
  }

  // INIT (+ ES TMR) then WBINVD on all cores and DF_FLUSH, as Linux's sev_platform_init does.
  void init(bool es = true) {
    Bytes b = init_buf(es ? kInitFlagSevEs : 0, es ? kTmr : 0, es ? kTmrSize : 0);
    ASSERT_EQ(cmd(SevCmd::Init, b), SevStatus::Success);
    wbinvd_all();
    ASSERT_EQ(cmd(SevCmd::DfFlush), SevStatus::Success);
  }

  static Bytes init_buf(uint32_t flags, uint64_t tmr, uint32_t tmr_len) {
    Bytes b(20, 0);
    store_le(b.data(), flags);
    store_le(b.data() + 8, tmr);
    store_le(b.data() + 16, tmr_len);
    return b;
  }
  static Bytes handle_buf(uint32_t h) {
    Bytes b(4);
    store_le(b.data(), h);
    return b;
  }
  static Bytes activate_buf(uint32_t h, uint32_t asid) {
    Bytes b(8);
    store_le(b.data(), h);
    store_le(b.data() + 4, asid);
    return b;
  }
  static Bytes update_buf(uint32_t h, uint64_t addr, uint32_t len) {
    Bytes b(20, 0);
    store_le(b.data(), h);
    store_le(b.data() + 8, addr);
    store_le(b.data() + 16, len);
    return b;
  }
  static Bytes dbg_buf(uint32_t h, uint64_t src, uint64_t dst, uint32_t len) {
    Bytes b(28, 0);
    store_le(b.data(), h);
    store_le(b.data() + 8, src);
    store_le(b.data() + 16, dst);
    store_le(b.data() + 24, len);
    return b;
  }
  static Bytes secret_buf(uint32_t h, uint64_t hdr, uint64_t guest, uint32_t glen, uint64_t trans,
                          uint32_t tlen) {
    Bytes b(52, 0);
    store_le(b.data(), h);
    store_le(b.data() + 8, hdr);
    store_le(b.data() + 16, static_cast<uint32_t>(kPacketHeaderLen));
    store_le(b.data() + 24, guest);
    store_le(b.data() + 32, glen);
    store_le(b.data() + 40, trans);
    store_le(b.data() + 48, tlen);
    return b;
  }

  // LAUNCH_START without a session (TEK/TIK zero). Returns the handle, 0 on failure.
  uint32_t launch_start(uint32_t policy, uint32_t share = 0, SevStatus* st_out = nullptr) {
    Bytes b(36, 0);
    store_le(b.data(), share);
    store_le(b.data() + 4, policy);
    const SevStatus st = cmd(SevCmd::LaunchStart, b);
    if (st_out) *st_out = st;
    return st == SevStatus::Success ? load_le<uint32_t>(b.data()) : 0;
  }
  // LAUNCH_START with the owner's DH certificate and session blob.
  uint32_t launch_start(sw::owner::SevGuestOwner& owner, SevStatus* st_out = nullptr) {
    const auto blobs = owner.start_session(*fw.pdh_public());
    host_write(kScratch, blobs.dh_cert);
    host_write(kScratch + 0x1000, blobs.session);
    Bytes b(36, 0);
    store_le(b.data() + 4, owner.policy());
    store_le(b.data() + 8, kScratch | kC);
    store_le(b.data() + 16, static_cast<uint32_t>(kCertLen));
    store_le(b.data() + 24, (kScratch + 0x1000) | kC);
    store_le(b.data() + 32, static_cast<uint32_t>(kSessionLen));
    const SevStatus st = cmd(SevCmd::LaunchStart, b);
    if (st_out) *st_out = st;
    return st == SevStatus::Success ? load_le<uint32_t>(b.data()) : 0;
  }
  SevStatus activate(uint32_t h, uint32_t asid) {
    Bytes b = activate_buf(h, asid);
    return cmd(SevCmd::Activate, b);
  }
  SevStatus handle_cmd(SevCmd c, uint32_t h) {
    Bytes b = handle_buf(h);
    return cmd(c, b);
  }
  SevStatus update_data(uint32_t h, uint64_t addr, uint32_t len) {
    Bytes b = update_buf(h, addr, len);
    return cmd(SevCmd::LaunchUpdateData, b);
  }
  // LAUNCH_MEASURE into kScratch + 0x2000; returns the 48 bytes.
  SevStatus measure(uint32_t h, Bytes* out) {
    Bytes b = update_buf(h, (kScratch + 0x2000) | kC, 48);
    const SevStatus st = cmd(SevCmd::LaunchMeasure, b);
    if (out) *out = host_read(kScratch + 0x2000, 48);
    return st;
  }
  // A guest in GuestState s (Lupdate, Lsecret or Running), activated on `asid`.
  uint32_t guest_in(GuestState s, uint32_t asid = kMinSevAsid, uint32_t policy = 0) {
    const uint32_t h = launch_start(policy);
    EXPECT_NE(h, 0u);
    EXPECT_EQ(activate(h, asid), SevStatus::Success);
    if (s == GuestState::Lupdate) return h;
    EXPECT_EQ(measure(h, nullptr), SevStatus::Success);
    if (s == GuestState::Lsecret) return h;
    EXPECT_EQ(handle_cmd(SevCmd::LaunchFinish, h), SevStatus::Success);
    return h;
  }
  GuestState guest_state(uint32_t h) {
    Bytes b(13, 0);
    store_le(b.data(), h);
    EXPECT_EQ(cmd(SevCmd::GuestStatus, b), SevStatus::Success);
    return static_cast<GuestState>(b[12]);
  }
};

inline Bytes pattern_page(uint8_t seed) {
  Bytes p(kPageSize);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(seed + i * 7);
  return p;
}

}  // namespace cbit::hw::psp::sev::test
