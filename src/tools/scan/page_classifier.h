// What a 4 KiB page of a dump looks like from its bytes alone.
//
// Classes and thresholds (why these numbers):
//  - zero: every byte is 0. With SEV-SNP and guest_memfd, a host-side dump reads private memory
//    as zeros instead of ciphertext (AMDSEV#147, #201), so a zero page is memory the dump could
//    not show, or memory never written: never evidence that nothing leaks.
//  - high-entropy: Shannon byte entropy >= kHighEntropyMin = 7.5 bits/byte. A 4 KiB page of AES
//    output (SEV's XEX/XTS ciphertext) measures 7.955 on average: the plug-in estimator is biased
//    below 8 by (256-1)/(2*4096*ln 2) = 0.045, and its spread is about 0.003, so 7.5 is more than
//    a hundred spreads away. English text measures about 4.5, x86-64 code 5.5-6.5, page tables
//    and heaps less. Compressed data also lands here: from bytes alone it cannot be told apart
//    from ciphertext, so this class is "ciphertext-like", an upper bound on encrypted pages.
//    A page that is only partly ciphertext (the rest zero) measures lower and falls in "other".
//  - plaintext-like: below the entropy threshold, at least kPlaintextMinBytes non-zero bytes,
//    and at least kPrintableMin = 85% of the non-zero bytes printable ASCII (0x20-0x7e, tab, LF,
//    CR). Counting only non-zero bytes keeps a half-filled text buffer and UTF-16LE text (every
//    other byte 0) in this class. Uniform random bytes are printable with p = 98/256 = 38%, code
//    about 40-50%, so 85% separates text from both with a wide margin.
//  - other: anything else (code, page tables, heaps, partly encrypted pages).
// "absent" is not a byte class: the page is in the guest's memory map but not in the file
// (ELF p_filesz < p_memsz); the scanner assigns it without reading anything.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/bytes.h"

namespace cbit::tools::scan {

inline constexpr size_t kPageSize = 4096;
inline constexpr double kHighEntropyMin = 7.5;    // bits per byte
inline constexpr double kPrintableMin = 0.85;     // of the non-zero bytes
inline constexpr size_t kPlaintextMinBytes = 16;  // fewer non-zero bytes than this: "other"

enum class PageClass : uint8_t { Zero, Plaintext, HighEntropy, Other, Absent };
inline constexpr int kPageClassCount = 5;

struct PageStats {
  double entropy = 0;             // bits per byte, 0..8
  double printable_fraction = 0;  // of the non-zero bytes
  size_t nonzero = 0;
};

// Classifies one page (normally kPageSize bytes; a shorter last page is classified on what it
// has). Never returns Absent. `stats`, if given, receives the measurements.
PageClass classify_page(ByteSpan page, PageStats* stats = nullptr);

// Shannon entropy in bits per byte of `data` (0 for empty input).
double byte_entropy(ByteSpan data);

// Short names used in text and JSON output: "zero", "plaintext", "high-entropy", "other",
// "absent".
std::string_view page_class_name(PageClass c);

}  // namespace cbit::tools::scan
