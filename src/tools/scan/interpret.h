// What the numbers of a scan mean, in words: the likely cause of each finding and notes on the
// whole dump. Kept apart from the output format so text and JSON say the same thing.
//
// Rules (USERS.md): zeros are never "no leak" (AMDSEV#147/#201: SNP dumps through guest_memfd
// read zeros, not ciphertext); a string found from the host is attributed to private or shared
// memory and the likely path is named (AMDSEV#31: virtio, swiotlb bounce buffers, framebuffer).
#pragma once
#include <string>
#include <vector>

#include "tools/scan/scanner.h"

namespace cbit::tools::scan {

struct EncryptedFraction {
  uint64_t high_entropy = 0;  // pages
  uint64_t readable = 0;      // present, non-zero pages
  uint64_t present = 0;       // pages in the file
  double of_readable() const { return readable ? double(high_entropy) / double(readable) : 0; }
  double of_present() const { return present ? double(high_entropy) / double(present) : 0; }
};

EncryptedFraction encrypted_fraction(const ScanTotals& t);

// One line: why this match is where it is, and what it means.
std::string likely_cause(const Match& m, const ScanTotals& t, bool have_map);

// Notes on the whole dump, most important first.
std::vector<std::string> dump_notes(const ScanTotals& t, bool have_map, bool searched);

// Human label of a page class, e.g. "zero (unreadable or never written; not evidence of no
// leak)".
std::string page_class_label(PageClass c);

}  // namespace cbit::tools::scan
