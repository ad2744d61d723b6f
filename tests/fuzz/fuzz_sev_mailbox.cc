// Fuzz target: the SEV firmware mailbox under a hostile hypervisor. Each input is a short
// sequence of commands run against a freshly initialised platform (SEV-ES enabled, DF_FLUSH
// done) that already has one guest (handle 1, ASID 5, one page launched, still in LUPDATE):
//   input = { u8 count } then count x { u8 cmd_id; u8 buf_len; buf_len bytes of command buffer }
//           then the rest: up to three pages of host memory at 0x20000 (certificates, sessions,
//           packets, data the buffers may point at).
// Every command must return a status code; the firmware must never crash or assert.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hw/cache/cache.h"
#include "hw/dram/dram.h"
#include "hw/memctrl/memory_controller.h"
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"

using namespace cbit;
using namespace cbit::hw;
using namespace cbit::hw::psp::sev;

namespace {

constexpr uint64_t kC = 1ull << 47;
constexpr uint64_t kCmdBuf = 0x10000, kScratch = 0x20000, kGuest = 0x100000;

struct Platform {
  Dram dram{8 << 20};
  MemoryController mc{dram, nullptr, CipherMode::Xex, 16, false};
  hw::psp::SecureProcessor sp{mc, 1};
  Cache cache{mc, {256, 4, false}};
  WbinvdDone wb{1};
  SevFirmware fw{sp, config(), wb, &cache};

  static SevPlatformConfig config() {
    SevPlatformConfig c;
    c.min_sev_asid = 5;
    c.max_guests = 8;
    return c;
  }
  SevStatus run(SevCmd id, const Bytes& buf) {
    if (!buf.empty()) cache.write(SysPhysAddr(kCmdBuf), buf, MemAttr::host_encrypted());
    return fw.execute(id, SysPhysAddr(kCmdBuf), true);
  }
  void setup() {
    Bytes init(20, 0);
    store_le(init.data(), kInitFlagSevEs);
    store_le(init.data() + 8, uint64_t{0x400000});
    store_le(init.data() + 16, static_cast<uint32_t>(kTmrSize));
    run(SevCmd::Init, init);
    wb.set(0);
    run(SevCmd::DfFlush, {});
    Bytes ls(36, 0);
    run(SevCmd::LaunchStart, ls);
    Bytes act(8, 0);
    store_le(act.data(), 1u);
    store_le(act.data() + 4, 5u);
    run(SevCmd::Activate, act);
    Bytes upd(20, 0);
    store_le(upd.data(), 1u);
    store_le(upd.data() + 8, kGuest | kC);
    store_le(upd.data() + 16, 4096u);
    run(SevCmd::LaunchUpdateData, upd);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Platform p;
  p.setup();
  size_t off = 0;
  const unsigned count = size ? (data[off++] % 5) : 0;
  struct Cmd {
    uint32_t id;
    Bytes buf;
  };
  Cmd cmds[4];
  unsigned n = 0;
  for (unsigned i = 0; i < count && n < 4 && off + 2 <= size; ++i) {
    const uint8_t id = data[off++];
    const size_t want = data[off++];
    const size_t len = std::min<size_t>(want, size - off);
    cmds[n++] = {id, Bytes(data + off, data + off + len)};
    off += len;
  }
  const size_t mem = std::min<size_t>(size - off, 3 * 4096);
  if (mem)
    p.cache.write(SysPhysAddr(kScratch), ByteSpan(data + off, mem), MemAttr::host_encrypted());
  for (unsigned i = 0; i < n; ++i) {
    // The hypervisor picks the buffer's C-bit too: odd ids go without it.
    Bytes buf = cmds[i].buf;
    buf.resize(64, 0);
    const bool c = !(cmds[i].id & 0x80);
    p.cache.write(SysPhysAddr(kCmdBuf), buf, c ? MemAttr::host_encrypted() : MemAttr::plain());
    const SevStatus st = p.fw.execute(cmds[i].id & 0x7f, kCmdBuf | (c ? kC : 0));
    if (name(st) == "UNKNOWN") __builtin_trap();  // every answer is one of the spec's codes
    if (i == 1) p.wb.set(0);                      // a WBINVD between commands sometimes
  }
  return 0;
}
