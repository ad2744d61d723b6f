#include "tools/scan/interpret.h"

#include <fmt/format.h>

#include "common/text.h"

namespace cbit::tools::scan {
namespace {

std::string pct(double f) { return fmt::format("{:.1f}%", 100.0 * f); }

bool mostly_ciphertext(const ScanTotals& t) { return encrypted_fraction(t).of_readable() >= 0.5; }

}  // namespace

EncryptedFraction encrypted_fraction(const ScanTotals& t) {
  EncryptedFraction f;
  f.high_entropy = t.pages_of_class(PageClass::HighEntropy);
  f.readable =
      f.high_entropy + t.pages_of_class(PageClass::Plaintext) + t.pages_of_class(PageClass::Other);
  f.present = f.readable + t.pages_of_class(PageClass::Zero);
  return f;
}

std::string page_class_label(PageClass c) {
  switch (c) {
    case PageClass::Zero:
      return "zero (unreadable or never written; not evidence of no leak)";
    case PageClass::Plaintext:
      return "plaintext-like";
    case PageClass::HighEntropy:
      return "high-entropy (ciphertext-like)";
    case PageClass::Other:
      return "other (code, tables, mixed)";
    case PageClass::Absent:
      return "absent from the file (not scanned)";
  }
  return "?";
}

std::string likely_cause(const Match& m, const ScanTotals& t, bool have_map) {
  const std::string label =
      m.region && !m.region->label.empty() ? " (" + printable(m.region->label) + ")" : "";
  if (m.page_class == PageClass::HighEntropy && m.kind != MemKind::Shared)
    return "inside a ciphertext-like page: a short pattern in random-looking bytes is most "
           "likely chance, not a leak";
  switch (m.kind) {
    case MemKind::Shared:
      return "shared page" + label +
             ": the hypervisor reads shared memory by design; the data went through a virtio "
             "buffer, swiotlb bounce buffer, GHCB or framebuffer (AMDSEV#31)";
    case MemKind::Private:
      return "private page" + label +
             " readable as plaintext: not encrypted in this dump (SEV not active for it, C-bit "
             "clear in the guest page table, or a decrypting dump path such as the SEV debug "
             "API); a real leak if this is a host-side dump";
    case MemKind::Mmio:
      return "MMIO region" + label + ": device memory, never encrypted";
    case MemKind::Unaccepted:
      return "unaccepted page" + label +
             " (not yet PVALIDATEd by the guest): the data came from the host or an earlier "
             "owner of the page";
    case MemKind::Unmapped:
      break;
  }
  if (have_map) return "GPA not covered by the page map: private or shared unknown";
  if (mostly_ciphertext(t))
    return "private or shared unknown (no --page-map); a plaintext page in a mostly encrypted "
           "dump is most likely shared memory: virtio, swiotlb bounce buffer, framebuffer "
           "(AMDSEV#31)";
  return "private or shared unknown (no --page-map); this dump is mostly readable, so memory "
         "encryption may not be active for this guest";
}

std::vector<std::string> dump_notes(const ScanTotals& t, bool have_map, bool searched) {
  std::vector<std::string> notes;
  const EncryptedFraction f = encrypted_fraction(t);
  const uint64_t zero = t.pages_of_class(PageClass::Zero);
  const uint64_t absent = t.pages_of_class(PageClass::Absent);
  if (f.present && zero * 2 >= f.present)
    notes.push_back(fmt::format(
        "{} of the pages in the file read as zero. Zero means unreadable or never written, not "
        "safe: an SEV-SNP guest whose private memory is in guest_memfd dumps as zeros from the "
        "host (AMDSEV#147, #201), so this dump cannot show what those pages hold.",
        pct(double(zero) / double(f.present))));
  if (absent)
    notes.push_back(
        fmt::format("{} pages are in the guest's memory map but not in the file "
                    "(p_filesz < p_memsz): not scanned.",
                    absent));
  if (f.readable && f.high_entropy == 0)
    notes.push_back(
        "No ciphertext-like pages: memory encryption does not show in this dump "
        "(not an SEV guest, SEV not active, or a decrypting dump path).");
  if (f.high_entropy)
    notes.push_back(
        "High-entropy pages look like ciphertext but may be compressed data: the "
        "encrypted fraction is an upper bound.");
  if (have_map) {
    const uint64_t priv_plain = t.pages[int(MemKind::Private)][int(PageClass::Plaintext)];
    if (priv_plain)
      notes.push_back(
          fmt::format("{} private pages read as plaintext: under SEV the host should "
                      "see ciphertext (or zeros) there.",
                      priv_plain));
    uint64_t shared_hits = 0;
    for (int c = 0; c < kPageClassCount; ++c) shared_hits += t.matches[int(MemKind::Shared)][c];
    if (shared_hits)
      notes.push_back(
          fmt::format("{} matches are in shared pages: the data crossed to the "
                      "hypervisor through shared memory (AMDSEV#31).",
                      shared_hits));
  } else if (searched && t.matches_total) {
    notes.push_back(
        "Give --page-map (from a cbit simulation or the guest's page state) to tell "
        "private from shared pages.");
  }
  return notes;
}

}  // namespace cbit::tools::scan
