// A Machine with SNP enabled as Linux's snp_rmptable_init leaves it (RMP_BASE/RMP_END and
// SYSCFG MFDM, SNP_EN, VMPL_EN on every core), and the host's side of the SNP firmware ABI:
// command buffers in hypervisor memory (C-bit set, as __psp_pa gives), and RMP entries set as
// rmp_make_private / snp_alloc_firmware_page leave them, through the real RMPUPDATE on core 0
// (Cpu::rmpupdate in 64-bit mode at CPL 0, its struct rmp_state in host memory), so the per-ASID
// counters and the 2 MiB regions' subpage counts are the hardware's.
//
// rmp_set() is not the host: it writes an entry as the hardware would store it (through
// rmp::commit_entry, keeping the bookkeeping) for the states no RMPUPDATE makes (Validated,
// VMSA, Pre-Swap, Metadata, a 2 MiB entry off its alignment, GPAs out of sequence), which
// the firmware's checks must refuse all the same.
#pragma once
#include <gtest/gtest.h>

#include "hw/cpu/msr.h"
#include "hw/cpu/paging.h"
#include "hw/machine.h"
#include "hw/psp/sev/snp_api.h"
#include "hw/rmp/rmp.h"
#include "hw/rmp/rmp_insn.h"
#include "psp/snp/id_block.h"

namespace cbit::hw::psp::sev::test {

inline constexpr uint64_t kSnpDram = 64ull << 20;
inline constexpr uint64_t kRmpBase = kSnpDram - (1ull << 20);  // the last MiB
inline constexpr uint64_t kRmpEnd = kSnpDram - 1;
inline constexpr uint64_t kCmd = 0x10000;       // command buffers
inline constexpr uint64_t kStatus = 0x11000;    // status pages
inline constexpr uint64_t kGctx = 0x20000;      // guest context page
inline constexpr uint64_t kGuest = 0x400000;    // guest pages (4 MiB, 2 MiB aligned)
inline constexpr uint64_t kFwPage = 0x30000;    // a firmware-state page (DBG, GUEST_REQUEST)
inline constexpr uint32_t kSnpAsid = 3;         // SNP guests use the SEV-ES range (< min_sev_asid)
inline constexpr uint64_t kRmpState = 0x13000;  // struct rmp_state for RMPUPDATE
inline constexpr uint64_t kHostPgt = 0x1F0000;  // core 0's page tables (4 pages)

// ID blocks as a guest owner makes them (psp/snp's signer).
inline constexpr size_t kIdBlockSize = ::cbit::psp::snp::kIdBlockSize;
inline constexpr size_t kIdBlockPolicy = 0x58;
inline constexpr size_t kIdAuthIdBlockSig = ::cbit::psp::snp::id_auth_off::kIdBlockSig;
inline constexpr size_t kIdAuthIdKey = ::cbit::psp::snp::id_auth_off::kIdKey;
inline constexpr size_t kIdAuthIdKeySig = ::cbit::psp::snp::id_auth_off::kIdKeySig;
inline Bytes make_id_auth(ByteSpan id_block, EVP_PKEY* id_key, EVP_PKEY* author_key) {
  return ::cbit::psp::snp::snp_id_block_sign(::cbit::psp::snp::IdBlock::parse(id_block, "test"),
                                             id_key, author_key)
      .id_auth;
}

struct SnpRig {
  explicit SnpRig(uint64_t seed = 11, std::string_view cpu = "milan") : m(config(seed, cpu)) {
    host_paging();
    for (unsigned c = 0; c < m.cores(); ++c) enable_snp_on(c);
  }
  static MachineConfig config(uint64_t seed, std::string_view cpu = "milan") {
    MachineConfig c;
    c.cpu = cpu_model_by_name(cpu);
    c.dram_bytes = kSnpDram;
    c.seed = seed;
    c.cores = 2;
    return c;
  }
  void enable_snp_on(unsigned core, bool vmpl = true) {
    Cpu& cpu = m.cpu(core);
    cpu.wrmsr(msr::kRmpBase, kRmpBase);
    cpu.wrmsr(msr::kRmpEnd, kRmpEnd);
    cpu.wrmsr(msr::kSyscfg, cpu.rdmsr(msr::kSyscfg) | syscfg::kMfdm);
    cpu.wrmsr(msr::kSyscfg,
              cpu.rdmsr(msr::kSyscfg) | syscfg::kSnpEn | (vmpl ? syscfg::kSnpVmplEn : 0));
  }
  // Core 0 in 64-bit mode at CPL 0 with the rmp_state page mapped (C-bit set, as on the stack of
  // an SME host): what RMPUPDATE needs to run.
  void host_paging() {
    auto table = [&](unsigned i) { return kHostPgt + i * kPageSize; };
    const Bytes zero(kPageSize, 0);
    for (unsigned i = 0; i < 4; ++i) host_write(table(i), zero);
    auto set = [&](uint64_t t, unsigned idx, uint64_t e) {
      Bytes b(8);
      store_le(b.data(), e);
      host_write(t + 8ull * idx, b);
    };
    const uint64_t up = hw::pte::kP | hw::pte::kRw | c();
    for (unsigned l = 0; l < 3; ++l)
      set(table(l), hw::pte::index_at(kRmpState, 4 - l), table(l + 1) | up);
    set(table(3), hw::pte::index_at(kRmpState, 1), kRmpState | up);
    Cpu& cpu = m.cpu(0);
    cpu.wrmsr(msr::kEfer, efer::kLme | efer::kNxe | efer::kSvme);
    cpu.mov_to_cr4(cr4::kPae);
    cpu.mov_to_cr3(table(0) | c());
    cpu.mov_to_cr0(cr0::kPe | cr0::kEt | cr0::kPg | cr0::kWp);
  }

  Machine m;
  SevFirmware& fw() { return m.sev_firmware(); }
  rmp::RmpTable& rmp() { return m.rmp().table(); }
  uint64_t c() { return m.cbit_mask(); }

  void host_write(uint64_t pa, ByteSpan b) {
    m.cache().write(SysPhysAddr(pa), b, MemAttr::host_encrypted());
  }
  Bytes host_read(uint64_t pa, size_t n) {
    Bytes b(n);
    m.cache().read(SysPhysAddr(pa), b, MemAttr::host_encrypted());
    return b;
  }
  Bytes guest_read(uint64_t pa, size_t n, uint32_t asid) {
    Bytes b(n);
    m.cache().read(SysPhysAddr(pa), b, MemAttr{true, Asid(asid)});
    return b;
  }
  SevStatus cmd(SevCmd id, const Bytes& buf) {
    if (!buf.empty()) host_write(kCmd, buf);
    return fw().execute(id, SysPhysAddr(kCmd), true);
  }
  SevStatus cmd(SevCmd id) { return cmd(id, Bytes()); }
  static Bytes addr_buf(uint64_t a) {
    Bytes b(8);
    store_le(b.data(), a);
    return b;
  }

  // The host's RMPUPDATE on core 0 (Linux rmpupdate()): its EAX.
  uint32_t rmpupdate(uint64_t pa, const rmp::RmpState& st) {
    m.cpu(0).write_virt(VirtAddr(kRmpState), st.encode());
    return m.cpu(0).rmpupdate(pa, VirtAddr(kRmpState));
  }
  // Linux rmp_make_private(pfn, gpa, level, asid, immutable): KVM passes immutable=true for the
  // pages it hands SNP_LAUNCH_UPDATE (Pre-Guest).
  uint32_t make_private(uint64_t pa, uint64_t gpa, uint32_t asid, bool size_2m = false,
                        bool immutable = true) {
    rmp::RmpState st;
    st.gpa = gpa;
    st.assigned = 1;
    st.pagesize = size_2m ? 1 : 0;
    st.immutable = immutable ? 1 : 0;
    st.asid = asid;
    return expect_ok(rmpupdate(pa, st), pa);
  }
  // Linux rmp_make_shared(pfn, level).
  uint32_t make_shared(uint64_t pa, bool size_2m = false) {
    rmp::RmpState st;
    st.pagesize = size_2m ? 1 : 0;
    return expect_ok(rmpupdate(pa, st), pa);
  }
  // Linux rmp_mark_pages_firmware (snp_alloc_firmware_page): assigned, ASID 0, immutable.
  uint32_t make_firmware(uint64_t pa) {
    rmp::RmpState st;
    st.assigned = 1;
    st.immutable = 1;
    return expect_ok(rmpupdate(pa, st), pa);
  }
  static uint32_t expect_ok(uint32_t eax, uint64_t pa) {
    EXPECT_EQ(eax, rmp::ret::kSuccess) << "RMPUPDATE of 0x" << std::hex << pa;
    return eax;
  }
  // Not the host: an entry as the hardware stores it, for states RMPUPDATE cannot make (above).
  void rmp_set(uint64_t pa, const rmp::RmpEntry& e) {
    rmp::commit_entry(rmp(), SysPhysAddr(pa), e);
  }
  rmp::PageState state(uint64_t pa) {
    return rmp::rmp_entry_get_state(rmp().read(SysPhysAddr(pa)));
  }

  // SNP_INIT, WBINVD on every core, SNP_DF_FLUSH (Linux __sev_snp_init_locked).
  void init() {
    ASSERT_EQ(cmd(SevCmd::SnpInit), SevStatus::Success);
    for (unsigned c = 0; c < m.cores(); ++c) m.core_cache_control(c).wbinvd();
    ASSERT_EQ(cmd(SevCmd::SnpDfFlush), SevStatus::Success);
  }
  SevStatus gctx_create(uint64_t gctx = kGctx) {
    make_firmware(gctx);
    return cmd(SevCmd::SnpGctxCreate, addr_buf(gctx));
  }
  static Bytes launch_start_buf(uint64_t policy, uint64_t gctx = kGctx) {
    Bytes b(kSnpLaunchStartLen, 0);
    store_le(b.data(), gctx);
    store_le(b.data() + 8, policy);
    return b;
  }
  SevStatus launch_start(uint64_t policy = kSnpPolicyQemuDefault) {
    return cmd(SevCmd::SnpLaunchStart, launch_start_buf(policy));
  }
  SevStatus activate(uint32_t asid = kSnpAsid, uint64_t gctx = kGctx) {
    Bytes b(kSnpActivateLen, 0);
    store_le(b.data(), gctx);
    store_le(b.data() + 8, asid);
    return cmd(SevCmd::SnpActivate, b);
  }
  static Bytes update_buf(uint64_t pa, SnpPageType t, bool size_2m = false, uint32_t perms = 0) {
    Bytes b(kSnpLaunchUpdateLen, 0);
    store_le(b.data(), kGctx);
    store_le<uint32_t>(b.data() + 8, (size_2m ? 1u : 0u) | (uint32_t(t) << 1));
    store_le(b.data() + 16, pa);
    store_le(b.data() + 24, perms);
    return b;
  }
  SevStatus launch_update(uint64_t pa, SnpPageType t, bool size_2m = false) {
    return cmd(SevCmd::SnpLaunchUpdate, update_buf(pa | c(), t, size_2m));
  }
  static Bytes finish_buf(uint64_t flags = 0, uint64_t id_block = 0, uint64_t id_auth = 0) {
    Bytes b(kSnpLaunchFinishLen, 0);
    store_le(b.data(), kGctx);
    store_le(b.data() + 8, id_block);
    store_le(b.data() + 16, id_auth);
    store_le(b.data() + 24, flags);
    return b;
  }
  // GCTX_CREATE, LAUNCH_START, ACTIVATE: a guest in LAUNCH with its key loaded.
  void launching_guest(uint64_t policy = kSnpPolicyQemuDefault) {
    init();
    ASSERT_EQ(gctx_create(), SevStatus::Success);
    ASSERT_EQ(launch_start(policy), SevStatus::Success);
    ASSERT_EQ(activate(), SevStatus::Success);
  }
  Bytes platform_status() {
    EXPECT_EQ(cmd(SevCmd::SnpPlatformStatus, addr_buf(kStatus | c())), SevStatus::Success);
    return host_read(kStatus, kSnpPlatformStatusSize);
  }
  Bytes guest_status() {
    Bytes b(kSnpGuestStatusLen, 0);
    store_le(b.data(), kGctx);
    store_le(b.data() + 8, kStatus | c());
    EXPECT_EQ(cmd(SevCmd::SnpGuestStatus, b), SevStatus::Success);
    return host_read(kStatus, kSnpGuestStatusSize);
  }
};

}  // namespace cbit::hw::psp::sev::test
