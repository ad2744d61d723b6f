// The SEV firmware API's numbers: command ids, status codes, platform and guest states, guest
// policy bits (SPEC-FACTS.md "Secure Processor commands"; Linux include/linux/psp-sev.h;
// AMD-ASPFW sev_mcmd.h, sev_guest.h, sev_plat.h). Every command of the table has its id here, also
// those the model does not implement (they answer INVALID_COMMAND), so the conformance test can
// match every row by name.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace cbit::hw::psp::sev {

enum class SevCmd : uint32_t {
  // Platform management.
  Init = 0x01,
  Shutdown = 0x02,
  FactoryReset = 0x03,
  PlatformStatus = 0x04,
  PekGen = 0x05,
  PekCsr = 0x06,
  PekCertImport = 0x07,
  PdhCertExport = 0x08,
  PdhGen = 0x09,
  DfFlush = 0x0A,
  GetId = 0x0C,
  InitEx = 0x0D,
  // Guest management.
  Decommission = 0x20,
  Activate = 0x21,
  Deactivate = 0x22,
  GuestStatus = 0x23,
  // Launch.
  LaunchStart = 0x30,
  LaunchUpdateData = 0x31,
  LaunchUpdateVmsa = 0x32,
  LaunchMeasure = 0x33,
  LaunchSecret = 0x34,
  LaunchFinish = 0x35,
  AttestationReport = 0x36,
  // Migration.
  SendStart = 0x40,
  SendUpdateData = 0x41,
  SendUpdateVmsa = 0x42,
  SendFinish = 0x43,
  SendCancel = 0x44,
  ReceiveStart = 0x50,
  ReceiveUpdateData = 0x51,
  ReceiveUpdateVmsa = 0x52,
  ReceiveFinish = 0x53,
  // Debug.
  DbgDecrypt = 0x60,
  DbgEncrypt = 0x61,
  // SNP (SNP-FACTS.md §2.1; the SNP commands are in commands/snp_*.cc).
  SnpInit = 0x81,
  SnpShutdown = 0x82,
  SnpPlatformStatus = 0x83,
  SnpDfFlush = 0x84,
  SnpInitEx = 0x85,
  SnpShutdownEx = 0x86,
  SnpDecommission = 0x90,
  SnpActivate = 0x91,
  SnpGuestStatus = 0x92,
  SnpGctxCreate = 0x93,
  SnpGuestRequest = 0x94,
  SnpActivateEx = 0x95,
  SnpHvReportReq = 0x96,
  SnpLaunchStart = 0xA0,
  SnpLaunchUpdate = 0xA1,
  SnpLaunchFinish = 0xA2,
  SnpDbgDecrypt = 0xB0,
  SnpDbgEncrypt = 0xB1,
  SnpPageSwapOut = 0xC0,
  SnpPageSwapIn = 0xC1,
  SnpPageMove = 0xC2,
  SnpPageMdInit = 0xC3,
  SnpPageSetState = 0xC6,
  SnpPageReclaim = 0xC7,
  SnpPageUnsmash = 0xC8,
  SnpConfig = 0xC9,
  SnpDownloadFirmwareEx = 0xCA,
  SnpCommit = 0xCB,
  SnpVlekLoad = 0xCD,
  SnpFeatureInfo = 0xCE,
};

enum class SevStatus : uint32_t {
  Success = 0x00,
  InvalidPlatformState = 0x01,
  InvalidGuestState = 0x02,
  InvalidConfig = 0x03,
  InvalidLen = 0x04,
  AlreadyOwned = 0x05,
  InvalidCert = 0x06,
  PolicyFailure = 0x07,
  Inactive = 0x08,
  InvalidAddress = 0x09,
  BadSignature = 0x0A,
  BadMeasurement = 0x0B,
  AsidOwned = 0x0C,
  InvalidAsid = 0x0D,
  WbinvdRequired = 0x0E,
  DfflushRequired = 0x0F,
  InvalidGuest = 0x10,
  InvalidCommand = 0x11,
  Active = 0x12,
  HwerrorPlatform = 0x13,
  HwerrorUnsafe = 0x14,
  Unsupported = 0x15,
  InvalidParam = 0x16,
  ResourceLimit = 0x17,
  SecureDataInvalid = 0x18,
  InvalidPageSize = 0x19,
  InvalidPageState = 0x1A,
  InvalidMdataEntry = 0x1B,
  InvalidPageOwner = 0x1C,
  AeadOflow = 0x1D,
  ExitRingBuffer = 0x1F,
  RmpInitRequired = 0x20,
  BadSvn = 0x21,
  BadVersion = 0x22,
  ShutdownRequired = 0x23,
  UpdateFailed = 0x24,
  RestoreRequired = 0x25,
  RmpInitializationFailed = 0x26,
  InvalidKey = 0x27,
};

// Platform states (SEV-API "Platform Management"; ASPFW sev_plat.h).
enum class PlatformState : uint8_t { Uninit = 0, Init = 1, Working = 2 };

// Guest states (ASPFW sev_guest.h: SEV_GUEST_STATE_INVALID is the spec's UNINIT).
enum class GuestState : uint8_t {
  Uninit = 0,
  Lupdate = 1,
  Lsecret = 2,
  Running = 3,
  Supdate = 4,
  Rupdate = 5,
  Sent = 6,
};

// Guest policy bits (SEV-API "Guest Policy"; ASPFW sev_guest.h).
enum class SevPolicyBit : uint32_t { Nodbg = 0, Noks = 1, Es = 2, Nosend = 3, Domain = 4, Sev = 5 };

constexpr uint32_t policy_flag(SevPolicyBit b) { return 1u << static_cast<uint32_t>(b); }
constexpr bool policy_has(uint32_t policy, SevPolicyBit b) { return policy & policy_flag(b); }
// Bits 15:6 are reserved and must be zero; 23:16 API major, 31:24 API minor (minimum firmware).
inline constexpr uint32_t kPolicyReservedMask = 0x10000u - (1u << 6);
constexpr uint8_t policy_api_major(uint32_t policy) { return (policy >> 16) & 0xff; }
constexpr uint8_t policy_api_minor(uint32_t policy) { return (policy >> 24) & 0xff; }

// INIT flags (Linux SEV_INIT_FLAGS_SEV_ES); PLATFORM_STATUS flags (Linux uapi psp-sev.h).
inline constexpr uint32_t kInitFlagSevEs = 0x01;
inline constexpr uint32_t kStatusFlagOwner = 0x0001;
inline constexpr uint32_t kStatusFlagConfigEs = 0x0100;

// Spec names, in words: "LAUNCH_START", "INVALID_GUEST_STATE", "LUPDATE", "NODBG".
std::string_view name(SevCmd c);
std::string_view name(SevStatus s);
std::string_view name(PlatformState s);
std::string_view name(GuestState s);
std::string_view name(SevPolicyBit b);
// A sentence for the CLI: "0x02 INVALID_GUEST_STATE: the guest is not in a state that allows the
// command".
std::string_view describe(SevStatus s);

// Reverse look-ups by spec name (for tables and the CLI); nullopt for an unknown name.
std::optional<SevCmd> sev_cmd_by_name(std::string_view n);
std::optional<SevStatus> sev_status_by_name(std::string_view n);
std::optional<PlatformState> platform_state_by_name(std::string_view n);
std::optional<GuestState> guest_state_by_name(std::string_view n);
std::optional<SevPolicyBit> policy_bit_by_name(std::string_view n);

// Whether a raw id names a command of the table (implemented or not).
bool is_known_command(uint32_t id);
// Every command of the table, in id order (the mailbox fuzzer draws from it).
std::vector<SevCmd> known_commands();

}  // namespace cbit::hw::psp::sev
