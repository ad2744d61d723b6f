// DBG_DECRYPT and DBG_ENCRYPT (SEV-API; AMD-ASPFW sev_mcmd.c sev_mcmd_dbg_decrypt /
// sev_mcmd_dbg_encrypt, debug_crypt_common). Refused with POLICY_FAILURE when the guest's policy
// has NODBG. DECRYPT reads guest memory with the guest's key and writes it to host memory;
// ENCRYPT the reverse.
#include <openssl/crypto.h>

#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

// struct sev_data_dbg { u32 handle; u32 reserved; u64 src_addr; u64 dst_addr; u32 len; }
SevStatus SevFirmware::cmd_dbg(Bytes& buf, bool encrypt) {
  if (state_ != PlatformState::Working) return SevStatus::InvalidPlatformState;
  const uint8_t* b = buf.data();
  const uint64_t src = load_le<uint64_t>(b + 8);
  const uint64_t dst = load_le<uint64_t>(b + 16);
  const uint32_t len = load_le<uint32_t>(b + 24);
  if (strip_cbit(src) % kAesBlockSize || strip_cbit(dst) % kAesBlockSize)
    return SevStatus::InvalidAddress;
  if (len % kAesBlockSize) return SevStatus::InvalidLen;
  GuestContext* g = guest(load_le<uint32_t>(b));
  if (!g) return SevStatus::InvalidGuest;
  if (policy_has(g->policy, SevPolicyBit::Nodbg)) return SevStatus::PolicyFailure;
  if (g->inactive()) return SevStatus::Inactive;
  if (len == 0) return SevStatus::Success;
  // Both ranges are checked before any byte moves.
  SysPhysAddr pa;
  if (SevStatus st = check_range(encrypt ? dst : src, len, true, &pa); st != SevStatus::Success)
    return st;
  if (SevStatus st = check_range(encrypt ? src : dst, len, false, &pa); st != SevStatus::Success)
    return st;
  constexpr uint32_t kChunk = 0x5000;
  Bytes chunk;
  for (uint32_t done = 0; done < len;) {
    const uint32_t n = std::min(kChunk, len - done);
    chunk.resize(n);
    SevStatus st =
        encrypt ? host_read(src + done, chunk) : guest_read(strip_cbit(src) + done, chunk, *g);
    if (st == SevStatus::Success)
      st = encrypt ? guest_write(strip_cbit(dst) + done, chunk, *g) : host_write(dst + done, chunk);
    OPENSSL_cleanse(chunk.data(), chunk.size());
    if (st != SevStatus::Success) return st;
    done += n;
  }
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
