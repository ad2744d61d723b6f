#include "sw/ghcb/psc.h"

#include <utility>

#include "common/error.h"

namespace cbit::sw::ghcb {

uint64_t PscEntry::encode() const {
  return (uint64_t{cur_page} & 0xfff) | (gfn & ((1ull << 40) - 1)) << 12 |
         uint64_t{operation & 0xfu} << 52 | uint64_t{pagesize_2m} << 56 |
         uint64_t{reserved & 0x7fu} << 57;
}

PscEntry PscEntry::decode(uint64_t raw) {
  PscEntry e;
  e.cur_page = raw & 0xfff;
  e.gfn = (raw >> 12) & ((1ull << 40) - 1);
  e.operation = (raw >> 52) & 0xf;
  e.pagesize_2m = (raw >> 56) & 1;
  e.reserved = (raw >> 57) & 0x7f;
  return e;
}

PscBuffer PscBuffer::make(std::vector<PscEntry> entries) {
  CBIT_ASSERT(!entries.empty() && entries.size() <= kPscMaxEntries);
  for (const PscEntry& e : entries) CBIT_ASSERT(e.gfn < (1ull << 40) && e.cur_page < 0x1000);
  PscBuffer b;
  b.end_entry = static_cast<uint16_t>(entries.size() - 1);
  b.entries = std::move(entries);
  return b;
}

Bytes PscBuffer::serialize() const {
  Bytes out(kPscHeaderSize + entries.size() * kPscEntrySize);
  store_le<uint16_t>(out.data(), cur_entry);
  store_le<uint16_t>(out.data() + 2, end_entry);
  store_le<uint32_t>(out.data() + 4, reserved);
  for (size_t i = 0; i < entries.size(); ++i)
    store_le<uint64_t>(out.data() + kPscHeaderSize + i * kPscEntrySize, entries[i].encode());
  return out;
}

uint64_t psc_check_entry(const PscEntry& e) {
  if (e.operation != static_cast<uint8_t>(PscOp::Private) &&
      e.operation != static_cast<uint8_t>(PscOp::Shared))
    return kPscErrorInvalidEntry;
  const uint64_t npages = psc_entry_pages(e);
  if (e.cur_page > npages || e.gfn % npages != 0) return kPscErrorInvalidEntry;
  return 0;
}

PscDecode psc_decode(ByteSpan shared) {
  PscDecode d;
  if (shared.size() < kPscHeaderSize) {
    d.error = kPscErrorInvalidHdr;
    return d;
  }
  PscBuffer& b = d.buffer;
  b.cur_entry = load_le<uint16_t>(shared.data());
  b.end_entry = load_le<uint16_t>(shared.data() + 2);
  b.reserved = load_le<uint32_t>(shared.data() + 4);
  // KVM: "idx_start > idx_end || idx_end >= VMGEXIT_PSC_MAX_COUNT" -> invalid header; an entry
  // beyond the bytes the guest could have written is the same failure.
  const size_t need = kPscHeaderSize + (size_t{b.end_entry} + 1) * kPscEntrySize;
  if (b.cur_entry > b.end_entry || b.end_entry >= kPscMaxEntries || shared.size() < need) {
    d.error = kPscErrorInvalidHdr;
    return d;
  }
  b.entries.reserve(b.end_entry + 1u);
  for (size_t i = 0; i <= b.end_entry; ++i)
    b.entries.push_back(
        PscEntry::decode(load_le<uint64_t>(shared.data() + kPscHeaderSize + i * kPscEntrySize)));
  for (size_t i = b.cur_entry; i <= b.end_entry; ++i)
    if (const uint64_t err = psc_check_entry(b.entries[i])) {
      d.error = err;
      return d;
    }
  return d;
}

}  // namespace cbit::sw::ghcb
