// The integrity check of SEV-ES save areas (APM Vol. 2 §15.35.4; SPEC-FACTS "SEV-ES, GHCB": a
// CRC32 of each VMSA kept where software cannot reach it).
//
// LAUNCH_UPDATE_VMSA records the value of the page it encrypts; every #VMEXIT of an SEV-ES guest
// records the value of the state it saves; VMRUN compares before it loads the state and fails
// with VMEXIT_INVALID on a mismatch, so a hypervisor that writes into a VMSA (or replays an old
// one) cannot start the guest with it. On real parts the values live in the firmware's trusted
// memory region; here they live in this table, shared by the Secure Processor and the CPU cores
// and reachable by no software interface.
#pragma once
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "common/addr.h"
#include "common/bytes.h"

namespace cbit::hw::svm {

class VmsaIntegrity {
 public:
  static uint32_t checksum(ByteSpan vmsa_plaintext);
  void record(SysPhysAddr vmsa, ByteSpan plaintext) { values_[vmsa.value] = checksum(plaintext); }
  bool matches(SysPhysAddr vmsa, ByteSpan plaintext) const;
  void forget(SysPhysAddr vmsa) { values_.erase(vmsa.value); }

 private:
  std::unordered_map<uint64_t, uint32_t> values_;
};

}  // namespace cbit::hw::svm
