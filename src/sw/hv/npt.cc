#include "sw/hv/npt.h"

#include "common/error.h"
#include "hw/cpu/paging.h"
#include "sw/host/kernel.h"

namespace cbit::sw::hv {

namespace {
constexpr uint64_t kTableFlags = hw::pte::kP | hw::pte::kRw | hw::pte::kUs | hw::pte::kA;
}

NestedPageTables::NestedPageTables(host::HostKernel& kernel)
    : k_(kernel), me_mask_(kernel.sme_me_mask()) {
  root_ = alloc_table();
}

NestedPageTables::~NestedPageTables() {
  for (VirtAddr va : pages_) k_.free_pages(va, 0);
}

uint64_t NestedPageTables::ncr3() const { return root_.value | me_mask_; }

SysPhysAddr NestedPageTables::alloc_table() {
  const auto va = k_.alloc_pages(0);
  if (!va) throw InputError("nested page tables: out of host memory");
  static const uint8_t zero[kPageSize] = {};
  k_.memcpy_to(*va, ByteSpan(zero, kPageSize));
  pages_.push_back(*va);
  return k_.__pa(*va);
}

uint64_t NestedPageTables::read_entry(SysPhysAddr table, unsigned index) {
  uint8_t b[8];
  k_.memcpy_from(k_.__va(table) + 8ull * index, b);
  return load_le<uint64_t>(b);
}

void NestedPageTables::write_entry(SysPhysAddr table, unsigned index, uint64_t value) {
  uint8_t b[8];
  store_le(b, value);
  k_.memcpy_to(k_.__va(table) + 8ull * index, b);
}

std::optional<SysPhysAddr> NestedPageTables::walk_to_pt(GuestPhysAddr gpa, bool create) {
  SysPhysAddr table = root_;
  for (unsigned level = 4; level > 1; --level) {
    const unsigned idx = hw::pte::index_at(gpa.value, level);
    const uint64_t e = read_entry(table, idx);
    if (e & hw::pte::kP) {
      table = SysPhysAddr(e & hw::bit_range(12, 52) & ~me_mask_);
      continue;
    }
    if (!create) return std::nullopt;
    const SysPhysAddr next = alloc_table();
    write_entry(table, idx, next.value | me_mask_ | kTableFlags);
    table = next;
  }
  return table;
}

void NestedPageTables::map_page(GuestPhysAddr gpa, SysPhysAddr spa, bool writable, bool c_bit) {
  const SysPhysAddr pt = *walk_to_pt(gpa, true);
  uint64_t e = spa.page_base().value | hw::pte::kP | hw::pte::kUs | hw::pte::kA | hw::pte::kD;
  if (writable) e |= hw::pte::kRw;
  if (c_bit) e |= me_mask_;
  write_entry(pt, hw::pte::index_at(gpa.value, 1), e);
}

void NestedPageTables::map(GuestPhysAddr gpa, SysPhysAddr spa, uint64_t size, bool writable) {
  CBIT_ASSERT(gpa.value % kPageSize == 0 && spa.value % kPageSize == 0);
  for (uint64_t off = 0; off < size; off += kPageSize)
    map_page(gpa + off, spa + off, writable, me_mask_ != 0);
}

void NestedPageTables::unmap_page(GuestPhysAddr gpa) {
  const auto pt = walk_to_pt(gpa, false);
  if (pt) write_entry(*pt, hw::pte::index_at(gpa.value, 1), 0);
}

std::optional<NestedPageTables::Leaf> NestedPageTables::lookup(GuestPhysAddr gpa) {
  const auto pt = walk_to_pt(gpa, false);
  if (!pt) return std::nullopt;
  const uint64_t e = read_entry(*pt, hw::pte::index_at(gpa.value, 1));
  if (!(e & hw::pte::kP)) return std::nullopt;
  return Leaf{SysPhysAddr(e & hw::bit_range(12, 52) & ~me_mask_), (e & hw::pte::kRw) != 0,
              me_mask_ && (e & me_mask_)};
}

}  // namespace cbit::sw::hv
