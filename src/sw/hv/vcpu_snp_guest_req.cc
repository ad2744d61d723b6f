// KVM's guest-request NAE events (Linux arch/x86/kvm/svm/sev.c snp_handle_guest_req,
// snp_handle_ext_guest_req and the KVM_EXIT_SNP_REQ_CERTS completion; GHCB specification 2.x
// §4.1.7 "SNP Guest Request", §4.1.8 "SNP Extended Guest Request"; SNP-FACTS.md §3.4):
//
//   0x80000011  SW_EXITINFO1 = request GPA, SW_EXITINFO2 = response GPA (both shared pages).
//               KVM reads the request page, calls SNP_GUEST_REQUEST (KvmSnpVm::snp_guest_request)
//               and writes the response page; SW_EXITINFO2 = the firmware's error in bits 31:0
//               (SNP_GUEST_ERR(0, fw_err)). A page KVM cannot read or write: KVM_RUN fails
//               (-EIO/-EFAULT to the VMM), the guest is not resumed.
//   0x80000012  adds RAX = certificate buffer GPA (page aligned) and RBX = its pages. For a
//               MSG_REPORT_REQ the VMM is asked for the certificates (KVM_EXIT_SNP_REQ_CERTS;
//               here VmConfig::snp_certs answers in-process): too few pages ->
//               SW_EXITINFO2 = SNP_GUEST_ERR(INVALID_LEN, 0) with RBX = the pages needed and no
//               firmware call; else the table is written to the buffer and the request goes on.
//               With no certificates configured KVM only writes the 24-byte terminator. Other
//               message types skip the certificates. Missing RAX/RBX or an unaligned buffer:
//               GHCB_ERR_INVALID_INPUT.
//
// KVM sees only the encrypted message: header fields in the clear, payload ciphertext.
#include <cerrno>

#include "common/error.h"
#include "psp/snp/guest_msg.h"
#include "sw/ghcb/ghcb.h"
#include "sw/hv/vcpu.h"
#include "sw/hv/vm.h"

namespace cbit::sw::hv {

namespace {
namespace gh = ghcb;
// SNP_GUEST_ERR(vmm_err, fw_err) and SNP_GUEST_VMM_ERR_GENERIC (~0U) of Linux's sev-common.h.
constexpr uint64_t snp_guest_err(uint32_t vmm, uint32_t fw) { return uint64_t{vmm} << 32 | fw; }
constexpr uint32_t SNP_GUEST_VMM_ERR_GENERIC = ~0u;
}  // namespace

std::optional<uint64_t> Vcpu::snp_handle_guest_req(uint64_t req_gpa, uint64_t rsp_gpa) {
  KvmSnpVm* snp = vm_.snp();
  if (!snp) return std::nullopt;
  Bytes req(kPageSize);
  try {
    vm_.memory().read(GuestPhysAddr(req_gpa), req);  // kvm_read_guest()
  } catch (const InputError&) {
    return std::nullopt;  // -EIO to the VMM
  }
  if (vm_.on_guest_request) vm_.on_guest_request(req);
  Bytes rsp;
  int fw_err = 0;
  ++guest_requests_;
  const int rc = snp->snp_guest_request(req, &rsp, &fw_err);
  // "Firmware failures are propagated on to guest, but any other failure condition along the
  // way should be reported to userspace."
  if (rc && !fw_err) return std::nullopt;
  if (vm_.on_guest_response) vm_.on_guest_response(rsp);
  try {
    vm_.memory().write(GuestPhysAddr(rsp_gpa), rsp);  // kvm_write_guest()
  } catch (const InputError&) {
    return std::nullopt;
  }
  return snp_guest_err(0, static_cast<uint32_t>(fw_err));
}

std::optional<uint64_t> Vcpu::snp_handle_ext_guest_req(uint8_t* g, uint64_t req_gpa,
                                                       uint64_t rsp_gpa, uint64_t* ghcb_err) {
  *ghcb_err = 0;
  uint8_t msg_type = 0;
  try {
    vm_.memory().read(GuestPhysAddr(req_gpa + psp::snp::guest_msg_off::kMsgType),
                      MutByteSpan(&msg_type, 1));
  } catch (const InputError&) {
    *ghcb_err = gh::ghcb_err::kInvalidInput;
    return 0;
  }
  if (msg_type == static_cast<uint8_t>(psp::snp::SnpMsgType::ReportReq)) {
    const auto valid = [&](uint64_t off) {
      const unsigned bit = gh::valid_bit(off);
      return (g[gh::off::kValidBitmap + bit / 8] >> (bit % 8)) & 1;
    };
    if (!valid(gh::off::kRax) || !valid(gh::off::kRbx)) {
      *ghcb_err = gh::ghcb_err::kInvalidInput;
      return 0;
    }
    const uint64_t data_gpa = load_le<uint64_t>(g + gh::off::kRax);
    const uint64_t data_npages = load_le<uint64_t>(g + gh::off::kRbx);
    if (data_gpa % kPageSize) {
      *ghcb_err = gh::ghcb_err::kInvalidInput;
      return 0;
    }
    try {
      // "the certificate table is terminated by 24-bytes of zeroes" (kvm_clear_guest).
      if (data_npages) vm_.memory().write(GuestPhysAddr(data_gpa), Bytes(24, 0));
      const Bytes& certs = vm_.config().snp_certs;
      if (!certs.empty()) {
        // The VMM's answer to KVM_EXIT_SNP_REQ_CERTS: -ENOSPC with the pages it needs.
        const uint64_t need = (certs.size() + kPageSize - 1) / kPageSize;
        if (data_npages < need) {
          store_le<uint64_t>(g + gh::off::kRbx, need);  // and its valid bit, as KVM syncs RBX
          const unsigned bit = gh::valid_bit(gh::off::kRbx);
          g[gh::off::kValidBitmap + bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
          return snp_guest_err(gh::vmgexit::kGuestReqErrInvalidLen, 0);
        }
        vm_.memory().write(GuestPhysAddr(data_gpa), certs);
      }
    } catch (const InputError&) {
      // The VMM could not write the guest's buffer (not shared, not RAM): a generic error.
      return snp_guest_err(SNP_GUEST_VMM_ERR_GENERIC, 0);
    }
  }
  return snp_handle_guest_req(req_gpa, rsp_gpa);
}

}  // namespace cbit::sw::hv
