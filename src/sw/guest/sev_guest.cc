// The sev-guest driver's requests; sev_guest.h has the contract.
#include "sw/guest/sev_guest.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>

#include "hw/cpu/fault.h"
#include "psp/snp/guest_msg.h"
#include "psp/snp/secrets_page.h"
#include "sw/ghcb/ghcb.h"
#include "sw/guest/kernel.h"
#include "x86/guest_memory.h"

namespace cbit::sw::guest {

namespace {
namespace snp = psp::snp;
constexpr const char* kDev = "sev-guest sev-guest: ";  // dev_*() prefix of the platform device

// The VMPCK as the driver uses it: read from the secrets page (guest memory) into a buffer that
// is wiped when the request is done.
struct VmpckCopy {
  std::array<uint8_t, snp::kVmpckSize> key{};
  ~VmpckCopy() { OPENSSL_cleanse(key.data(), key.size()); }
};

GuestPhysAddr secrets_gpa(const GuestKernel& k) { return *k.config().snp_secrets_page; }

bool read_vmpck(GuestKernel& k, unsigned id, VmpckCopy* out) {
  k.memcpy_from(k.__va(secrets_gpa(k)) + snp::secrets_off::kVmpck0 + id * snp::kVmpckSize,
                out->key);
  return std::any_of(out->key.begin(), out->key.end(), [](uint8_t b) { return b != 0; });
}

uint32_t read_seqno(GuestKernel& k, unsigned id) {
  uint8_t b[4];
  k.memcpy_from(k.__va(secrets_gpa(k)) + snp::secrets_off::kMsgSeqno0 + 4 * id, b);
  return load_le<uint32_t>(b);
}

void write_seqno(GuestKernel& k, unsigned id, uint32_t v) {
  uint8_t b[4];
  store_le<uint32_t>(b, v);
  k.memcpy_to(k.__va(secrets_gpa(k)) + snp::secrets_off::kMsgSeqno0 + 4 * id, b);
}

// A decrypted (shared) buffer of `pages` pages: its GPA, or 0.
uint64_t alloc_shared(GuestKernel& k, unsigned order) {
  const auto va = k.alloc_pages(order);
  if (!va) return 0;
  if (k.set_memory_decrypted(*va, 1 << order) != 0) return 0;  // leaked, as Linux does
  return k.__pa(*va).value;
}
}  // namespace

std::unique_ptr<SevGuestDevice> SevGuestDevice::probe(GuestKernel& k, int vmpck_id, int* err) {
  *err = -ENODEV;
  if (!k.sev_snp_active() || !k.config().snp_secrets_page) return nullptr;
  // "vmpck_id == -1": the VMPL the kernel runs at (snp_vmpl; 0 without an SVSM).
  const int id = vmpck_id < 0 ? 0 : vmpck_id;
  if (id > 3) {
    k.printk(fmt::format("{}Invalid VMPCK{} communication key", kDev, id));
    *err = -EINVAL;
    return nullptr;
  }
  {
    VmpckCopy key;
    if (!read_vmpck(k, static_cast<unsigned>(id), &key)) {
      k.printk(fmt::format("{}Invalid VMPCK{} communication key", kDev, id));
      *err = -EINVAL;
      return nullptr;
    }
  }
  std::unique_ptr<SevGuestDevice> dev(new SevGuestDevice(k, static_cast<unsigned>(id)));
  SevGuestDevice& d = *dev;
  d.request_gpa_ = alloc_shared(k, 0);
  d.response_gpa_ = alloc_shared(k, 0);
  d.certs_gpa_ = alloc_shared(k, 2);  // SEV_FW_BLOB_MAX_SIZE: 4 pages
  if (!d.request_gpa_ || !d.response_gpa_ || !d.certs_gpa_) {
    *err = -ENOMEM;
    return nullptr;
  }
  k.printk(
      fmt::format("{}Initialized SEV guest driver (using VMPCK{} communication key)", kDev, id));
  *err = 0;
  return dev;
}

bool SevGuestDevice::vmpck_disabled() const {
  VmpckCopy key;
  return !read_vmpck(*k_, vmpck_id_, &key);
}

// snp_disable_vmpck(): the key in the secrets page is zeroed; every later request is -ENOTTY.
void SevGuestDevice::snp_disable_vmpck() {
  k_->printk(
      fmt::format("{}Disabling VMPCK{} communication key to prevent IV reuse.", kDev, vmpck_id_));
  const std::array<uint8_t, snp::kVmpckSize> zero{};
  k_->memcpy_to(
      k_->__va(secrets_gpa(*k_)) + snp::secrets_off::kVmpck0 + vmpck_id_ * snp::kVmpckSize, zero);
}

int SevGuestDevice::send_guest_request(uint64_t exit_code, uint8_t msg_type, uint8_t msg_version,
                                       ByteSpan payload, size_t resp_max, Bytes* resp,
                                       uint64_t* exitinfo2, uint64_t* data_npages) {
  VmpckCopy key;
  if (!read_vmpck(*k_, vmpck_id_, &key)) {
    k_->printk(fmt::format("{}VMPCK is disabled", kDev));
    return -ENOTTY;
  }
  // snp_get_msg_seqno(): the OS area holds a 32-bit count.
  const uint64_t count = read_seqno(*k_, vmpck_id_);
  if (count + 1 >= 0xFFFFFFFFull) {
    k_->printk(fmt::format("{}request message sequence counter overflow", kDev));
    return -EIO;
  }
  const uint64_t seqno = count + 1;
  // The response page is cleared for the host to fill.
  k_->memcpy_to(k_->__va(GuestPhysAddr(response_gpa_)), Bytes(kPageSize, 0));
  // enc_payload() into private memory, then the ciphertext to the shared request page. The
  // payload is padded to the AES block for MSG_SIZE (every uapi payload already is).
  Bytes padded(payload.begin(), payload.end());
  padded.resize((padded.size() + 15) / 16 * 16, 0);
  snp::GuestMsgHeader hdr;
  hdr.msg_seqno = seqno;
  hdr.msg_type = msg_type;
  hdr.msg_version = msg_version;
  hdr.msg_vmpck = static_cast<uint8_t>(vmpck_id_);
  Bytes msg = snp::snp_guest_msg_seal(key.key, hdr, padded);
  msg.resize(kPageSize, 0);
  k_->memcpy_to(k_->__va(GuestPhysAddr(request_gpa_)), msg);

  // __handle_guest_request().
  uint64_t override_err = 0, override_npages = 0;
  int rc;
  for (int tries = 0;; ++tries) {
    ++sent_;
    rc = k_->snp_issue_guest_request(exit_code, request_gpa_, response_gpa_, certs_gpa_,
                                     data_npages, exitinfo2);
    if (rc == -ENOSPC) {
      // "retry the same guest request without the extended data request in order to increment
      // the sequence number and thus avoid IV reuse."
      override_npages = *data_npages;
      exit_code = ghcb::vmgexit::kGuestRequest;
      override_err = uint64_t{SNP_GUEST_VMM_ERR_INVALID_LEN} << 32;
      continue;
    }
    // BUSY: Linux retries every 2 s for 60 s (SNP_REQ_RETRY_DELAY, _MAX_RETRY_DURATION).
    if (rc == -EAGAIN) {
      if (tries >= 30) {
        rc = -ETIMEDOUT;
        break;
      }
      continue;
    }
    break;
  }
  write_seqno(*k_, vmpck_id_, static_cast<uint32_t>(count + 2));  // snp_inc_msg_seqno()
  if (override_err) {
    *exitinfo2 = override_err;
    if (!rc) rc = -EIO;
  }
  if (override_npages) *data_npages = override_npages;
  if (rc) {
    if (rc == -EIO && *exitinfo2 == uint64_t{SNP_GUEST_VMM_ERR_INVALID_LEN} << 32) return rc;
    k_->printk(fmt::format("{}Detected error from ASP request. rc: {}, exitinfo2: {:#x}", kDev, rc,
                           *exitinfo2));
    snp_disable_vmpck();
    return rc;
  }

  // verify_and_dec_payload(): the response copied to private memory, then checked.
  Bytes r(kPageSize);
  k_->memcpy_from(k_->__va(GuestPhysAddr(response_gpa_)), r);
  const auto rh = snp::GuestMsgHeader::parse(r);
  int bad = 0;
  if (!rh || rh->msg_seqno != seqno + 1 || rh->msg_type != msg_type + 1 ||
      rh->msg_version != msg_version || rh->msg_vmpck != vmpck_id_ ||
      size_t{rh->msg_size} + snp::kGcmTagSize > resp_max)
    bad = -EBADMSG;
  std::optional<Bytes> plain;
  if (!bad) {
    snp::GuestMsgError e = snp::GuestMsgError::None;
    plain = snp::snp_guest_msg_open(key.key, r, nullptr, &e);
    if (!plain) bad = -EBADMSG;
  }
  if (bad) {
    k_->printk(fmt::format("{}Detected unexpected decode failure from ASP. rc: {}", kDev, bad));
    snp_disable_vmpck();
    return bad;
  }
  *resp = std::move(*plain);
  OPENSSL_cleanse(msg.data(), msg.size());
  return 0;
}

int SevGuestDevice::get_report(uint8_t msg_version, ByteSpan req, Bytes* resp,
                               uint64_t* exitinfo2) {
  if (req.size() < kSnpReportReqSize) return -EINVAL;
  uint64_t npages = 0;
  Bytes r;
  const int rc = send_guest_request(ghcb::vmgexit::kGuestRequest,
                                    static_cast<uint8_t>(snp::SnpMsgType::ReportReq), msg_version,
                                    req.subspan(0, kSnpReportReqSize),
                                    kSnpReportRespSize + snp::kGcmTagSize, &r, exitinfo2, &npages);
  if (rc) return rc;
  r.resize(kSnpReportRespSize, 0);
  *resp = std::move(r);
  return 0;
}

int SevGuestDevice::get_derived_key(uint8_t msg_version, ByteSpan req, Bytes* resp,
                                    uint64_t* exitinfo2) {
  if (req.size() < kSnpDerivedKeyReqSize) return -EINVAL;
  uint64_t npages = 0;
  Bytes r;
  const int rc = send_guest_request(
      ghcb::vmgexit::kGuestRequest, static_cast<uint8_t>(snp::SnpMsgType::KeyReq), msg_version,
      req.subspan(0, kSnpDerivedKeyReqSize), kSnpDerivedKeyRespSize + snp::kGcmTagSize, &r,
      exitinfo2, &npages);
  if (rc) {
    OPENSSL_cleanse(r.data(), r.size());
    return rc;
  }
  r.resize(kSnpDerivedKeyRespSize, 0);
  *resp = std::move(r);
  return 0;
}

int SevGuestDevice::get_ext_report(uint8_t msg_version, ByteSpan req, uint32_t* certs_len,
                                   Bytes* certs, Bytes* resp, uint64_t* exitinfo2) {
  if (req.size() < kSnpReportReqSize) return -EINVAL;
  uint64_t npages = 0;
  if (*certs_len) {
    if (*certs_len > SEV_FW_BLOB_MAX_SIZE || *certs_len % kPageSize) return -EINVAL;
    // "If host does not supply any certs in it, then copy zeros".
    k_->memcpy_to(k_->__va(GuestPhysAddr(certs_gpa_)), Bytes(*certs_len, 0));
    npages = *certs_len / kPageSize;
  }
  Bytes r;
  const uint64_t want = npages;
  const int rc =
      send_guest_request(want ? ghcb::vmgexit::kExtGuestRequest : ghcb::vmgexit::kGuestRequest,
                         static_cast<uint8_t>(snp::SnpMsgType::ReportReq), msg_version,
                         req.subspan(0, kSnpReportReqSize), kSnpReportRespSize + snp::kGcmTagSize,
                         &r, exitinfo2, &npages);
  if ((*exitinfo2 >> 32) == SNP_GUEST_VMM_ERR_INVALID_LEN && *exitinfo2 != SEV_RET_NO_FW_CALL)
    *certs_len = static_cast<uint32_t>(npages * kPageSize);
  if (rc) return rc;
  if (want) {
    certs->assign(want * kPageSize, 0);
    k_->memcpy_from(k_->__va(GuestPhysAddr(certs_gpa_)), *certs);
  } else {
    certs->clear();
  }
  r.resize(kSnpReportRespSize, 0);
  *resp = std::move(r);
  return 0;
}

int64_t SevGuestDevice::ioctl(uint32_t cmd, uint64_t arg, x86::GuestMemory& user) {
  uint8_t in[kSnpGuestRequestIoctlSize];
  const auto copy_from_user = [&](uint64_t va, MutByteSpan out) {
    try {
      user.read(VirtAddr(va), out);
      return true;
    } catch (const hw::CpuException&) {
      return false;
    }
  };
  const auto copy_to_user = [&](uint64_t va, ByteSpan b) {
    try {
      user.write(VirtAddr(va), b);
      return true;
    } catch (const hw::CpuException&) {
      return false;
    }
  };
  if (!copy_from_user(arg, in)) return -EFAULT;
  const uint8_t msg_version = in[0];
  const uint64_t req_data = load_le<uint64_t>(in + 8), resp_data = load_le<uint64_t>(in + 16);
  uint64_t exitinfo2 = SEV_RET_NO_FW_CALL;
  // "Message version must be non-zero".
  if (!msg_version) return -EINVAL;
  int64_t rc = -ENOTTY;
  switch (cmd) {
    case SNP_GET_REPORT:
    case SNP_GET_DERIVED_KEY: {
      const bool report = cmd == SNP_GET_REPORT;
      if (!req_data || !resp_data) {
        rc = -EINVAL;
        break;
      }
      Bytes req(report ? kSnpReportReqSize : kSnpDerivedKeyReqSize);
      if (!copy_from_user(req_data, req)) {
        rc = -EFAULT;
        break;
      }
      Bytes resp;
      rc = report ? get_report(msg_version, req, &resp, &exitinfo2)
                  : get_derived_key(msg_version, req, &resp, &exitinfo2);
      if (rc == 0 && !copy_to_user(resp_data, resp)) rc = -EFAULT;
      OPENSSL_cleanse(resp.data(), resp.size());
      break;
    }
    case SNP_GET_EXT_REPORT: {
      if (!req_data || !resp_data) {
        rc = -EINVAL;
        break;
      }
      Bytes req(kSnpExtReportReqSize);
      if (!copy_from_user(req_data, req)) {
        rc = -EFAULT;
        break;
      }
      const uint64_t certs_address = load_le<uint64_t>(req.data() + 96);
      uint32_t certs_len = certs_address ? load_le<uint32_t>(req.data() + 104) : 0;
      const uint32_t asked = certs_len;
      Bytes certs, resp;
      rc = get_ext_report(msg_version, ByteSpan(req).subspan(0, kSnpReportReqSize), &certs_len,
                          &certs, &resp, &exitinfo2);
      if ((exitinfo2 >> 32) == SNP_GUEST_VMM_ERR_INVALID_LEN && exitinfo2 != SEV_RET_NO_FW_CALL) {
        store_le<uint32_t>(req.data() + 104, certs_len);
        if (!copy_to_user(req_data, req)) rc = -EFAULT;
      }
      if (rc) break;
      if (asked && !copy_to_user(certs_address, certs)) rc = -EFAULT;
      if (!rc && !copy_to_user(resp_data, resp)) rc = -EFAULT;
      break;
    }
    default:
      break;
  }
  // "if (input.exitinfo2 && copy_to_user(argp, &input, sizeof(input)))"
  if (exitinfo2) {
    store_le<uint64_t>(in + 24, exitinfo2);
    if (!copy_to_user(arg, in)) return -EFAULT;
  }
  return rc;
}

}  // namespace cbit::sw::guest
