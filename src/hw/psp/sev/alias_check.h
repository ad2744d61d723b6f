// The SNP firmware's boot-time DRAM alias check, AMD's fix for BadRAM (AMD-SB-3015,
// CVE-2024-21944; SNP-FACTS.md §2.4, §7): before it initialises SNP the firmware probes the
// memory map for two system addresses that reach one DRAM cell, and refuses SNP if it finds
// them; SNP_PLATFORM_STATUS then reports ALIAS_CHECK_COMPLETE (byte 0x03 bit 1) and the
// attestation report's PLATFORM_INFO bit 5. Firmware with the check: Milan 1.55.22, Genoa
// 1.55.38 and later (virtee/snphost#108); cbit's firmware versions are 1.55.<build>, so build
// 22 and later check.
//
// How the model probes: for every address bit from 4 KiB up to the top of the memory map, it
// writes two different 16-byte patterns without encryption to P and P | bit (P = the first
// page) and reads P back; a changed P is an alias. The cells are restored afterwards. The
// firmware calls this from SNP_INIT (the hook): true = aliases found.
#pragma once
#include <cstdint>

namespace cbit::hw {
class MemoryController;
}

namespace cbit::hw::psp::sev {

inline constexpr uint8_t kAliasCheckMinBuild = 22;  // 1.55.22 (Milan's first fixed firmware)
constexpr bool firmware_has_alias_check(uint8_t api_major, uint8_t api_minor, uint8_t build) {
  return api_major > 1 || api_minor > 55 || (api_minor == 55 && build >= kAliasCheckMinBuild);
}

// Probes [0, map_bytes) through `mc`; returns the first alias bit found (its mask), 0 if none.
uint64_t dram_alias_check(MemoryController& mc, uint64_t map_bytes);

}  // namespace cbit::hw::psp::sev
