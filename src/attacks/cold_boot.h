// Cold-boot attack (Halderman et al. 2008): the attacker cuts power, moves or keeps the DIMMs
// cold, and reads every cell. Modelled on the raw view: the image is DRAM as stored, which is
// ciphertext wherever SME/TSME/SEV encrypted it. After a reboot the memory controller has a new
// key, so even the machine's own CPU no longer decrypts what the old boot left behind.
#pragma once
#include <string>
#include <vector>

#include "attacks/finding.h"
#include "hw/raw_view.h"

namespace cbit::attacks {

// Searches the whole DRAM image for the needles (secrets spanning page boundaries included).
AttackReport cold_boot(const hw::RawPhysicalView& view, const std::vector<std::string>& needles);

// Writes the DRAM image as a raw file (sparse: untouched pages become holes) by the rules of
// common/output_file.h (a new file 0600). The file's size is the DRAM size; `cbit scan` reads
// it. Throws InputError naming the file.
void write_cold_boot_image(const hw::RawPhysicalView& view, const std::string& path);

}  // namespace cbit::attacks
