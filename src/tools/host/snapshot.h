// A host snapshot: the raw facts `cbit host` judges, gathered from a real machine by probe.h
// or loaded from a JSON file, so the checks run the same on this machine and on recorded
// snapshots of others (a Milan SNP host, a Rome host, a BIOS with SME off, an SEV guest).
//
// JSON shape ("format": "cbit-host-snapshot-1"):
//   cpuid:      {"0x8000001f": ["0x..eax", "0x..ebx", "0x..ecx", "0x..edx"], ...} (subleaf 0)
//   msr:        {"SYSCFG": "0x..." | {"unreadable": "why"}, "SEV_STATUS": ...}
//   kvm_amd:    {"sev": "Y", "sev_es": "Y", "sev_snp": "N", ...} | null (module not loaded)
//   devices:    {"/dev/sev": "rw" | "r" | "w" | "present" | "absent", ...}
//   kernel_log: ["line", ...] | {"unreadable": "why"}   (memory-encryption lines only)
//   cpu_flags:  ["sme", "sev", ...] (the /proc/cpuinfo flags Linux kept; see probe.cc)
//   cmdline:    "..."  ·  description: "..."
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cbit::tools::host {

inline constexpr const char* kSnapshotFormat = "cbit-host-snapshot-1";

struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool operator==(const CpuidRegs&) const = default;
};

struct MsrReading {
  std::optional<uint64_t> value;
  std::string unreadable;  // why, when value is empty
  bool operator==(const MsrReading&) const = default;
};

enum class NodeAccess { Absent, Present, Read, Write, ReadWrite };
const char* to_string(NodeAccess a);

struct HostSnapshot {
  std::string description;
  std::map<uint32_t, CpuidRegs> cpuid;  // leaf -> registers (subleaf 0)
  MsrReading syscfg;
  MsrReading sev_status;
  std::optional<std::map<std::string, std::string>> kvm_amd;  // nullopt: module not loaded
  std::map<std::string, NodeAccess> devices;
  std::optional<std::vector<std::string>> kernel_log;  // nullopt: unreadable
  std::string kernel_log_unreadable;
  std::optional<std::vector<std::string>> cpu_flags;  // nullopt: not recorded
  std::string cmdline;

  // The leaf as recorded; all zero when the snapshot lacks it (as CPUID reads beyond the
  // maximum leaf on AMD).
  CpuidRegs leaf(uint32_t l) const;
  NodeAccess device(const std::string& path) const;
  bool has_flag(std::string_view flag) const;
  bool operator==(const HostSnapshot&) const = default;
};

// Throws InputError naming `what` and the offending key on any malformed input.
HostSnapshot snapshot_from_json(std::string_view text, const std::string& what);
std::string snapshot_to_json(const HostSnapshot& s);

}  // namespace cbit::tools::host
