#include "hw/psp/sev/sev_api.h"

#include <array>
#include <utility>

#include "hw/psp/sev/name_table.h"

namespace cbit::hw::psp::sev {
namespace {

template <typename E>
using Row = NameRow<E>;

constexpr Row<SevCmd> kCmds[] = {
    {SevCmd::Init, "INIT"},
    {SevCmd::Shutdown, "SHUTDOWN"},
    {SevCmd::FactoryReset, "FACTORY_RESET"},
    {SevCmd::PlatformStatus, "PLATFORM_STATUS"},
    {SevCmd::PekGen, "PEK_GEN"},
    {SevCmd::PekCsr, "PEK_CSR"},
    {SevCmd::PekCertImport, "PEK_CERT_IMPORT"},
    {SevCmd::PdhCertExport, "PDH_CERT_EXPORT"},
    {SevCmd::PdhGen, "PDH_GEN"},
    {SevCmd::DfFlush, "DF_FLUSH"},
    {SevCmd::GetId, "GET_ID"},
    {SevCmd::InitEx, "INIT_EX"},
    {SevCmd::Decommission, "DECOMMISSION"},
    {SevCmd::Activate, "ACTIVATE"},
    {SevCmd::Deactivate, "DEACTIVATE"},
    {SevCmd::GuestStatus, "GUEST_STATUS"},
    {SevCmd::LaunchStart, "LAUNCH_START"},
    {SevCmd::LaunchUpdateData, "LAUNCH_UPDATE_DATA"},
    {SevCmd::LaunchUpdateVmsa, "LAUNCH_UPDATE_VMSA"},
    {SevCmd::LaunchMeasure, "LAUNCH_MEASURE"},
    {SevCmd::LaunchSecret, "LAUNCH_SECRET"},
    {SevCmd::LaunchFinish, "LAUNCH_FINISH"},
    {SevCmd::AttestationReport, "ATTESTATION_REPORT"},
    {SevCmd::SendStart, "SEND_START"},
    {SevCmd::SendUpdateData, "SEND_UPDATE_DATA"},
    {SevCmd::SendUpdateVmsa, "SEND_UPDATE_VMSA"},
    {SevCmd::SendFinish, "SEND_FINISH"},
    {SevCmd::SendCancel, "SEND_CANCEL"},
    {SevCmd::ReceiveStart, "RECEIVE_START"},
    {SevCmd::ReceiveUpdateData, "RECEIVE_UPDATE_DATA"},
    {SevCmd::ReceiveUpdateVmsa, "RECEIVE_UPDATE_VMSA"},
    {SevCmd::ReceiveFinish, "RECEIVE_FINISH"},
    {SevCmd::DbgDecrypt, "DBG_DECRYPT"},
    {SevCmd::DbgEncrypt, "DBG_ENCRYPT"},
    {SevCmd::SnpInit, "SNP_INIT"},
    {SevCmd::SnpShutdown, "SNP_SHUTDOWN"},
    {SevCmd::SnpPlatformStatus, "SNP_PLATFORM_STATUS"},
    {SevCmd::SnpDfFlush, "SNP_DF_FLUSH"},
    {SevCmd::SnpInitEx, "SNP_INIT_EX"},
    {SevCmd::SnpShutdownEx, "SNP_SHUTDOWN_EX"},
    {SevCmd::SnpDecommission, "SNP_DECOMMISSION"},
    {SevCmd::SnpActivate, "SNP_ACTIVATE"},
    {SevCmd::SnpGuestStatus, "SNP_GUEST_STATUS"},
    {SevCmd::SnpGctxCreate, "SNP_GCTX_CREATE"},
    {SevCmd::SnpGuestRequest, "SNP_GUEST_REQUEST"},
    {SevCmd::SnpActivateEx, "SNP_ACTIVATE_EX"},
    {SevCmd::SnpHvReportReq, "SNP_HV_REPORT_REQ"},
    {SevCmd::SnpLaunchStart, "SNP_LAUNCH_START"},
    {SevCmd::SnpLaunchUpdate, "SNP_LAUNCH_UPDATE"},
    {SevCmd::SnpLaunchFinish, "SNP_LAUNCH_FINISH"},
    {SevCmd::SnpDbgDecrypt, "SNP_DBG_DECRYPT"},
    {SevCmd::SnpDbgEncrypt, "SNP_DBG_ENCRYPT"},
    {SevCmd::SnpPageSwapOut, "SNP_PAGE_SWAP_OUT"},
    {SevCmd::SnpPageSwapIn, "SNP_PAGE_SWAP_IN"},
    {SevCmd::SnpPageMove, "SNP_PAGE_MOVE"},
    {SevCmd::SnpPageMdInit, "SNP_PAGE_MD_INIT"},
    {SevCmd::SnpPageSetState, "SNP_PAGE_SET_STATE"},
    {SevCmd::SnpPageReclaim, "SNP_PAGE_RECLAIM"},
    {SevCmd::SnpPageUnsmash, "SNP_PAGE_UNSMASH"},
    {SevCmd::SnpConfig, "SNP_CONFIG"},
    {SevCmd::SnpDownloadFirmwareEx, "SNP_DOWNLOAD_FIRMWARE_EX"},
    {SevCmd::SnpCommit, "SNP_COMMIT"},
    {SevCmd::SnpVlekLoad, "SNP_VLEK_LOAD"},
    {SevCmd::SnpFeatureInfo, "SNP_FEATURE_INFO"},
};

struct StatusRow {
  SevStatus value;
  std::string_view name;
  std::string_view text;
};

constexpr StatusRow kStatus[] = {
    {SevStatus::Success, "SUCCESS", "the command completed"},
    {SevStatus::InvalidPlatformState, "INVALID_PLATFORM_STATE",
     "the platform is not in a state that allows the command"},
    {SevStatus::InvalidGuestState, "INVALID_GUEST_STATE",
     "the guest is not in a state that allows the command"},
    {SevStatus::InvalidConfig, "INVALID_CONFIG", "the platform configuration is invalid"},
    {SevStatus::InvalidLen, "INVALID_LEN", "a buffer length is too small or malformed"},
    {SevStatus::AlreadyOwned, "ALREADY_OWNED", "the platform is already owned"},
    {SevStatus::InvalidCert, "INVALID_CERT", "the certificate is invalid"},
    {SevStatus::PolicyFailure, "POLICY_FAILURE", "the guest policy forbids the command"},
    {SevStatus::Inactive, "INACTIVE", "the guest is not active (no ASID bound)"},
    {SevStatus::InvalidAddress, "INVALID_ADDRESS", "an address is invalid or misaligned"},
    {SevStatus::BadSignature, "BAD_SIGNATURE", "a signature is invalid"},
    {SevStatus::BadMeasurement, "BAD_MEASUREMENT", "a measurement or MAC did not match"},
    {SevStatus::AsidOwned, "ASID_OWNED", "the ASID is owned by another guest"},
    {SevStatus::InvalidAsid, "INVALID_ASID", "the ASID is out of range for this guest"},
    {SevStatus::WbinvdRequired, "WBINVD_REQUIRED", "WBINVD must run on all cores first"},
    {SevStatus::DfflushRequired, "DFFLUSH_REQUIRED", "DF_FLUSH must run before the ASID is reused"},
    {SevStatus::InvalidGuest, "INVALID_GUEST", "the guest handle is invalid"},
    {SevStatus::InvalidCommand, "INVALID_COMMAND", "the command id is not supported"},
    {SevStatus::Active, "ACTIVE", "the guest is active"},
    {SevStatus::HwerrorPlatform, "HWERROR_PLATFORM", "hardware error: platform"},
    {SevStatus::HwerrorUnsafe, "HWERROR_UNSAFE", "hardware error: unsafe"},
    {SevStatus::Unsupported, "UNSUPPORTED", "the feature is not supported"},
    {SevStatus::InvalidParam, "INVALID_PARAM", "a parameter is invalid"},
    {SevStatus::ResourceLimit, "RESOURCE_LIMIT", "no resource left (guest handles)"},
    {SevStatus::SecureDataInvalid, "SECURE_DATA_INVALID", "secure data is invalid"},
    {SevStatus::InvalidPageSize, "INVALID_PAGE_SIZE", "the page size is invalid"},
    {SevStatus::InvalidPageState, "INVALID_PAGE_STATE", "the page state is invalid"},
    {SevStatus::InvalidMdataEntry, "INVALID_MDATA_ENTRY", "the metadata entry is invalid"},
    {SevStatus::InvalidPageOwner, "INVALID_PAGE_OWNER", "the page owner is invalid"},
    {SevStatus::AeadOflow, "AEAD_OFLOW", "the AEAD counter overflowed"},
    {SevStatus::ExitRingBuffer, "EXIT_RING_BUFFER", "the SNP ring buffer exited"},
    {SevStatus::RmpInitRequired, "RMP_INIT_REQUIRED", "the RMP must be initialised"},
    {SevStatus::BadSvn, "BAD_SVN", "the security version is invalid"},
    {SevStatus::BadVersion, "BAD_VERSION", "the version is invalid"},
    {SevStatus::ShutdownRequired, "SHUTDOWN_REQUIRED", "a shutdown is required"},
    {SevStatus::UpdateFailed, "UPDATE_FAILED", "the firmware update failed"},
    {SevStatus::RestoreRequired, "RESTORE_REQUIRED", "a restore is required"},
    {SevStatus::RmpInitializationFailed, "RMP_INITIALIZATION_FAILED",
     "the firmware could not build the RMP"},
    {SevStatus::InvalidKey, "INVALID_KEY", "the key is invalid"},
};

constexpr Row<PlatformState> kPlatformStates[] = {{PlatformState::Uninit, "UNINIT"},
                                                  {PlatformState::Init, "INIT"},
                                                  {PlatformState::Working, "WORKING"}};

constexpr Row<GuestState> kGuestStates[] = {
    {GuestState::Uninit, "UNINIT"},   {GuestState::Lupdate, "LUPDATE"},
    {GuestState::Lsecret, "LSECRET"}, {GuestState::Running, "RUNNING"},
    {GuestState::Supdate, "SUPDATE"}, {GuestState::Rupdate, "RUPDATE"},
    {GuestState::Sent, "SENT"}};

constexpr Row<SevPolicyBit> kPolicyBits[] = {
    {SevPolicyBit::Nodbg, "NODBG"},   {SevPolicyBit::Noks, "NOKS"},     {SevPolicyBit::Es, "ES"},
    {SevPolicyBit::Nosend, "NOSEND"}, {SevPolicyBit::Domain, "DOMAIN"}, {SevPolicyBit::Sev, "SEV"}};

}  // namespace

std::string_view name(SevCmd c) { return find_name(kCmds, c); }
std::string_view name(SevStatus s) { return find_name(kStatus, s); }
std::string_view name(PlatformState s) { return find_name(kPlatformStates, s); }
std::string_view name(GuestState s) { return find_name(kGuestStates, s); }
std::string_view name(SevPolicyBit b) { return find_name(kPolicyBits, b); }

std::string_view describe(SevStatus s) {
  for (const auto& r : kStatus)
    if (r.value == s) return r.text;
  return "unknown status code";
}

std::optional<SevCmd> sev_cmd_by_name(std::string_view n) { return find_value<SevCmd>(kCmds, n); }
std::optional<SevStatus> sev_status_by_name(std::string_view n) {
  return find_value<SevStatus>(kStatus, n);
}
std::optional<PlatformState> platform_state_by_name(std::string_view n) {
  return find_value<PlatformState>(kPlatformStates, n);
}
std::optional<GuestState> guest_state_by_name(std::string_view n) {
  return find_value<GuestState>(kGuestStates, n);
}
std::optional<SevPolicyBit> policy_bit_by_name(std::string_view n) {
  return find_value<SevPolicyBit>(kPolicyBits, n);
}

bool is_known_command(uint32_t id) {
  for (const auto& r : kCmds)
    if (static_cast<uint32_t>(r.value) == id) return true;
  return false;
}

std::vector<SevCmd> known_commands() {
  std::vector<SevCmd> out;
  for (const auto& r : kCmds) out.push_back(r.value);
  return out;
}

}  // namespace cbit::hw::psp::sev
