// The SNP platforms of the mailbox fuzzer (fuzz_sev_mailbox.cc) and of its reach test
// (tests/unit/psp/sev_mailbox_fuzz_reach_test.cc): a Machine with the BIOS's "SEV-SNP Support"
// (the RMP reserved at the top of DRAM), the host kernel booted (snp_rmptable_init: the table
// zeroed, SYSCFG MFDM, SNP_EN, VMPL_EN on every core), the ccp driver probed; then, by stage:
//   RmpReady  nothing more: SNP_INIT / SNP_INIT_EX are the commands that can go deep here.
//   Launched  the driver's SNP_INIT_EX + WBINVD + SNP_DF_FLUSH (__sev_snp_init_locked), and two
//             guests made by the host's real RMPUPDATE (rmp_mark_pages_firmware,
//             rmp_make_private) and the mailbox:
//     guest A: GCTX kGctxA, ASID 1, LAUNCH: kPageA launched (NORMAL), kPreA and kPreA + 4 KiB
//              Pre-Guest 4 KiB pages and kBigA a Pre-Guest 2 MiB page, all waiting for
//              LAUNCH_UPDATE;
//     guest B: GCTX kGctxB, ASID 2, policy DEBUG, RUNNING (LAUNCH_FINISH done) with kPageB.
//   Firmware pages (kFwPages, four of them) serve as status, DBG and response pages.
// The fuzzer's buffers and pointers are hostile; these fixed addresses (below the kernel's
// image at 16 MiB, which the kernel never allocates) give the mutations something real to
// point at, so SNP commands reach their checks past the platform state.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>

#include "hw/machine.h"
#include "hw/psp/sev/sev_firmware.h"
#include "hw/psp/sev/snp_api.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"

namespace cbit::fuzz {

class SnpMailboxPlatform {
 public:
  enum class Stage { RmpReady, Launched };
  static constexpr uint64_t kDram = 64ull << 20;
  static constexpr uint64_t kCmdBuf = 0x10000, kScratch = 0x20000;  // as the SEV platform's
  static constexpr uint64_t kGctxA = 0x40000, kGctxB = 0x41000;
  static constexpr uint64_t kFwPages = 0x50000;  // 4 pages
  static constexpr uint64_t kPageA = 0x100000, kPreA = 0x101000, kBigA = 0x200000;
  static constexpr uint64_t kPageB = 0x400000;
  static constexpr uint32_t kAsidA = 1, kAsidB = 2;

  explicit SnpMailboxPlatform(Stage stage)
      : m_(config()), k_(m_, sw::host::KernelConfig{}), dev_((k_.boot(), k_), m_) {
    if (stage == Stage::Launched) launch();
  }

  hw::Machine& machine() { return m_; }
  sw::host::HostKernel& kernel() { return k_; }
  hw::psp::sev::SevFirmware& fw() { return m_.sev_firmware(); }
  uint64_t c() const { return m_.cbit_mask(); }
  bool ready() const { return ready_; }

  void host_write(uint64_t pa, ByteSpan b, bool c_bit = true) {
    m_.cache().write(SysPhysAddr(pa), b,
                     c_bit ? hw::MemAttr::host_encrypted() : hw::MemAttr::plain());
  }
  void wbinvd_all() {
    for (unsigned i = 0; i < m_.cores(); ++i) m_.core_cache_control(i).wbinvd();
  }
  hw::psp::sev::SevStatus cmd(hw::psp::sev::SevCmd id, const Bytes& buf) {
    if (!buf.empty()) host_write(kCmdBuf, buf);
    return fw().execute(static_cast<uint32_t>(id), kCmdBuf | c());
  }

  // One fuzzed command, with the SEV platform's flag bits (fuzz_sev_mailbox.cc): bit 0 the buffer
  // without the C-bit, bit 1 WBINVD on every core first, bits 3:2 where the buffer is (the
  // command page, 8 bytes into it, inside guest A's context page, straddling the end of DRAM;
  // the bytes are written only for the first two).
  hw::psp::sev::SevStatus send(uint32_t id, uint8_t flags, ByteSpan bytes) {
    if (flags & 2) wbinvd_all();
    const bool cb = !(flags & 1);
    static constexpr uint64_t kWhere[] = {kCmdBuf, kCmdBuf + 8, kGctxA, kDram - 16};
    const uint64_t where = kWhere[(flags >> 2) & 3];
    if (where < kCmdBuf + kPageSize) {
      Bytes buf(bytes.begin(), bytes.end());
      buf.resize(std::max<size_t>(buf.size(), 64), 0);
      host_write(where, buf, cb);
    }
    return fw().execute(id, where | (cb ? c() : 0));
  }

 private:
  static hw::MachineConfig config() {
    hw::MachineConfig cfg;
    cfg.cpu = hw::cpu_model_by_name("milan");
    cfg.dram_bytes = kDram;
    cfg.firmware.snp = true;
    cfg.seed = 5;
    return cfg;
  }
  static Bytes addr(uint64_t a) {
    Bytes b(8);
    store_le(b.data(), a);
    return b;
  }

  bool guest(uint64_t gctx, uint64_t policy, uint32_t asid) {
    using namespace hw::psp::sev;
    if (k_.snp().rmp_mark_pages_firmware(SysPhysAddr(gctx), 1)) return false;
    if (cmd(SevCmd::SnpGctxCreate, addr(gctx | c())) != SevStatus::Success) return false;
    Bytes ls(kSnpLaunchStartLen, 0);
    store_le(ls.data(), gctx | c());
    store_le(ls.data() + 8, policy);
    if (cmd(SevCmd::SnpLaunchStart, ls) != SevStatus::Success) return false;
    Bytes act(kSnpActivateLen, 0);
    store_le(act.data(), gctx | c());
    store_le(act.data() + 8, asid);
    return cmd(SevCmd::SnpActivate, act) == SevStatus::Success;
  }
  bool update(uint64_t gctx, uint64_t pa, uint64_t gpa, uint32_t asid) {
    using namespace hw::psp::sev;
    if (k_.snp().rmp_make_private(Pfn(pa >> kPageShift), gpa, sw::host::PG_LEVEL_4K, asid, true))
      return false;
    Bytes u(kSnpLaunchUpdateLen, 0);
    store_le(u.data(), gctx | c());
    store_le<uint32_t>(u.data() + 8, uint32_t(SnpPageType::Normal) << 1);
    store_le(u.data() + 16, pa | c());
    return cmd(SevCmd::SnpLaunchUpdate, u) == SevStatus::Success;
  }

  void launch() {
    using namespace hw::psp::sev;
    using sw::host::PG_LEVEL_2M;
    using sw::host::PG_LEVEL_4K;
    int err = 0;
    if (dev_.snp_platform_init(&err)) return;
    auto& snp = k_.snp();
    if (snp.rmp_mark_pages_firmware(SysPhysAddr(kFwPages), 4)) return;
    const Bytes data(kPageSize, 0x5A);
    host_write(kPageA, data);
    host_write(kPageB, data);
    if (!guest(kGctxA, kSnpPolicyQemuDefault, kAsidA)) return;
    if (!guest(kGctxB, kSnpPolicyQemuDefault | snp_policy_flag(SnpPolicyBit::Debug), kAsidB))
      return;
    if (!update(kGctxA, kPageA, 0, kAsidA) || !update(kGctxB, kPageB, 0, kAsidB)) return;
    for (uint64_t i = 0; i < 2; ++i)
      if (snp.rmp_make_private(Pfn((kPreA >> kPageShift) + i), (i + 1) * kPageSize, PG_LEVEL_4K,
                               kAsidA, true))
        return;
    if (snp.rmp_make_private(Pfn(kBigA >> kPageShift), 0x200000, PG_LEVEL_2M, kAsidA, true)) return;
    Bytes fin(kSnpLaunchFinishLen, 0);
    store_le(fin.data(), kGctxB | c());
    if (cmd(SevCmd::SnpLaunchFinish, fin) != SevStatus::Success) return;
    ready_ = true;
  }

  hw::Machine m_;
  sw::host::HostKernel k_;
  sw::host::SevDev dev_;
  bool ready_ = false;
};

}  // namespace cbit::fuzz
