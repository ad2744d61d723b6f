// BadRAM (De Meulemeester, Wilke, Oswald, Eisenbarth, Verbauwhede, Van Bulck, IEEE S&P 2025;
// AMD-SB-3015, CVE-2024-21944): the host owner reprogrammed a DIMM's SPD to claim one more row
// bit than it has, so every cell answers at two system addresses ("ghost" aliases). The alias
// is outside the guest's RMP view -- beyond the RMP's coverage or hypervisor-owned -- so SEV-SNP
// does not check writes to it: the attacker captures a private page's ciphertext through the
// alias and replays it after the guest's update, exactly the replay SNP stops at the page's
// own address.
//
// Here the attacker's bus master (no C-bit: the bytes as stored) reads and writes
// SPA + DRAM size (the DIMM's real size is the alias bit, as the attacker who edited the SPD
// knows). Evidence: the alias read equals the cells (the physical view), and the control, the
// same replay at the page's own address (SNP: the IOMMU refuses the write). Verdict: the guest
// reads its old balance. Stopped by the firmware's boot-time alias check, which refuses SNP on
// such a platform (hw/psp/sev/alias_check.h); on an honest DIMM the alias is no memory.
#pragma once
#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

SevAttackResult badram_alias(HostAttacker& attacker, SevMode mode);

}  // namespace cbit::attacks
