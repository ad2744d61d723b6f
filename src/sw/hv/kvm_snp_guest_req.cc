// KVM's half of SNP_GUEST_REQUEST (Linux arch/x86/kvm/svm/sev.c snp_handle_guest_req; SNP ABI
// "SNP_GUEST_REQUEST"; SNP-FACTS.md §2.4, §3.1). KVM never sees a message in the clear: it
// copies the guest's ciphertext from the guest's shared page into a page of its own, hands the
// firmware that page and a Firmware-state response page, and copies the (encrypted) response
// back. The response page goes Firmware -> (command) -> reclaimed to Hypervisor state before
// the host reads it, as every firmware-owned page the ccp driver hands out does.
#include <cerrno>

#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/kvm_sev_snp.h"

namespace cbit::sw::hv {

int KvmSnpVm::snp_guest_request(ByteSpan request, Bytes* response, int* fw_error) {
  *fw_error = 0;
  if (!active_ || !snp_context_) return -EINVAL;
  if (request.size() != kPageSize) return -EINVAL;
  const auto req = k_.alloc_pages(0);  // sev->guest_req_buf
  if (!req) return -ENOMEM;
  k_.memcpy_to(*req, request);
  const auto rsp = dev_.snp_alloc_firmware_page();  // sev->guest_resp_buf
  if (!rsp) {
    k_.free_pages(*req, 0);
    return -ENOMEM;
  }
  host::sev_data_snp_guest_request d{};
  d.gctx_paddr = gctx_paddr();
  d.req_paddr = dev_.__psp_pa(*req);
  d.res_paddr = dev_.__psp_pa(*rsp);
  const int rc = dev_.sev_do_cmd(host::SevCmd::SnpGuestRequest, &d, fw_error);
  k_.free_pages(*req, 0);
  // The response page back to the host before it is read; a page that cannot be reclaimed is
  // leaked by the driver and its contents never reach the guest.
  if (dev_.snp_reclaim_pages(k_.__pa(*rsp), 1) != 0) return -EFAULT;
  response->assign(kPageSize, 0);
  k_.memcpy_from(*rsp, *response);
  k_.free_pages(*rsp, 0);
  return rc;
}

}  // namespace cbit::sw::hv
