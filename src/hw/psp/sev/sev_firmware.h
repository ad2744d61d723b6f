// The SEV firmware running on the AMD Secure Processor: the legacy SEV and SEV-ES API and the
// SEV-SNP ABI as one mailbox (SEV-API spec; SNP ABI; AMD-ASPFW sev_dispatch.c, sev_mcmd.c; Linux
// drivers/crypto/ccp). The SNP commands (commands/snp_*.cc) need the platform's RMP and core
// MSRs (attach_snp); without them SNP_INIT answers INVALID_CONFIG, as a part without SNP would.
//
// The host writes a command id and the system physical address of a command buffer (as Linux's
// __psp_pa() gives it: the C-bit set when SME is active) and reads back a status code. The
// firmware copies the buffer out of simulated host memory with its own DMA (through the memory
// controller: the host key when the address carries the C-bit), runs the command, and writes
// outputs back into the buffer. Addresses inside buffers carry the C-bit the same way.
//
// A hostile hypervisor controls every byte of every buffer: each field is checked and a bad one
// gives the spec's status code, never an assertion (tests/fuzz/fuzz_sev_mailbox.cc).
//
// Keys (VEKs, TEK/TIK, the PDH private key) stay in this object and in the memory controller's
// write-only key slots. No function returns them.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"
#include "hw/psp/sev/sev_api.h"
#include "hw/psp/sev/sev_guest.h"
#include "hw/psp/sev/snp_guest.h"
#include "hw/psp/sev/snp_platform.h"
#include "hw/psp/sev/wbinvd_done.h"
#include "psp/certs/ossl.h"
#include "psp/snp/vcek.h"
#include "psp/snp/vlek.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace cbit::hw {
class Cache;
namespace rmp {
struct RmpEntry;
}
namespace svm {
class VmsaIntegrity;
}
namespace psp {
class SecureProcessor;
}
}  // namespace cbit::hw

namespace cbit::hw::psp::sev {

struct SevPlatformConfig {
  uint32_t num_asids = 15;      // CPUID Fn8000_001F ECX: encrypted guests supported
  uint32_t min_sev_asid = 1;    // CPUID Fn8000_001F EDX: ES guests use 1 .. min-1
  unsigned cbit_position = 47;  // CPUID Fn8000_001F EBX[5:0]
  bool es_supported = true;     // CPUID Fn8000_001F EAX[3]
  uint8_t api_major = 1, api_minor = 55, build = 21;
  uint32_t max_guests = 64;  // guest handles (ASPFW SEV_GUEST_COUNT_MAX is 1024)
};

inline constexpr uint64_t kTmrSize = 0x100000;       // SEV-ES trusted memory region (1 MiB)
inline constexpr uint64_t kInitExNvLen = 32 * 1024;  // INIT_EX non-volatile area (Linux NV_LENGTH)
inline constexpr uint32_t kInitExLen = 0x24;         // sizeof(struct sev_data_init_ex)
inline constexpr uint32_t kGetIdLen = 64;            // one socket's ID (ASPFW get_id_t)
inline constexpr uint32_t kVmsaSize = 4096;

// Per-ASID firmware state (ASPFW perm.asid_dirty / clean / allocated / in_use).
enum class AsidState : uint8_t { Dirty, Clean, Allocated, InUse };

// Watches the mailbox from outside the firmware (tests, benchmarks): a command's id, buffer
// address and status, never its buffer's contents or any key.
class PspCommandObserver {
 public:
  virtual ~PspCommandObserver() = default;
  // Before the firmware acts on the command (bench/bench_snp_report.cc times the command).
  virtual void on_psp_command_begin(uint32_t /*cmd_id*/, uint64_t /*buffer_paddr*/) {}
  virtual void on_psp_command(uint32_t cmd_id, uint64_t buffer_paddr, SevStatus status) = 0;
};

class SevFirmware {
 public:
  // `coherent_cache`: the CPU cache the firmware's DMA snoops (ASPFW sets RD_SZ_WBINVD around its
  // copies); nullptr when the caller accesses memory through the memory controller directly.
  SevFirmware(SecureProcessor& sp, SevPlatformConfig cfg, WbinvdDone& wbinvd,
              Cache* coherent_cache = nullptr);
  ~SevFirmware();
  SevFirmware(const SevFirmware&) = delete;
  SevFirmware& operator=(const SevFirmware&) = delete;

  // The mailbox: CMDRESP[26:16] = id, CMDBUFF_ADDR = buffer (C-bit at cfg.cbit_position).
  SevStatus execute(uint32_t cmd_id, uint64_t buffer_paddr);
  SevStatus execute(SevCmd cmd, SysPhysAddr buffer, bool c_bit);
  // The ids the dispatch table hands to a command; any other id answers INVALID_COMMAND
  // (the mailbox fuzzer must reach every one of them: tests/fuzz/sev_mailbox_ids.h).
  static std::vector<SevCmd> dispatched_commands();

  PlatformState platform_state() const { return state_; }
  const SevPlatformConfig& config() const { return cfg_; }
  // For the CPU model's VMRUN: the ASID is bound to a running guest and its key is loaded.
  bool asid_runnable(Asid asid) const;
  AsidState asid_state(Asid asid) const;
  // The PDH public key (what PDH_CERT_EXPORT would return; a public key, not a secret).
  // nullopt in UNINIT.
  std::optional<CertPubkey> pdh_public() const;

  // SEV-SNP: the RMP, the cores' MSRs and the part's CPUID (Machine wires them).
  void attach_snp(const SnpPlatform& platform, const SnpTcbConfig& tcb = {});
  SnpPlatformState snp_platform_state() const { return snp_state_; }
  bool rmp_initialized() const { return rmp_initialized_; }
  // The launch digest of the SNP guest whose context page is at gctx_paddr (C-bit ignored):
  // the MEASUREMENT its attestation report carries (public, not a key). nullopt for no guest or
  // before LAUNCH_START.
  std::optional<crypto::Sha384Digest> snp_launch_digest(uint64_t gctx_paddr);

  void add_observer(PspCommandObserver* o) { observers_.push_back(o); }
  // Where LAUNCH_UPDATE_VMSA records each VMSA's integrity value for VMRUN (Machine wires it).
  void set_vmsa_integrity(svm::VmsaIntegrity* v) { integrity_ = v; }

  // Drbg labels (a seeded test re-derives the bytes to prove they never reach memory).
  static constexpr const char* kVekLabel = "sev-vek";         // 32 bytes per LAUNCH_START
  static constexpr const char* kPdhLabel = "sev-pdh";         // 48 bytes per INIT
  static constexpr const char* kMnonceLabel = "sev-mnonce";   // 16 bytes per LAUNCH_MEASURE
  static constexpr const char* kChipIdLabel = "sev-chip-id";  // 64 bytes, once
  static constexpr const char* kSnpVekLabel = "snp-vek";      // 32 bytes per GCTX_CREATE
  static constexpr const char* kSnpVmpckLabel = "snp-vmpck";  // 4 x 32 bytes per LAUNCH_START
  static constexpr const char* kSnpVmrkLabel = "snp-vmrk";    // 32 bytes per LAUNCH_START
  static constexpr const char* kSnpReportIdLabel = "snp-report-id";  // 32 bytes, public
  // The chip-unique secret the VCEK hashstick chain starts from (psp/snp/vcek.h): 48 bytes,
  // drawn once, like the CHIP_ID; on real parts it is fused and the boot ROM reads it. AMD's
  // records of it are what the KDS stand-in uses (hw/psp/sev/sim_kds.h).
  static constexpr const char* kSnpChipSecretLabel = "snp-chip-secret";

 private:
  // DMA helpers. `paddr` may carry the C-bit. Out of range, unbacked, overlapping the TMR or
  // misaligned (for encrypted accesses) -> InvalidAddress.
  SevStatus host_read(uint64_t paddr, MutByteSpan out);
  SevStatus host_write(uint64_t paddr, ByteSpan in);
  SevStatus guest_read(uint64_t paddr, MutByteSpan out, const GuestContext& g);
  SevStatus guest_write(uint64_t paddr, ByteSpan in, const GuestContext& g);
  SevStatus check_range(uint64_t paddr, uint64_t len, bool encrypted, SysPhysAddr* pa) const;
  uint64_t strip_cbit(uint64_t paddr) const { return paddr & ~(1ull << cfg_.cbit_position); }
  bool has_cbit(uint64_t paddr) const { return paddr >> cfg_.cbit_position & 1; }
  void snoop(SysPhysAddr pa, uint64_t len, bool writes);

  GuestContext* guest(uint32_t handle);
  uint32_t max_asid() const;
  void load_guest_key(const GuestContext& g);
  void sync_with_reset();
  void clear_platform();
  // SEV's INIT and SHUTDOWN reset the ASID table; SNP guests keep theirs.
  void keep_snp_asids();

  // Commands (one per file under commands/). `buf` is the command buffer's private copy; what
  // the command writes into it goes back to the host as the dispatcher's table says.
  SevStatus cmd_init(Bytes& buf, bool ex);
  SevStatus cmd_shutdown();
  SevStatus cmd_platform_status(Bytes& buf);
  SevStatus cmd_df_flush();
  SevStatus cmd_get_id(Bytes& buf);
  SevStatus cmd_decommission(Bytes& buf);
  SevStatus cmd_activate(Bytes& buf);
  SevStatus cmd_deactivate(Bytes& buf);
  SevStatus cmd_guest_status(Bytes& buf);
  SevStatus cmd_launch_start(Bytes& buf);
  SevStatus cmd_launch_update(Bytes& buf, bool vmsa);
  SevStatus cmd_launch_measure(Bytes& buf);
  SevStatus cmd_launch_secret(Bytes& buf);
  SevStatus cmd_launch_finish(Bytes& buf);
  SevStatus cmd_dbg(Bytes& buf, bool encrypt);
  SevStatus dispatch(uint32_t cmd_id, uint64_t buffer_paddr);

  // SNP helpers (snp_common.cc). The SNP ABI's address fields: bits 11:0 and 63:52 reserved
  // (ASPFW SNP_ADDR_RESERVED_MASK), the C-bit allowed.
  bool snp_addr_reserved(uint64_t paddr) const;
  // The RMP entry of the 4 KiB page holding paddr: INVALID_ADDRESS when no RMP covers it or
  // the page is part of the RMP itself.
  SevStatus snp_rmp_read(uint64_t paddr, SysPhysAddr* pa, rmp::RmpEntry* e) const;
  // Writes e as pa's entry the way the RMP hardware keeps it (hw/rmp/rmp_insn.h): through
  // commit_entry, so the per-ASID counters and the 2 MiB region's subpage count follow; a 2 MiB
  // entry (Page_Size=1, pa 2 MiB-aligned) goes to all 512 entries of its region with consecutive
  // GPAs, as RMPUPDATE writes one.
  void snp_rmp_write(SysPhysAddr pa, const rmp::RmpEntry& e);
  // The command prologue (SNP-FACTS §2.3): reserved address bits -> INVALID_PARAM; platform
  // not INIT -> INVALID_PLATFORM_STATE; the GCTX page not in Context state -> INVALID_GUEST.
  SevStatus snp_prologue(uint64_t gctx_paddr, bool reserved_ok, SnpGuestContext** g);
  SnpGuestContext* snp_guest(uint64_t gctx_paddr);
  void snp_load_key(const SnpGuestContext& g);
  void snp_deactivate(SnpGuestContext& g);
  // Firmware DMA into a guest page with the guest's key.
  SevStatus snp_guest_write(SysPhysAddr pa, ByteSpan in, uint32_t asid);
  SevStatus snp_guest_read(SysPhysAddr pa, MutByteSpan out, uint32_t asid);
  ::cbit::psp::TcbVersion snp_committed_tcb() const;
  // SNP-FACTS §4 "Which TCB is which" (snp_vcek.cc): CURRENT = committed with the running SNP
  // firmware's SVN and the live microcode; REPORTED = SNP_CONFIG's or committed.
  ::cbit::psp::TcbVersion snp_current_tcb() const;
  ::cbit::psp::TcbVersion snp_reported_tcb() const;
  // The CHIP_ID (GET_ID; the report's CHIP_ID), drawn once.
  const Bytes& chip_id();
  // The VCEK hashstick of a TCB (raw), from the sticks of the booted TCB: nullopt for a TCB
  // newer in any component. The VCEK key pair of the reported TCB (derived on first use and
  // whenever REPORTED_TCB changes). Neither leaves the firmware.
  std::optional<::cbit::psp::snp::Hashstick> snp_vcek_hashstick(uint64_t tcb_raw);
  EVP_PKEY* snp_vcek_key();
  // KEY_SEL of MSG_REPORT_REQ / MSG_KEY_REQ (0 VLEK if loaded else VCEK, 1 VCEK, 2 VLEK,
  // 3 reserved): true when it names no key this guest may use (ASPFW -> INVALID_KEY): 3; VLEK
  // without one loaded; VCEK for a guest launched VCEK_DISABLED.
  bool snp_key_sel_invalid(const SnpGuestContext& g, uint32_t key_sel) const;
  bool snp_vlek_loaded() const { return vlek_.has_value(); }

  // SNP commands (one per file under commands/snp_*.cc).
  SevStatus cmd_snp_init(Bytes& buf, bool ex);
  SevStatus cmd_snp_shutdown(Bytes& buf, bool ex);
  SevStatus cmd_snp_platform_status(Bytes& buf);
  SevStatus cmd_snp_df_flush();
  SevStatus cmd_snp_gctx_create(Bytes& buf);
  SevStatus cmd_snp_decommission(Bytes& buf);
  SevStatus cmd_snp_activate(Bytes& buf);
  SevStatus cmd_snp_guest_status(Bytes& buf);
  SevStatus cmd_snp_launch_start(Bytes& buf);
  SevStatus cmd_snp_launch_update(Bytes& buf);
  SevStatus cmd_snp_launch_finish(Bytes& buf);
  SevStatus cmd_snp_dbg(Bytes& buf, bool encrypt);
  SevStatus cmd_snp_page_reclaim(Bytes& buf);
  SevStatus cmd_snp_page_unsmash(Bytes& buf);
  SevStatus cmd_snp_config(Bytes& buf);
  SevStatus cmd_snp_commit(Bytes& buf);
  SevStatus cmd_snp_guest_request(Bytes& buf);
  SevStatus cmd_snp_vlek_load(Bytes& buf);
  // The guest messages inside SNP_GUEST_REQUEST (one per file: snp_msg_report.cc,
  // snp_msg_key.cc). `req` is the decrypted request payload; the handler fills `rsp` (the
  // response payload, plaintext) and its message type. Errors of the guest's making go into
  // the response's STATUS; the return value is the mailbox status (SUCCESS unless the firmware
  // itself failed).
  SevStatus snp_msg_report(SnpGuestContext& g, uint8_t msg_vmpck, ByteSpan req, Bytes& rsp);
  SevStatus snp_msg_key(SnpGuestContext& g, uint8_t msg_vmpck, ByteSpan req, Bytes& rsp);
  // SNP_LAUNCH_UPDATE's page work per type (snp_launch_update.cc).
  SevStatus snp_update_page(SnpGuestContext& g, SnpPageType type, SysPhysAddr spa,
                            uint64_t host_paddr, uint64_t gpa, uint32_t perms);

  SecureProcessor& sp_;
  SevPlatformConfig cfg_;
  WbinvdDone& wbinvd_;
  Cache* cache_;
  uint64_t seen_resets_ = 0;
  PlatformState state_ = PlatformState::Uninit;
  uint32_t config_flags_ = 0;
  uint32_t guest_count_ = 0;
  std::vector<GuestContext> guests_;  // index = handle - 1
  std::vector<AsidState> asids_;      // index = asid - 1
  // The platform Diffie-Hellman key (P-384). INIT draws its 48-byte seed (ASPFW sev_pdh_generate),
  // so the "sev-pdh" stream advances exactly as before; the key itself (a P-384 scalar
  // multiplication) is derived on first use (pdh_key(): LAUNCH_START with a session, the PDH
  // public key) because an SNP-only launch never needs it. Neither leaves the firmware.
  mutable EVP_PKEY* pdh_ = nullptr;
  mutable Bytes pdh_seed_;  // empty once derived, or in UNINIT
  EVP_PKEY* pdh_key() const;
  std::optional<std::pair<uint64_t, uint64_t>> tmr_;  // [base, end) when INIT asked for SEV-ES
  Bytes chip_id_;
  std::vector<PspCommandObserver*> observers_;
  svm::VmsaIntegrity* integrity_ = nullptr;

  // SNP state.
  SnpPlatform snp_;
  SnpTcbConfig snp_tcb_;
  ::cbit::psp::TcbVersion committed_tcb_, reported_tcb_;
  bool reported_tcb_set_ = false;
  bool mask_chip_id_ = false, mask_chip_key_ = false;
  SnpPlatformState snp_state_ = SnpPlatformState::Uninit;
  bool rmp_initialized_ = false;
  bool alias_check_complete_ = false;  // SNP_INIT's BadRAM alias probe ran clean
  uint32_t snp_init_flags_ = 0;
  std::map<uint64_t, SnpGuestContext> snp_guests_;  // keyed by the GCTX page's SPA
  // The VCEK hashsticks of the booted TCB (psp/snp/vcek.h) and the VCEK of the reported TCB.
  std::array<uint8_t, ::cbit::psp::snp::kChipSecretSize> chip_secret_{};  // the fuses
  bool chip_secret_drawn_ = false;
  std::optional<::cbit::psp::snp::VcekHashsticks> vcek_sticks_;
  ::cbit::psp::PkeyPtr vcek_key_;
  uint64_t vcek_key_tcb_ = 0;
  // SNP_VLEK_LOAD's VLEK hashsticks and its key pair (snp_vlek_load.cc).
  std::optional<::cbit::psp::snp::VlekSticks> vlek_;
  ::cbit::psp::PkeyPtr vlek_key_;
};

}  // namespace cbit::hw::psp::sev
