#include "psp/snp/secrets_page.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

namespace cbit::psp::snp {

Bytes snp_secrets_page_build(const SecretsPageInit& init,
                             std::span<const Vmpck, kVmpckCount> vmpcks) {
  Bytes page(kSecretsPageSize, 0);
  uint8_t* p = page.data();
  store_le<uint32_t>(p + secrets_off::kVersion, kSecretsPageVersion);
  store_le<uint32_t>(p + secrets_off::kImiEn, init.imi_en ? 1u : 0u);
  store_le<uint32_t>(p + secrets_off::kFms, init.fms);
  std::memcpy(p + secrets_off::kGosvw, init.gosvw.data(), init.gosvw.size());
  for (unsigned i = 0; i < kVmpckCount; ++i)
    std::memcpy(p + secrets_off::kVmpck0 + i * kVmpckSize, vmpcks[i].data(), kVmpckSize);
  std::memcpy(p + secrets_off::kVmsaTweakBitmap, init.vmsa_tweak_bitmap.data(),
              init.vmsa_tweak_bitmap.size());
  store_le<uint32_t>(p + secrets_off::kTscFactor, init.tsc_factor);
  return page;
}

std::optional<SecretsPageInfo> snp_secrets_page_read(ByteSpan page) {
  if (page.size() != kSecretsPageSize) return std::nullopt;
  const uint8_t* p = page.data();
  SecretsPageInfo s;
  s.version = load_le<uint32_t>(p + secrets_off::kVersion);
  if (s.version < 2) return std::nullopt;
  s.imi_en = load_le<uint32_t>(p + secrets_off::kImiEn) & 1;
  s.fms = load_le<uint32_t>(p + secrets_off::kFms);
  std::memcpy(s.gosvw.data(), p + secrets_off::kGosvw, s.gosvw.size());
  for (unsigned i = 0; i < kVmpckCount; ++i)
    s.msg_seqno[i] = load_le<uint32_t>(p + secrets_off::kMsgSeqno0 + 4 * i);
  s.ap_jump_table_pa = load_le<uint64_t>(p + secrets_off::kApJumpTablePa);
  std::memcpy(s.vmsa_tweak_bitmap.data(), p + secrets_off::kVmsaTweakBitmap,
              s.vmsa_tweak_bitmap.size());
  s.svsm_base = load_le<uint64_t>(p + secrets_off::kSvsmBase);
  s.svsm_size = load_le<uint64_t>(p + secrets_off::kSvsmSize);
  s.svsm_caa = load_le<uint64_t>(p + secrets_off::kSvsmCaa);
  s.svsm_max_version = load_le<uint32_t>(p + secrets_off::kSvsmMaxVersion);
  s.svsm_guest_vmpl = p[secrets_off::kSvsmGuestVmpl];
  s.tsc_factor = load_le<uint32_t>(p + secrets_off::kTscFactor);
  return s;
}

ByteSpan vmpck(ByteSpan page, unsigned index) {
  if (index >= kVmpckCount || page.size() < kSecretsPageSize) return {};
  return page.subspan(secrets_off::kVmpck0 + index * kVmpckSize, kVmpckSize);
}

bool vmpck_disabled(ByteSpan page, unsigned index) {
  const ByteSpan k = vmpck(page, index);
  return std::all_of(k.begin(), k.end(), [](uint8_t b) { return b == 0; });
}

void wipe_vmpck(MutByteSpan page, unsigned index) {
  if (index >= kVmpckCount || page.size() < kSecretsPageSize) return;
  OPENSSL_cleanse(page.data() + secrets_off::kVmpck0 + index * kVmpckSize, kVmpckSize);
}

uint32_t msg_seqno(ByteSpan page, unsigned index) {
  if (index >= kVmpckCount || page.size() < kSecretsPageSize) return 0;
  return load_le<uint32_t>(page.data() + secrets_off::kMsgSeqno0 + 4 * index);
}

void set_msg_seqno(MutByteSpan page, unsigned index, uint32_t seqno) {
  if (index >= kVmpckCount || page.size() < kSecretsPageSize) return;
  store_le<uint32_t>(page.data() + secrets_off::kMsgSeqno0 + 4 * index, seqno);
}

}  // namespace cbit::psp::snp
