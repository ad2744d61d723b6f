// LAUNCH_SECRET (SEV-API; AMD-ASPFW sev_mcmd.c sev_mcmd_launch_secret, sev_channel.c
// sev_channel_extract_secret): checks the packet's MAC with the TIK (bound to this launch's
// measurement), decrypts it with the TEK and writes it into guest memory with the guest's key.
#include <openssl/crypto.h>

#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

// struct sev_data_launch_secret { u32 handle; u32 reserved1; u64 hdr_address; u32 hdr_len;
//   u32 reserved2; u64 guest_address; u32 guest_len; u32 reserved3; u64 trans_address;
//   u32 trans_len; }
SevStatus SevFirmware::cmd_launch_secret(Bytes& buf) {
  if (state_ != PlatformState::Working) return SevStatus::InvalidPlatformState;
  const uint8_t* b = buf.data();
  GuestContext* g = guest(load_le<uint32_t>(b));
  if (!g) return SevStatus::InvalidGuest;
  const uint64_t hdr_addr = load_le<uint64_t>(b + 8);
  const uint32_t hdr_len = load_le<uint32_t>(b + 16);
  const uint64_t guest_addr = load_le<uint64_t>(b + 24);
  const uint32_t guest_len = load_le<uint32_t>(b + 32);
  const uint64_t trans_addr = load_le<uint64_t>(b + 40);
  const uint32_t trans_len = load_le<uint32_t>(b + 48);
  if (strip_cbit(guest_addr) % kAesBlockSize) return SevStatus::InvalidAddress;
  if (hdr_len != kPacketHeaderLen || guest_len % kAesBlockSize || guest_len == 0 ||
      guest_len > 0x5000 || guest_len != trans_len)
    return SevStatus::InvalidLen;
  if (g->state != GuestState::Lsecret) return SevStatus::InvalidGuestState;
  if (g->inactive()) return SevStatus::Inactive;
  SysPhysAddr pa;
  if (SevStatus st = check_range(strip_cbit(guest_addr), guest_len, true, &pa);
      st != SevStatus::Success)
    return st;
  Bytes hdr_bytes(kPacketHeaderLen);
  if (SevStatus st = host_read(hdr_addr, hdr_bytes); st != SevStatus::Success) return st;
  const PacketHeader hdr = PacketHeader::parse(hdr_bytes);
  Bytes data(trans_len);
  if (SevStatus st = host_read(trans_addr, data); st != SevStatus::Success) return st;
  const auto mac =
      secret_packet_mac(g->channel.tik, hdr, guest_len, trans_len, data, g->measurement);
  if (!equal_ct(mac, hdr.mac)) return SevStatus::BadMeasurement;
  if (hdr.flags & 1) return SevStatus::Unsupported;  // compressed packets
  Bytes secret = aes128_ctr(g->channel.tek, hdr.iv, data);
  const SevStatus st = guest_write(strip_cbit(guest_addr), secret, *g);
  OPENSSL_cleanse(secret.data(), secret.size());
  return st;
}

}  // namespace cbit::hw::psp::sev
