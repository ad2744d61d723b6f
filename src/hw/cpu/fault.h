// Architectural exceptions the simulated CPU raises (common/error.h: the "architectural fault"
// channel). They are C++ exceptions thrown by the instruction that faults and caught once, by
// whoever runs the CPU (the Machine, a test, the x86 runner), which delivers them to software.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "common/addr.h"

namespace cbit::hw {

// #PF error code bits (APM Vol. 2 §8.4.2, "Page-Fault Error Code"; Linux enum x86_pf_error_code).
namespace pf_err {
inline constexpr uint32_t kPresent = 1u << 0;  // P: 0 = not present, 1 = protection / reserved bit
inline constexpr uint32_t kWrite = 1u << 1;    // W/R: the access was a write
inline constexpr uint32_t kUser = 1u << 2;     // U/S: the access was made at CPL 3
inline constexpr uint32_t kRsvd = 1u << 3;     // RSV: a reserved bit was set in a paging entry
inline constexpr uint32_t kFetch = 1u << 4;    // I/D: instruction fetch (only with EFER.NXE=1)
inline constexpr uint32_t kPk = 1u << 5;       // PK: protection-key violation (not modelled)
inline constexpr uint32_t kSs = 1u << 6;       // SS: shadow-stack access (not modelled)
inline constexpr uint32_t kRmp = 1u << 31;     // RMP: SNP RMP check failed (APM §15.36.10)
}  // namespace pf_err

// Base of every architectural exception: the vector and the error code it pushes.
class CpuException : public std::runtime_error {
 public:
  CpuException(uint8_t vector, uint32_t error_code, const std::string& what)
      : std::runtime_error(what), vector_(vector), error_code_(error_code) {}
  uint8_t vector() const { return vector_; }
  uint32_t error_code() const { return error_code_; }

 private:
  uint8_t vector_;
  uint32_t error_code_;
};

// #PF, vector 14. CR2 receives the faulting linear address.
class PageFault : public CpuException {
 public:
  static constexpr uint8_t kVector = 14;
  PageFault(VirtAddr cr2, uint32_t error_code);
  VirtAddr cr2() const { return cr2_; }

 private:
  VirtAddr cr2_;
};

// #GP, vector 13. Always #GP(0) here: bad MSR index or value, bad control-register value.
class GeneralProtection : public CpuException {
 public:
  static constexpr uint8_t kVector = 13;
  explicit GeneralProtection(const std::string& why) : CpuException(kVector, 0, "#GP(0): " + why) {}
};

// #UD, vector 6: an instruction this CPU (or this mode) does not have.
class InvalidOpcode : public CpuException {
 public:
  static constexpr uint8_t kVector = 6;
  explicit InvalidOpcode(const std::string& why) : CpuException(kVector, 0, "#UD: " + why) {}
};

// #VC, vector 29 (APM Vol. 2 §15.35.5): in an SEV-ES guest, an instruction the hypervisor
// intercepts does not exit; the guest gets #VC with the exit code as the error code, and its
// handler asks the hypervisor through the GHCB and VMGEXIT.
class VmmCommunication : public CpuException {
 public:
  static constexpr uint8_t kVector = 29;
  explicit VmmCommunication(uint64_t exit_code)
      : CpuException(kVector, static_cast<uint32_t>(exit_code), "#VC"), exit_code_(exit_code) {}
  uint64_t exit_code() const { return exit_code_; }

 private:
  uint64_t exit_code_;
};

// Things the model does not implement (legacy 32-bit paging, ...): a simulator limit, not an
// architectural event. Distinct from CpuException so nobody delivers it to software.
class NotModelled : public std::logic_error {
 public:
  explicit NotModelled(const std::string& what) : std::logic_error("not modelled: " + what) {}
};

}  // namespace cbit::hw
