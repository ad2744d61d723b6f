// Fuzz target: the SEV firmware mailbox under a hostile hypervisor. Each input is a short
// sequence of commands run against one of three freshly made platforms:
//   input = { u8 head: count = head % 9, platform = (head / 9) % 3 }
//           then count x { u8 selector; u8 flags; u8 len; len bytes of command buffer }
//           then the rest: up to three pages of host memory at 0x20000 (certificates, sessions,
//           packets, data the buffers may point at).
// Platform 0 (a head below 9, as every input before SNP): SEV initialised (SEV-ES enabled,
// DF_FLUSH done) with one guest (handle 1, ASID 5, one page launched, still in LUPDATE).
// Platforms 1 and 2 are SNP hosts (sev_mailbox_snp.h): 1 with the RMP set up by the host kernel
// but no SNP_INIT yet, 2 with SNP initialised by the ccp driver and two SNP guests (one in
// LAUNCH with Pre-Guest pages waiting, one RUNNING with DEBUG), so hostile SNP buffers reach the
// checks past the platform state.
// The selector picks the command id from the firmware's own tables, every id it knows plus a
// few unknown ones (sev_mailbox_ids.h; a byte that is an id selects itself). Flags: bit 0 the
// buffer address goes without the C-bit; bit 1 a WBINVD on every core before the command; bits
// 3:2 where the buffer is (0 the command page, 1 eight bytes into it (misaligned), 2 inside the
// SEV-ES TMR (SNP: inside a guest context page), 3 straddling the end of DRAM; the buffer bytes
// are written only for 0 and 1).
// Every command must return one of the spec's status codes; the firmware must never crash or
// assert. CBIT_MAILBOX_TRACE=1 prints each command and its status (for writing corpus files).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "hw/cache/cache.h"
#include "hw/dram/dram.h"
#include "hw/memctrl/memory_controller.h"
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "sev_mailbox_ids.h"
#include "sev_mailbox_snp.h"

using namespace cbit;
using namespace cbit::hw;
using namespace cbit::hw::psp::sev;

namespace {

constexpr uint64_t kC = 1ull << 47;
constexpr uint64_t kCmdBuf = 0x10000, kScratch = 0x20000, kGuest = 0x100000, kTmr = 0x400000;
constexpr uint64_t kDramSize = 8 << 20;

struct Platform {
  Dram dram{kDramSize};
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
    store_le(init.data() + 8, kTmr);
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
  static const bool trace = std::getenv("CBIT_MAILBOX_TRACE") != nullptr;
  size_t off = 0;
  const uint8_t head = size ? data[off++] : 0;
  const unsigned count = head % 9;
  const unsigned platform = (head / 9) % 3;
  struct Cmd {
    uint32_t id;
    uint8_t flags;
    Bytes buf;
  };
  Cmd cmds[8];
  unsigned n = 0;
  for (unsigned i = 0; i < count && off + 3 <= size; ++i) {
    const uint32_t id = cbit::fuzz::mailbox_id(data[off]);
    const uint8_t flags = data[off + 1];
    const size_t len = std::min<size_t>(data[off + 2], size - off - 3);
    off += 3;
    cmds[n++] = {id, flags, Bytes(data + off, data + off + len)};
    off += len;
  }
  const size_t mem = std::min<size_t>(size - off, 3 * 4096);
  const auto report = [&](uint32_t id, SevStatus st) {
    if (trace) std::printf("0x%x -> %s\n", id, std::string(name(st)).c_str());
    if (name(st) == "UNKNOWN") __builtin_trap();  // every answer is one of the spec's codes
  };
  if (platform != 0) {
    using cbit::fuzz::SnpMailboxPlatform;
    SnpMailboxPlatform p(platform == 1 ? SnpMailboxPlatform::Stage::RmpReady
                                       : SnpMailboxPlatform::Stage::Launched);
    if (platform == 2 && !p.ready()) __builtin_trap();  // the set-up itself must work
    if (mem) p.host_write(SnpMailboxPlatform::kScratch, ByteSpan(data + off, mem));
    for (unsigned i = 0; i < n; ++i)
      report(cmds[i].id, p.send(cmds[i].id, cmds[i].flags, cmds[i].buf));
    return 0;
  }
  Platform p;
  p.setup();
  if (mem)
    p.cache.write(SysPhysAddr(kScratch), ByteSpan(data + off, mem), MemAttr::host_encrypted());
  for (unsigned i = 0; i < n; ++i) {
    const Cmd& cmd = cmds[i];
    if (cmd.flags & 2) p.wb.set(0);
    const bool c = !(cmd.flags & 1);
    static constexpr uint64_t kWhere[] = {kCmdBuf, kCmdBuf + 8, kTmr + 0x1000, kDramSize - 16};
    const uint64_t where = kWhere[(cmd.flags >> 2) & 3];
    if (where < kCmdBuf + 4096) {
      Bytes buf = cmd.buf;
      buf.resize(std::max<size_t>(buf.size(), 64), 0);
      p.cache.write(SysPhysAddr(where), buf, c ? MemAttr::host_encrypted() : MemAttr::plain());
    }
    report(cmd.id, p.fw.execute(cmd.id, where | (c ? kC : 0)));
  }
  return 0;
}
