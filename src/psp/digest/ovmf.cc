#include "psp/digest/ovmf.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"

namespace cbit::psp::digest {

namespace {

// Python's slice clamping (s[a:b] for any signed a, b): the reference tool indexes with
// computed, possibly negative offsets, and images it accepts must parse the same here.
struct Range {
  int64_t lo = 0, hi = 0;
  int64_t size() const { return hi - lo; }
};
Range py_slice(int64_t len, int64_t a, int64_t b) {
  auto clamp = [len](int64_t i) {
    if (i < 0) i += len;
    return std::clamp<int64_t>(i, 0, len);
  };
  Range r{clamp(a), clamp(b)};
  if (r.hi < r.lo) r.hi = r.lo;
  return r;
}

uint32_t le_prefix_u32(ByteSpan entry) {  // int.from_bytes(entry[:4], 'little')
  uint32_t v = 0;
  for (size_t i = 0; i < std::min<size_t>(4, entry.size()); ++i) v |= uint32_t(entry[i]) << (8 * i);
  return v;
}

int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr size_t kEntryHeader = 18;     // u16 size + GUID, after the entry's data
constexpr size_t kFooterGap = 32;       // the table ends 32 bytes before the image's end
constexpr size_t kMetadataHeader = 16;  // "ASEV", u32 size, u32 version, u32 num_items
constexpr size_t kSectionDesc = 12;     // u32 gpa, u32 size, u32 type

}  // namespace

Guid Guid::parse(std::string_view text) {
  // Canonical form: fields 1-3 are stored little-endian, fields 4-5 byte by byte.
  std::string hex;
  for (char c : text)
    if (c != '-') hex.push_back(c);
  CBIT_ASSERT(hex.size() == 32);
  std::array<uint8_t, 16> be{};
  for (size_t i = 0; i < 16; ++i) {
    const int hi = hex_val(hex[2 * i]), lo = hex_val(hex[2 * i + 1]);
    CBIT_ASSERT(hi >= 0 && lo >= 0);
    be[i] = uint8_t(hi << 4 | lo);
  }
  Guid g;
  const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  for (size_t i = 0; i < 16; ++i) g.bytes[i] = be[order[i]];
  return g;
}

std::string Guid::str() const {
  const auto& b = bytes;
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

namespace guids {
const Guid kFooterTable = Guid::parse("96b582de-1fb2-45f7-baea-a366c55a082d");
const Guid kSevHashTableRv = Guid::parse("7255371f-3a3b-4b04-927b-1da6efa8d454");
const Guid kSevEsResetBlock = Guid::parse("00f771de-1a7e-4fcb-890e-68c77e2fb44e");
const Guid kSevMetadata = Guid::parse("dc886566-984a-4798-a75e-5585a7bf67cc");
}  // namespace guids

const char* section_type_name(uint32_t type) {
  switch (static_cast<SectionType>(type)) {
    case SectionType::SnpSecMem:
      return "SNP_SEC_MEM";
    case SectionType::SnpSecrets:
      return "SNP_SECRETS";
    case SectionType::Cpuid:
      return "CPUID";
    case SectionType::SvsmCaa:
      return "SVSM_CAA";
    case SectionType::SnpKernelHashes:
      return "SNP_KERNEL_HASHES";
  }
  return nullptr;
}

Ovmf::Ovmf(Bytes data, std::string name, uint64_t end_at) : name_(std::move(name)) {
  auto owned = std::make_shared<const Bytes>(std::move(data));
  data_ = *owned;
  owner_ = std::move(owned);
  parse(end_at);
}

Ovmf::Ovmf(ByteSpan data, std::shared_ptr<const void> owner, std::string name, uint64_t end_at)
    : owner_(std::move(owner)), data_(data), name_(std::move(name)) {
  parse(end_at);
}

void Ovmf::parse(uint64_t end_at) {
  parse_footer_table();
  parse_sev_metadata();
  gpa_ = end_at - data_.size();
}

void Ovmf::fail(const std::string& what) const {
  throw InputError(fmt::format("{}: {}", name_, what));
}

void Ovmf::parse_footer_table() {
  const int64_t n = static_cast<int64_t>(data_.size());
  const int64_t footer_start = n - int64_t(kFooterGap + kEntryHeader);
  const Range footer = py_slice(n, footer_start, n);
  if (footer.size() < int64_t(kEntryHeader))
    fail(
        fmt::format("{} bytes is too small to be a firmware image (no room for the OVMF footer "
                    "table at 50 bytes before the end)",
                    n));
  const uint8_t* f = data_.data() + footer.lo;
  if (!std::equal(f + 2, f + kEntryHeader, guids::kFooterTable.bytes.begin())) return;
  footer_found_ = true;
  const int64_t table_size = int64_t(load_le<uint16_t>(f)) - int64_t(kEntryHeader);
  if (table_size < 0) return;
  Range t = py_slice(n, footer_start - table_size, footer_start);
  // Entries are walked from the end: each is [data][u16 size][GUID], size counting all three.
  while (t.size() >= int64_t(kEntryHeader)) {
    const uint8_t* h = data_.data() + t.hi - kEntryHeader;
    const int64_t entry_size = load_le<uint16_t>(h);
    if (entry_size < int64_t(kEntryHeader))
      fail(fmt::format("OVMF footer table entry at offset 0x{:x} has invalid size {}",
                       t.hi - int64_t(kEntryHeader), entry_size));
    Guid g;
    std::copy(h + 2, h + kEntryHeader, g.bytes.begin());
    const Range rel = py_slice(t.size(), -entry_size, -int64_t(kEntryHeader));
    const TableEntry e{g, size_t(t.lo + rel.lo), size_t(rel.size())};
    auto it = std::find_if(table_.begin(), table_.end(), [&](auto& x) { return x.guid == g; });
    if (it == table_.end())
      table_.push_back(e);
    else
      *it = e;  // a repeated GUID: the entry nearer the start wins, as in a dict update
    const Range rest = py_slice(t.size(), 0, -entry_size);
    t.hi = t.lo + rest.hi;
  }
}

void Ovmf::parse_sev_metadata() {
  const auto entry = table_item(guids::kSevMetadata);
  if (!entry) return;
  const uint32_t offset_from_end = le_prefix_u32(*entry);
  const int64_t n = static_cast<int64_t>(data_.size());
  const int64_t start = n - int64_t(offset_from_end);
  if (start < 0 || start + int64_t(kMetadataHeader) > n)
    fail(fmt::format("SEV metadata offset 0x{:x} from the end points outside the image",
                     offset_from_end));
  const uint8_t* h = data_.data() + start;
  if (!std::equal(h, h + 4, reinterpret_cast<const uint8_t*>("ASEV")))
    fail("Wrong SEV metadata signature (expected \"ASEV\")");
  if (load_le<uint32_t>(h + 8) != 1)
    fail(fmt::format("Wrong SEV metadata version {} (expected 1)", load_le<uint32_t>(h + 8)));
  const uint32_t size = load_le<uint32_t>(h + 4);
  const uint32_t num_items = load_le<uint32_t>(h + 12);
  const Range items = py_slice(n, start + int64_t(kMetadataHeader), start + int64_t(size));
  metadata_offset_ = size_t(start);
  for (uint64_t i = 0; i < num_items; ++i) {
    const int64_t off = int64_t(i * kSectionDesc);
    if (off + int64_t(kSectionDesc) > items.size())
      fail(fmt::format("SEV metadata lists {} sections but its size {} holds only {}", num_items,
                       size, items.size() / int64_t(kSectionDesc)));
    const uint8_t* d = data_.data() + items.lo + off;
    metadata_.push_back({load_le<uint32_t>(d), load_le<uint32_t>(d + 4), load_le<uint32_t>(d + 8)});
  }
}

std::optional<ByteSpan> Ovmf::table_item(const Guid& guid) const {
  for (const auto& e : table_)
    if (e.guid == guid) return ByteSpan(data_.data() + e.offset, e.size);
  return std::nullopt;
}

bool Ovmf::has_section(SectionType type) const {
  return std::any_of(metadata_.begin(), metadata_.end(),
                     [type](const auto& s) { return s.type == static_cast<uint32_t>(type); });
}

bool Ovmf::sev_hashes_table_supported() const {
  return table_item(guids::kSevHashTableRv) && sev_hashes_table_gpa() != 0;
}

uint32_t Ovmf::sev_hashes_table_gpa() const {
  const auto e = table_item(guids::kSevHashTableRv);
  if (!e) fail("Can't find SEV_HASH_TABLE_RV_GUID entry in OVMF table");
  return le_prefix_u32(*e);
}

uint32_t Ovmf::sev_es_reset_eip() const {
  const auto e = table_item(guids::kSevEsResetBlock);
  if (!e) fail("Can't find SEV_ES_RESET_BLOCK_GUID entry in OVMF table");
  return le_prefix_u32(*e);
}

}  // namespace cbit::psp::digest
