// The per-core WBINVD_DONE flags the SEV firmware reads before DF_FLUSH (AMD-ASPFW
// sev_mcmd.c mcmd_df_flush_common: is_wbinvd_done / clear_wbinvd_done).
//
// On real parts each core sets its flag in hardware when it completes a WBINVD; the firmware
// clears the flags at INIT and at DEACTIVATE, and DF_FLUSH fails with WBINVD_REQUIRED until
// every core has set its flag again. Here the flags are a small register block, and
// WbinvdTrackingCacheControl is the core side: it forwards every cache-control operation to the
// real cache and sets the core's flag when a WBINVD completes. WBNOINVD, INVD and CLFLUSH do not
// set it (INVD drops dirty lines; the others leave stale keyed lines in the cache).
#pragma once
#include <cstdint>
#include <vector>

#include "hw/mem_port.h"

namespace cbit::hw::psp::sev {

class WbinvdDone {
 public:
  explicit WbinvdDone(unsigned cores = 1) : done_(cores ? cores : 1, false) {}
  unsigned cores() const { return static_cast<unsigned>(done_.size()); }
  void set(unsigned core) {
    if (core < done_.size()) done_[core] = true;
  }
  bool all_done() const {
    for (bool d : done_)
      if (!d) return false;
    return true;
  }
  bool done(unsigned core) const { return core < done_.size() && done_[core]; }
  // Firmware side (INIT, DEACTIVATE).
  void clear_all() { done_.assign(done_.size(), false); }
  uint64_t wbinvds() const { return wbinvds_; }
  void count() { ++wbinvds_; }

 private:
  std::vector<bool> done_;
  uint64_t wbinvds_ = 0;
};

// One core's cache-control instructions, as seen by the WBINVD_DONE hardware.
class WbinvdTrackingCacheControl final : public CacheControl {
 public:
  WbinvdTrackingCacheControl(CacheControl& inner, WbinvdDone& flags, unsigned core)
      : inner_(inner), flags_(flags), core_(core) {}
  void clflush(SysPhysAddr pa) override { inner_.clflush(pa); }
  void clflush_lines(SysPhysAddr pa, uint64_t len) override { inner_.clflush_lines(pa, len); }
  void wbinvd() override {
    inner_.wbinvd();
    flags_.count();
    flags_.set(core_);
  }
  void wbnoinvd() override { inner_.wbnoinvd(); }
  void invd() override { inner_.invd(); }
  void vm_page_flush(SysPhysAddr page, Asid asid) override { inner_.vm_page_flush(page, asid); }

 private:
  CacheControl& inner_;
  WbinvdDone& flags_;
  unsigned core_;
};

}  // namespace cbit::hw::psp::sev
