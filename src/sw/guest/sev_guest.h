// The SEV-SNP guest driver (Linux drivers/virt/coco/sev-guest/sev-guest.c with
// arch/x86/coco/sev/core.c snp_send_guest_request / snp_issue_guest_request, 6.8-6.13; uapi
// include/uapi/linux/sev-guest.h; SNP-FACTS.md §3, §5.3): /dev/sev-guest and the provider
// behind configfs-tsm.
//
// Probe (GuestKernel::sev_guest(), on first use, as `modprobe sev-guest` would): SNP active, a
// secrets page, VMPCK<vmpck_id> (the module parameter; -1 = the VMPL the guest runs at, 0 here)
// not zero. One decrypted page each for the request and the response, and a decrypted
// SEV_FW_BLOB_MAX_SIZE (16 KiB) buffer for certificates, are allocated at probe.
//
// snp_send_guest_request(): refuses with -ENOTTY once the VMPCK is wiped; seqno = the secrets
// page's OS-area msg_seqno_<id> + 1 (0 past 32 bits -> -EIO); the payload sealed with
// AES-256-GCM under the VMPCK (psp/snp/guest_msg.h) in private memory, copied to the shared
// request page; the NAE event through the GHCB (BUSY retried, INVALID_LEN of an extended request
// retried as a plain request so the seqno is still consumed); seqno += 2; any other error after
// sending, or a response whose type, version, seqno or VMPCK is not the request's, or that does
// not authenticate, wipes the VMPCK in the secrets page ("Disabling VMPCK%d communication key
// to prevent IV reuse."). The key is read from guest memory for each request and the copy wiped.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>

#include "common/bytes.h"

namespace cbit::x86 {
class GuestMemory;
}

namespace cbit::sw::guest {

class GuestKernel;

// uapi sev-guest.h. struct snp_guest_request_ioctl: 0x00 u8 msg_version · 0x08 u64 req_data ·
// 0x10 u64 resp_data · 0x18 u64 exitinfo2 {u32 fw_error; u32 vmm_error} (32 bytes).
inline constexpr size_t kSnpGuestRequestIoctlSize = 32;
// _IOWR('S', nr, struct snp_guest_request_ioctl) = 3 << 30 | 32 << 16 | 'S' << 8 | nr.
constexpr uint32_t snp_ioc(uint32_t nr) {
  return 3u << 30 | uint32_t{kSnpGuestRequestIoctlSize} << 16 | uint32_t{'S'} << 8 | nr;
}
inline constexpr uint32_t SNP_GET_REPORT = snp_ioc(0x0);       // 0xC0205300
inline constexpr uint32_t SNP_GET_DERIVED_KEY = snp_ioc(0x1);  // 0xC0205301
inline constexpr uint32_t SNP_GET_EXT_REPORT = snp_ioc(0x2);   // 0xC0205302
static_assert(SNP_GET_REPORT == 0xC0205300u && SNP_GET_EXT_REPORT == 0xC0205302u);
// struct snp_report_req {u8 user_data[64]; u32 vmpl; u8 rsvd[28];} (the MSG_REPORT_REQ payload);
// struct snp_report_resp {u8 data[4000];}; struct snp_derived_key_req (0x20, the MSG_KEY_REQ
// payload); struct snp_derived_key_resp {u8 data[64];}; struct snp_ext_report_req {struct
// snp_report_req data; u64 certs_address; u32 certs_len;} (0x6C bytes, packed to 0x70).
inline constexpr size_t kSnpReportReqSize = 96;
inline constexpr size_t kSnpReportRespSize = 4000;
inline constexpr size_t kSnpDerivedKeyReqSize = 32;
inline constexpr size_t kSnpDerivedKeyRespSize = 64;
inline constexpr size_t kSnpExtReportReqSize = 112;
inline constexpr uint64_t SEV_FW_BLOB_MAX_SIZE = 0x4000;
// exitinfo2 before any firmware call (SEV_RET_NO_FW_CALL = -1).
inline constexpr uint64_t SEV_RET_NO_FW_CALL = ~0ull;
// VMM errors in exitinfo2's high half (sev-common.h SNP_GUEST_VMM_ERR_*).
inline constexpr uint32_t SNP_GUEST_VMM_ERR_INVALID_LEN = 1;
inline constexpr uint32_t SNP_GUEST_VMM_ERR_BUSY = 2;

class SevGuestDevice {
 public:
  // sev_guest_probe(): 0 or -errno (-ENODEV without SNP or a secrets page, -EINVAL for an
  // invalid or zero VMPCK), with Linux's dmesg lines.
  static std::unique_ptr<SevGuestDevice> probe(GuestKernel& k, int vmpck_id, int* err);

  // The kernel-buffer forms of the three requests (Linux's get_report / get_derived_key /
  // get_ext_report). `exitinfo2` gets the GHCB's SW_EXITINFO2 (SEV_RET_NO_FW_CALL when no
  // request was sent). 0 or -errno.
  int get_report(uint8_t msg_version, ByteSpan req, Bytes* resp, uint64_t* exitinfo2);
  int get_derived_key(uint8_t msg_version, ByteSpan req, Bytes* resp, uint64_t* exitinfo2);
  // `*certs_len` in: the caller's buffer (0 = no certificates; else a page multiple up to
  // SEV_FW_BLOB_MAX_SIZE), out: the bytes needed on INVALID_LEN. `certs` gets the buffer.
  int get_ext_report(uint8_t msg_version, ByteSpan req, uint32_t* certs_len, Bytes* certs,
                     Bytes* resp, uint64_t* exitinfo2);

  // snp_guest_ioctl(): `arg` is the user's struct snp_guest_request_ioctl, copied in and (when
  // exitinfo2 is non-zero) back out through `user` (CPL 3 rights: a bad pointer is -EFAULT).
  int64_t ioctl(uint32_t cmd, uint64_t arg, x86::GuestMemory& user);

  unsigned vmpck_id() const { return vmpck_id_; }
  // Whether the VMPCK in the secrets page is zero (read through the guest's memory: in a task).
  bool vmpck_disabled() const;
  uint64_t requests_sent() const { return sent_; }

 private:
  SevGuestDevice(GuestKernel& k, unsigned id) : k_(&k), vmpck_id_(id) {}
  int send_guest_request(uint64_t exit_code, uint8_t msg_type, uint8_t msg_version,
                         ByteSpan payload, size_t resp_max, Bytes* resp, uint64_t* exitinfo2,
                         uint64_t* data_npages);
  void snp_disable_vmpck();

  GuestKernel* k_;
  unsigned vmpck_id_;
  uint64_t request_gpa_ = 0, response_gpa_ = 0, certs_gpa_ = 0;
  uint64_t sent_ = 0;
};

}  // namespace cbit::sw::guest
