// The named inputs of the measure tests: synthetic firmware images (tests/unit/psp/
// digest_test_util.h), a kernel and an initrd, all deterministic, so the expected digests in
// measure_digest_table_test.cc (obtained by running sev-snp-measure on these very files,
// written out by MeasureFixtures.WriteForReference) stay valid.
#pragma once
#include <map>
#include <string>

#include "unit/psp/digest_test_util.h"

namespace cbit::testutil {

inline std::map<std::string, SynthFirmware> measure_firmwares() {
  std::map<std::string, SynthFirmware> m;
  SynthFirmware amdsev;  // AmdSevX64-like: SVSM_CAA, kernel-hashes page, trailing SEC_MEM
  amdsev.pages = 16;
  amdsev.sections = standard_sections();
  amdsev.sections.push_back({0x80f000, 0x1000, 4});
  amdsev.sections.push_back({0x810000, 0x1000, 0x10});
  amdsev.sections.push_back({0x811000, 0xf000, 1});
  m["amdsev"] = amdsev;
  SynthFirmware big = amdsev;  // enough pages to hash on two threads
  big.pages = 256;
  big.seed = 9;
  big.hashes_gpa = 0x810ab0;
  m["amdsev_big"] = big;
  SynthFirmware x64;  // OvmfPkgX64-like: hashes entry present but 0, no kernel-hashes section
  x64.sections = standard_sections();
  x64.hashes_gpa = 0;
  x64.seed = 2;
  m["x64"] = x64;
  SynthFirmware nofit = amdsev;  // the hashes table would cross its page
  nofit.hashes_gpa = 0x810f60;
  nofit.seed = 3;
  m["nofit"] = nofit;
  SynthFirmware eip0 = x64;  // SEV-ES reset block says 0: no APs possible
  eip0.reset_eip = 0;
  eip0.seed = 4;
  m["eip0"] = eip0;
  SynthFirmware badsig = x64;
  badsig.meta_signature = "XSEV";
  badsig.seed = 5;
  m["badsig"] = badsig;
  SynthFirmware badver = x64;
  badver.meta_version = 2;
  badver.seed = 6;
  m["badver"] = badver;
  SynthFirmware unknown = x64;
  unknown.sections.push_back({0x900000, 0x1000, 7});
  unknown.seed = 7;
  m["unknown_type"] = unknown;
  SynthFirmware odd = x64;
  odd.sections = {{0x800000, 0x1800, 1}};
  odd.seed = 8;
  m["odd_section"] = odd;
  SynthFirmware noreset = x64;
  noreset.with_reset_block = false;
  noreset.seed = 10;
  m["no_reset_block"] = noreset;
  SynthFirmware trailing = x64;
  trailing.trailing_bytes = 3;
  trailing.seed = 11;
  m["trailing"] = trailing;
  SynthFirmware bigkh = amdsev;  // kernel-hashes section of two pages
  bigkh.sections[5].size = 0x2000;
  bigkh.seed = 12;
  m["bigkh"] = bigkh;
  return m;
}

inline Bytes measure_kernel() { return filler(100000, 7); }
inline Bytes measure_initrd() { return filler(50000, 8); }

}  // namespace cbit::testutil
