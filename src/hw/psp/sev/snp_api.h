// The SEV-SNP firmware ABI's numbers beside the legacy API's (sev_api.h): platform and guest
// states, the guest policy (SNP-FACTS.md §2.5; Linux psp-sev.h SNP_POLICY_*; go-sev-guest
// abi.go), SNP_LAUNCH_UPDATE page types, SNP_INIT_EX flags and the command-buffer sizes of
// Linux's struct sev_data_snp_* (include/linux/psp-sev.h, packed), which the dispatcher reads.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace cbit::hw::psp::sev {

// SNP platform states (ASPFW SNP_STATE_*): no WORKING state in SNP (SNP-FACTS §2.3).
enum class SnpPlatformState : uint8_t { Uninit = 0, Init = 1 };
// SNP guest states (ASPFW SNP_GUEST_STATE_*).
enum class SnpGuestState : uint8_t { Init = 0, Launch = 1, Running = 2 };

// Guest policy bits (SNP ABI "Guest Policy"; SNP-FACTS §2.5). Bits 7:0 ABI minor, 15:8 major.
enum class SnpPolicyBit : uint32_t {
  Smt = 16,
  Mbo = 17,  // must be one (ASPFW SNP_GUEST_POLICY_VMPL_FLAG)
  MigrateMa = 18,
  Debug = 19,
  SingleSocket = 20,
  CxlAllow = 21,
  MemAes256Xts = 22,
  RaplDis = 23,
  CiphertextHiding = 24,
  PageSwapDisable = 25,
};
constexpr uint64_t snp_policy_flag(SnpPolicyBit b) { return 1ull << static_cast<uint32_t>(b); }
constexpr bool snp_policy_has(uint64_t policy, SnpPolicyBit b) {
  return policy & snp_policy_flag(b);
}
constexpr uint8_t snp_policy_abi_minor(uint64_t policy) { return policy & 0xff; }
constexpr uint8_t snp_policy_abi_major(uint64_t policy) { return (policy >> 8) & 0xff; }
// Bits 63:26 are reserved and must be zero.
inline constexpr uint64_t kSnpPolicyReservedMask = ~((1ull << 26) - 1);
// QEMU's default policy: SMT allowed, MBO (SNP-FACTS §2.5).
inline constexpr uint64_t kSnpPolicyQemuDefault = 0x30000;

// SNP_LAUNCH_UPDATE page types (Linux SNP_PAGE_TYPE_*; same numbers as
// psp::digest::PageType).
enum class SnpPageType : uint8_t {
  Normal = 1,
  Vmsa = 2,
  Zero = 3,
  Unmeasured = 4,
  Secrets = 5,
  Cpuid = 6,
};

// SNP_INIT_EX flags (Linux struct sev_data_snp_init_ex; SNP-FACTS §2.3).
inline constexpr uint32_t kSnpInitRmp = 1u << 0;
inline constexpr uint32_t kSnpInitListPaddrEn = 1u << 1;
inline constexpr uint32_t kSnpInitRaplDis = 1u << 2;
inline constexpr uint32_t kSnpInitCiphertextHidingEn = 1u << 3;
inline constexpr uint32_t kSnpInitTioEn = 1u << 4;

// Command buffers: sizeof the packed Linux struct.
inline constexpr uint32_t kSnpInitExLen = 64;        // sev_data_snp_init_ex
inline constexpr uint32_t kSnpShutdownExLen = 8;     // sev_data_snp_shutdown_ex
inline constexpr uint32_t kSnpAddrLen = 8;           // sev_data_snp_addr (and gctx_create, ...)
inline constexpr uint32_t kSnpActivateLen = 12;      // sev_data_snp_activate
inline constexpr uint32_t kSnpGuestStatusLen = 16;   // sev_data_snp_guest_status
inline constexpr uint32_t kSnpLaunchStartLen = 48;   // sev_data_snp_launch_start
inline constexpr uint32_t kSnpLaunchUpdateLen = 32;  // sev_data_snp_launch_update
inline constexpr uint32_t kSnpLaunchFinishLen = 64;  // sev_data_snp_launch_finish
inline constexpr uint32_t kSnpDbgLen = 24;           // sev_data_snp_dbg
inline constexpr uint32_t kSnpGuestRequestLen = 24;  // sev_data_snp_guest_request
inline constexpr uint32_t kSnpConfigLen = 64;        // sev_data_snp_config
inline constexpr uint32_t kSnpCommitLen = 4;         // sev_data_snp_commit
inline constexpr uint32_t kSnpVlekLoadLen = 16;      // sev_user_data_snp_vlek_load
// Output pages the commands write (the firmware writes them at the address the buffer gives).
inline constexpr uint32_t kSnpPlatformStatusSize = 0x20;  // sev_data_snp_status
inline constexpr uint32_t kSnpGuestStatusSize = 0x18;     // ASPFW snp_guest_status_buffer_t

// Spec names: "SMT", "DEBUG", "NORMAL", "LAUNCH", ... and reverse look-ups for the CLI.
std::string_view name(SnpPolicyBit b);
std::string_view name(SnpPageType t);
std::string_view name(SnpGuestState s);
std::string_view name(SnpPlatformState s);
std::optional<SnpPolicyBit> snp_policy_bit_by_name(std::string_view n);
std::optional<SnpPageType> snp_page_type_by_name(std::string_view n);

}  // namespace cbit::hw::psp::sev
