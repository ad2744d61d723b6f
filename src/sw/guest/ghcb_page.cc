#include "sw/guest/ghcb_page.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace cbit::sw::guest {

using namespace ghcb;

void GhcbPage::load(uint64_t off, uint64_t len) const {
  for_each_line_run(line_mask(off, len) & stale_, [&](unsigned first, unsigned n) {
    for (unsigned line = first; line < first + n; ++line)
      reader_(line, MutByteSpan(bytes_.data() + line * kLine, kLine));
  });
  stale_ &= ~line_mask(off, len);
}

void GhcbPage::store(uint64_t off, uint64_t len) {
  load(off, len);
  dirty_ |= line_mask(off, len);
}

void GhcbPage::reload(uint64_t lines) {
  CBIT_ASSERT(reader_);
  stale_ |= lines & ~dirty_;  // a changed line not yet stored is this copy's, not the page's
}

void GhcbPage::invalidate() {
  store(off::kSwExitCode, 8);
  store(off::kValidBitmap, 16);
  store_le<uint64_t>(bytes_.data() + off::kSwExitCode, 0);
  std::memset(bytes_.data() + off::kValidBitmap, 0, 16);
}

void GhcbPage::mark_valid(unsigned bit) {
  store(off::kValidBitmap + bit / 8, 1);
  bytes_[off::kValidBitmap + bit / 8] |= 1u << (bit % 8);
}

void GhcbPage::set(uint64_t field_off, uint64_t value) {
  store(field_off, 8);
  store_le<uint64_t>(bytes_.data() + field_off, value);
  mark_valid(valid_bit(field_off));
}

void GhcbPage::set_cpl(uint8_t cpl) {
  store(off::kCpl, 1);
  bytes_[off::kCpl] = cpl;
  mark_valid(valid_bit(off::kCpl));
}

uint64_t GhcbPage::get(uint64_t field_off) const {
  load(field_off, 8);
  return load_le<uint64_t>(bytes_.data() + field_off);
}

bool GhcbPage::is_valid(uint64_t field_off) const {
  const unsigned bit = valid_bit(field_off);
  load(off::kValidBitmap + bit / 8, 1);
  return bytes_[off::kValidBitmap + bit / 8] >> (bit % 8) & 1;
}

void GhcbPage::set_protocol(uint16_t version, uint32_t usage) {
  store(off::kProtocolVersion, 2);
  store(off::kGhcbUsage, 4);
  store_le<uint16_t>(bytes_.data() + off::kProtocolVersion, version);
  store_le<uint32_t>(bytes_.data() + off::kGhcbUsage, usage);
}

std::optional<SevInfo> decode_sev_info(uint64_t msr) {
  if (msr_proto::code(msr) != msr_proto::kSevInfoResp) return std::nullopt;
  return SevInfo{static_cast<uint16_t>(msr >> 48), static_cast<uint16_t>(msr >> 32),
                 static_cast<unsigned>(msr >> 24 & 0xff)};
}

std::optional<uint32_t> decode_cpuid_resp(uint64_t msr) {
  if (msr_proto::code(msr) != msr_proto::kCpuidResp) return std::nullopt;
  return static_cast<uint32_t>(msr >> 32);
}

std::optional<uint16_t> negotiate_protocol(const SevInfo& info) {
  if (info.max < kProtocolMin || info.min > kProtocolMax || info.min > info.max)
    return std::nullopt;
  return std::min<uint16_t>(info.max, kProtocolMax);
}

}  // namespace cbit::sw::guest
