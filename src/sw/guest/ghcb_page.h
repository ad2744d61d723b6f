// The guest's view of the GHCB (arch/x86/include/asm/svm.h struct ghcb, the ghcb_set_*/
// ghcb_*_is_valid accessors, vc_ghcb_invalidate in arch/x86/kernel/sev-shared.c) and of the
// GHCB MSR protocol answers (arch/x86/include/asm/sev-common.h GHCB_MSR_*). Offsets and codes
// come from sw/ghcb/ghcb.h, which the hypervisor uses too.
//
// Linux's accessors load and store the shared page's fields in place. This copy does the same at
// the grain of a 64-byte line: a field's line is loaded from the page (LineReader) before it is
// read or changed, the lines changed since the last VMGEXIT are stored before the next
// (take_dirty), and after VMGEXIT the lines the hypervisor may have written are loaded again
// when next read (reload). So a VMGEXIT moves the few lines its exit needs, not the page, and
// the hypervisor sees exactly the bytes the guest put there.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "common/bytes.h"
#include "sw/ghcb/ghcb.h"

namespace cbit::sw::guest {

class GhcbPage {
 public:
  static constexpr unsigned kLine = ghcb::kGhcbLine;
  // Loads line `line` (bytes [64*line, 64*line + 64)) of the shared page into `out`.
  using LineReader = std::function<void(unsigned line, MutByteSpan out)>;

  GhcbPage() { bytes_.fill(0); }

  // The shared page this copy stands for, which the guest has just cleared: all zeros, as this
  // copy then is. Without a reader, reload() is not allowed.
  void attach(LineReader reader) {
    bytes_.fill(0);
    reader_ = std::move(reader), stale_ = 0, dirty_ = 0;
  }

  // vc_ghcb_invalidate(): no exit code, no field valid.
  void invalidate();
  // ghcb_set_<field>(): the value and its valid bit.
  void set(uint64_t field_off, uint64_t value);
  void set_cpl(uint8_t cpl);  // a u8 at 0xCB; its valid bit is that of the quadword at 0xC8
  uint64_t get(uint64_t field_off) const;
  bool is_valid(uint64_t field_off) const;
  // The header Linux fills in sev_es_ghcb_hv_call(): protocol version, GHCB_DEFAULT_USAGE.
  void set_protocol(uint16_t version, uint32_t usage = 0);

  // The lines changed since the last call (bit i: line i), and those bits cleared; bytes()
  // holds their contents.
  uint64_t take_dirty() { return std::exchange(dirty_, 0); }
  // After VMGEXIT: the lines in `lines` (bit i: line i) are loaded again when next used.
  void reload(uint64_t lines);
  ByteSpan bytes() const { return bytes_; }

 private:
  void load(uint64_t off, uint64_t len) const;  // the lines holding [off, off+len), if stale
  void store(uint64_t off, uint64_t len);       // load, then mark changed
  void mark_valid(unsigned bit);

  LineReader reader_;
  mutable std::array<uint8_t, ghcb::kGhcbSize> bytes_;
  mutable uint64_t stale_ = 0;  // bit i: line i is not loaded
  uint64_t dirty_ = 0;          // bit i: line i changed since take_dirty()
};

// GHCB_MSR_SEV_INFO_RESP: the protocol range the hypervisor speaks and the C-bit position.
struct SevInfo {
  uint16_t max = 0, min = 0;
  unsigned cbit = 0;
};
std::optional<SevInfo> decode_sev_info(uint64_t msr);
// GHCB_MSR_CPUID_RESP: the register value, nullopt if `msr` is not a CPUID response.
std::optional<uint32_t> decode_cpuid_resp(uint64_t msr);
// The protocol version the guest uses (sev_es_negotiate_protocol): nullopt when the ranges do
// not overlap.
std::optional<uint16_t> negotiate_protocol(const SevInfo& info);

}  // namespace cbit::sw::guest
