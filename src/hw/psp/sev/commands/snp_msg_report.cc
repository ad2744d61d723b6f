// MSG_REPORT_REQ -> MSG_REPORT_RSP inside SNP_GUEST_REQUEST (SNP ABI "MSG_REPORT_REQ" and
// "ATTESTATION_REPORT Structure"; AMD-ASPFW sev_mcmd.c case SNP_MSG_REPORT_REQ; SNP-FACTS.md
// §3.2, §4; layout in psp/report/attestation_report.h).
//
// Guest errors go into STATUS (the report then stays zero): reserved bits or bytes ->
// INVALID_PARAM; KEY_SEL naming no usable key -> INVALID_KEY; VMPL below MSG_VMPCK (a report
// claiming a more privileged VMPL than the key the request came under) -> INVALID_PARAM. Like
// ASPFW, VMPL has no upper bound here.
//
// The report:
//   VERSION 3 (the CPUID fields) on Milan and Genoa firmware; 5 (with the mitigation vectors)
//   on Turin (family 1Ah) or firmware of ABI 1.58 and later. ASPFW 1.55.25 still wrote 2; the
//   firmware cbit models is the one SNP-FACTS §4 describes for each preset. The mitigation
//   vectors are zero: no mitigation bit is modelled.
//   GUEST_SVN, FAMILY_ID, IMAGE_ID from the ID block (zero without one); POLICY; VMPL from the
//   request; SIGNATURE_ALGO 1 (ECDSA P-384 with SHA-384).
//   CURRENT_TCB, REPORTED_TCB, COMMITTED_TCB, LAUNCH_TCB (snp_vcek.cc; LAUNCH_TCB = committed at
//   GCTX_CREATE), in the part's layout (Turin's with FMC).
//   PLATFORM_INFO: bit 0 SMT_EN (the platform runs SMT), 1 TSME_EN (the memory controller's
//   TSME), 2 ECC_EN (0: cbit's DRAM has no ECC), 3 RAPL_DIS and 4 CIPHERTEXT_HIDING_DRAM_EN
//   (SNP_INIT_EX enabled them), 5 ALIAS_CHECK_COMPLETE (SNP_INIT's BadRAM alias check ran clean).
//   KEY_INFO: bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY (0 VCEK, 1 VLEK,
//   7 none).
//   REPORT_DATA from the request; MEASUREMENT = the launch digest; HOST_DATA, ID_KEY_DIGEST,
//   AUTHOR_KEY_DIGEST from LAUNCH_FINISH; REPORT_ID, REPORT_ID_MA from LAUNCH_START.
//   CPUID_FAM_ID, CPUID_MOD_ID, CPUID_STEP of the part. CHIP_ID (GET_ID's), zero under
//   SNP_CONFIG's MASK_CHIP_ID; Turin reports its first 8 bytes, the rest zero.
//   CURRENT and COMMITTED build/minor/major: the running firmware's (cbit models no firmware
//   download, so both are the same).
// Signed over bytes 0..0x29F with the VLEK when KEY_SEL is 2, or 0 and SNP_VLEK_LOAD loaded one
// (SIGNING_KEY 1); else with the VCEK of REPORTED_TCB (SIGNING_KEY 0), unless MASK_CHIP_KEY
// (then unsigned, SIGNING_KEY 7).
#include <openssl/crypto.h>

#include "hw/cpu_models.h"
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"
#include "psp/snp/guest_msg.h"
#include "psp/snp/id_block.h"

namespace cbit::hw::psp::sev {

namespace snp = ::cbit::psp::snp;
using ::cbit::psp::AttestationReport;

namespace {

constexpr uint32_t kSigningKeyVcek = 0, kSigningKeyVlek = 1, kSigningKeyNone = 7;

// PLATFORM_INFO bits (SNP-FACTS §4).
constexpr uint64_t kPlatSmtEn = 1u << 0, kPlatTsmeEn = 1u << 1, kPlatRaplDis = 1u << 3,
                   kPlatCiphertextHiding = 1u << 4, kPlatAliasCheckComplete = 1u << 5;

}  // namespace

SevStatus SevFirmware::snp_msg_report(SnpGuestContext& g, uint8_t msg_vmpck, ByteSpan req,
                                      Bytes& rsp) {
  rsp.assign(snp::kMsgReportRspHeaderSize + ::cbit::psp::kReportSize, 0);
  store_le<uint32_t>(rsp.data() + 4, static_cast<uint32_t>(::cbit::psp::kReportSize));
  auto status = [&](uint32_t s) {
    store_le<uint32_t>(rsp.data(), s);
    return SevStatus::Success;
  };
  const auto r = snp::MsgReportReq::parse(req);
  if (!r || !r->reserved_zero || (r->key_sel & ~3u)) return status(snp::kMsgStatusInvalidParam);
  if (snp_key_sel_invalid(g, r->key_sel)) return status(snp::kMsgStatusInvalidKey);
  if (r->vmpl < msg_vmpck) return status(snp::kMsgStatusInvalidParam);

  const auto layout = snp_tcb_.layout;
  AttestationReport rep;
  const bool turin_or_new = (snp_.cpu && snp_.cpu->family >= 0x1A) || cfg_.api_major > 1 ||
                            (cfg_.api_major == 1 && cfg_.api_minor >= 58);
  rep.version = turin_or_new ? 5 : 3;
  const auto id = snp::IdBlock::parse(g.id_block, "ID block");
  rep.guest_svn = id.guest_svn;
  rep.family_id = id.family_id;
  rep.image_id = id.image_id;
  rep.policy = g.policy;
  rep.vmpl = r->vmpl;
  rep.signature_algo = ::cbit::psp::kSigAlgoEcdsaP384Sha384;
  rep.current_tcb = snp_current_tcb().encode(layout);
  uint64_t pi = 0;
  if (snp_tcb_.smt_enabled) pi |= kPlatSmtEn;
  if (sp_.mc_.tsme()) pi |= kPlatTsmeEn;
  if (snp_init_flags_ & kSnpInitRaplDis) pi |= kPlatRaplDis;
  if (snp_init_flags_ & kSnpInitCiphertextHidingEn) pi |= kPlatCiphertextHiding;
  if (alias_check_complete_) pi |= kPlatAliasCheckComplete;
  rep.platform_info = pi;
  // ASPFW: KEY_SEL 0 takes the VLEK when one is loaded, else the VCEK; 1 the VCEK; 2 the VLEK.
  // MASK_CHIP_KEY withholds the VCEK only.
  const bool use_vlek = r->key_sel == 2 || (r->key_sel == 0 && snp_vlek_loaded());
  EVP_PKEY* signer = use_vlek ? vlek_key_.get() : mask_chip_key_ ? nullptr : snp_vcek_key();
  const uint32_t signing_key = !signer    ? kSigningKeyNone
                               : use_vlek ? kSigningKeyVlek
                                          : kSigningKeyVcek;
  rep.key_info = (g.author_key_en ? 1u : 0u) | (mask_chip_key_ ? 2u : 0u) | (signing_key << 2);
  rep.report_data = r->report_data;
  if (g.ld) rep.measurement = g.ld->digest();
  rep.host_data = g.host_data;
  rep.id_key_digest = g.id_key_digest;
  rep.author_key_digest = g.author_key_digest;
  rep.report_id = g.report_id;
  rep.report_id_ma = g.report_id_ma;
  rep.reported_tcb = snp_reported_tcb().encode(layout);
  if (snp_.cpu) {
    rep.cpuid_fam_id = static_cast<uint8_t>(snp_.cpu->family);
    rep.cpuid_mod_id = static_cast<uint8_t>(snp_.cpu->model);
    rep.cpuid_step = static_cast<uint8_t>(snp_.cpu->stepping);
  }
  if (!mask_chip_id_) {
    const Bytes& cid = chip_id();
    const size_t n = layout == ::cbit::psp::TcbLayout::Turin ? 8 : rep.chip_id.size();
    std::copy_n(cid.begin(), n, rep.chip_id.begin());
  }
  rep.committed_tcb = committed_tcb_.encode(layout);
  rep.current_build = rep.committed_build = cfg_.build;
  rep.current_minor = rep.committed_minor = cfg_.api_minor;
  rep.current_major = rep.committed_major = cfg_.api_major;
  rep.launch_tcb = g.launch_tcb.encode(layout);

  Bytes bytes = rep.serialize();
  if (signer) ::cbit::psp::sign_report(bytes, signer);
  std::copy(bytes.begin(), bytes.end(), rsp.begin() + snp::kMsgReportRspHeaderSize);
  return status(snp::kMsgStatusSuccess);
}

}  // namespace cbit::hw::psp::sev
