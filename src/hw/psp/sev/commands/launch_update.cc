// LAUNCH_UPDATE_DATA and LAUNCH_UPDATE_VMSA (SEV-API; AMD-ASPFW sev_mcmd.c launch_update_common,
// sev_mcmd_launch_update_vmsa).
//
// The pages are read as the host left them (plaintext; through the host key when the address
// carries the C-bit), measured into the launch digest unaltered, and written back in place
// encrypted with the guest's VEK, which ACTIVATE loaded into the key slot of the guest's ASID.
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "hw/svm/vmsa_integrity.h"

namespace cbit::hw::psp::sev {

// struct sev_data_launch_update_data / _vmsa { u32 handle; u32 reserved; u64 address; u32 len; }
SevStatus SevFirmware::cmd_launch_update(Bytes& buf, bool vmsa) {
  const uint64_t addr = load_le<uint64_t>(buf.data() + 8);
  const uint32_t len = load_le<uint32_t>(buf.data() + 16);
  if (vmsa && len != kVmsaSize) return SevStatus::InvalidLen;
  if (state_ != PlatformState::Working) return SevStatus::InvalidPlatformState;
  GuestContext* g = guest(load_le<uint32_t>(buf.data()));
  if (!g) return SevStatus::InvalidGuest;
  if (g->state != GuestState::Lupdate) return SevStatus::InvalidGuestState;
  if (vmsa && !g->es) return SevStatus::Unsupported;
  if (g->inactive()) return SevStatus::Inactive;
  if (strip_cbit(addr) % kAesBlockSize) return SevStatus::InvalidAddress;
  if (len % kAesBlockSize || len == 0) return SevStatus::InvalidLen;
  SysPhysAddr pa;
  if (SevStatus st = check_range(addr, len, false, &pa); st != SevStatus::Success) return st;

  // In chunks, as the firmware's scratch buffer (ASPFW SEV_SCRATCH_BUF_LEN = 0x5000). The update
  // is in place (the host's pages are the guest's), so the DMA snoops each chunk once for a write
  // (dirty lines written back, every copy invalidated: what the read's snoop and the write's snoop
  // did between them, as nothing runs in between), reads it through the host's key or none,
  // measures it and writes it back through the guest's key. check_range above covered the whole
  // range, and the 16-byte alignment the guest-key write needs.
  constexpr uint32_t kChunk = 0x5000;
  const EncTag host = has_cbit(addr) ? EncTag{true, KeyId::host()} : EncTag::none();
  const EncTag guest_key{true, KeyId::for_asid(Asid(g->asid))};
  Bytes chunk(std::min(kChunk, len));
  for (uint32_t done = 0; done < len;) {
    const uint32_t n = std::min(kChunk, len - done);
    chunk.resize(n);
    const SysPhysAddr at(pa.value + done);
    snoop(at, n, true);
    sp_.mc_.read(at, chunk, host);
    if (vmsa)
      g->ld->update_vmsa(chunk);
    else
      g->ld->update_data(chunk);
    sp_.mc_.write(at, chunk, guest_key);
    done += n;
  }
  if (vmsa) {
    // The VMSA's integrity value, which VMRUN checks before it loads the state (hw/svm/).
    if (integrity_) integrity_->record(SysPhysAddr(strip_cbit(addr)), chunk);
    ++g->vmsas;
  }
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
