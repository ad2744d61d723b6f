// Fuzzes the ID block + ID authentication pair of SNP_LAUNCH_FINISH: the input is the 0x60-byte
// ID block followed by the 4 KiB ID auth page (short inputs are zero-padded). The firmware's
// verdict is one of its status codes, never a crash; a verdict of SUCCESS comes with the digest
// of the ID key, and the first check (LD) is the one that fails for a foreign LD.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "crypto/hash.h"
#include "psp/snp/id_block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit::psp::snp;
  using cbit::hw::psp::sev::SevStatus;
  cbit::Bytes in(data, data + std::min(size, kIdBlockSize + kIdAuthSize));
  in.resize(kIdBlockSize + kIdAuthSize, 0);
  const cbit::ByteSpan block(in.data(), kIdBlockSize);
  const cbit::ByteSpan auth(in.data() + kIdBlockSize, kIdAuthSize);
  const IdBlock b = IdBlock::parse(block, "fuzz");
  if (!(b.serialize() == cbit::Bytes(block.begin(), block.end()))) std::abort();
  const bool auth_key_en = size > 0 && (data[size - 1] & 1);
  // The LD and policy the block claims, so the signature checks are reached.
  const IdBlockCheck c = snp_id_block_verify(block, auth, b.ld, b.policy, auth_key_en);
  switch (c.status) {
    case SevStatus::Success:
      if (c.id_key_digest != id_key_digest(IdAuth::parse(auth, "fuzz").id_key)) std::abort();
      break;
    case SevStatus::InvalidParam:
    case SevStatus::BadSignature:
      break;
    default:
      std::abort();
  }
  Sha384 other = b.ld;
  other[0] ^= 0xFF;
  if (snp_id_block_verify(block, auth, other, b.policy, auth_key_en).status !=
      SevStatus::BadMeasurement)
    std::abort();
  return 0;
}
