#include "sw/hv/vm_memory.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "sw/host/kernel.h"
#include "sw/host/nt_store.h"

namespace cbit::sw::hv {

VmMemory::VmMemory(host::HostKernel& kernel) : k_(kernel) {}

VmMemory::~VmMemory() {
  // A whole block goes back as one (its order's free list has it for the next VM of that size:
  // the allocator does not merge buddies); a block whose tail was given back, page by page.
  for (const auto& b : backing_) {
    if (b.pages == (1ull << b.order)) {
      k_.free_pages(b.va, b.order);
      continue;
    }
    for (uint64_t i = 0; i < b.pages; ++i) k_.free_pages(b.va + i * kPageSize, 0);
  }
}

const MemSlot& VmMemory::add_slot(std::string name, GuestPhysAddr gpa, uint64_t size, bool readonly,
                                  Fault fault) {
  const MemSlot& s = new_slot(std::move(name), gpa, size, readonly, {}, 0, fault);
  return s;
}

const MemSlot& VmMemory::add_slot_with_contents(std::string name, GuestPhysAddr gpa, uint64_t size,
                                                ByteSpan contents, uint64_t offset, bool readonly) {
  if (offset > size || contents.size() > size - offset)
    throw InputError(fmt::format("memslot '{}': {} bytes at offset {:#x} do not fit in {:#x}", name,
                                 contents.size(), offset, size));
  return new_slot(std::move(name), gpa, size, readonly, contents, offset, Fault::kPrefault);
}

const MemSlot& VmMemory::new_slot(std::string name, GuestPhysAddr gpa, uint64_t size, bool readonly,
                                  ByteSpan contents, uint64_t offset, Fault fault) {
  if (size == 0 || gpa.page_offset() != 0 || size % kPageSize != 0)
    throw InputError(fmt::format("memslot '{}': GPA {:#x} size {:#x} is not whole 4 KiB pages",
                                 name, gpa.value, size));
  if (gpa.value + size < gpa.value)
    throw InputError(fmt::format("memslot '{}': GPA range wraps", name));
  for (const auto& s : slots_) {
    if (gpa.value < s.gpa.value + s.size && s.gpa.value < gpa.value + size)
      throw InputError(
          fmt::format("memslot '{}' [{:#x}, {:#x}) overlaps memslot '{}' [{:#x}, {:#x})", name,
                      gpa.value, gpa.value + size, s.name, s.gpa.value, s.gpa.value + s.size));
  }
  // One naturally aligned block from the buddy allocator, the unused tail given back.
  const uint64_t pages = size / kPageSize;
  unsigned order = 0;
  while ((1ull << order) < pages) ++order;
  auto va = k_.alloc_pages(order);
  if (!va)
    throw InputError(fmt::format("memslot '{}': out of host memory for {} MiB", name, size >> 20));
  for (uint64_t i = pages; i < (1ull << order); ++i) k_.free_pages(*va + i * kPageSize, 0);
  backing_.push_back({*va, order, pages, std::vector<bool>(pages, fault == Fault::kPrefault)});
  if (fault == Fault::kOnFirstTouch) {
    slots_.push_back({std::move(name), gpa, size, *va, k_.__pa(*va), readonly});
    return slots_.back();
  }

  // Prefaulted: zero-fill through the host's mapping (QEMU's fresh anonymous RAM reads as zeros;
  // the kernel clears each page it faults in, with the host key under SME). Large clears go past
  // the cache with non-temporal stores, as memset does above its threshold.
  if (offset) host::memzero_nt(k_, *va, offset);
  if (!contents.empty()) store(*va + offset, contents);
  const uint64_t end = offset + contents.size();
  if (end < size) host::memzero_nt(k_, *va + end, size - end);

  MemSlot s{std::move(name), gpa, size, *va, k_.__pa(*va), readonly};
  slots_.push_back(std::move(s));
  return slots_.back();
}

const MemSlot* VmMemory::slot_of(GuestPhysAddr gpa) const {
  for (const auto& s : slots_)
    if (gpa.value >= s.gpa.value && gpa.value - s.gpa.value < s.size) return &s;
  return nullptr;
}

std::optional<SysPhysAddr> VmMemory::gpa_to_spa(GuestPhysAddr gpa) const {
  const MemSlot* s = slot_of(gpa);
  if (!s) return std::nullopt;
  return s->spa + (gpa.value - s->gpa.value);
}

// Calls fn(hva, offset into the caller's buffer, length) for each stretch inside one slot.
template <typename Fn>
void VmMemory::for_each_piece(GuestPhysAddr gpa, uint64_t len, Fn&& fn) const {
  // Every byte must be backed before any moves (no partial write).
  if (gpa.value + len < gpa.value)
    throw InputError(fmt::format("guest memory: range at GPA {:#x} wraps", gpa.value));
  for (uint64_t done = 0; done < len;) {
    const MemSlot* s = slot_of(gpa + done);
    if (!s)
      throw InputError(fmt::format("guest memory: GPA {:#x} is in no memslot", gpa.value + done));
    done += std::min(len - done, s->size - (gpa.value + done - s->gpa.value));
  }
  for (uint64_t done = 0; done < len;) {
    const GuestPhysAddr a = gpa + done;
    const MemSlot* s = slot_of(a);
    if (!s) throw InputError(fmt::format("guest memory: GPA {:#x} is in no memslot", a.value));
    const uint64_t off = a.value - s->gpa.value;
    const uint64_t n = std::min(len - done, s->size - off);
    fn(s->hva + off, done, n);
    done += n;
  }
}

void VmMemory::set_memory_attributes(GuestPhysAddr gpa, uint64_t size, bool make_private) {
  if (gpa.page_offset() || size % kPageSize || gpa.value + size < gpa.value)
    throw InputError(fmt::format("KVM_SET_MEMORY_ATTRIBUTES: [{:#x}, +{:#x}) is not page-aligned",
                                 gpa.value, size));
  for (uint64_t gfn = gpa.value >> kPageShift; gfn < (gpa.value + size) >> kPageShift; ++gfn) {
    if (make_private)
      shared_gfns_.erase(gfn);
    else
      shared_gfns_.insert(gfn);
  }
}

template <typename Fn>
void VmMemory::for_each_page(GuestPhysAddr gpa, uint64_t len, Fn&& fn) {
  if (len == 0) return;
  for_each_piece(gpa, len, [](VirtAddr, uint64_t, uint64_t) {});  // every byte in a slot
  const uint64_t end = gpa.value + len;
  for (uint64_t a = gpa.value & kPageMask; a < end; a += kPageSize) {
    const MemSlot* s = slot_of(GuestPhysAddr(a));
    fn(backing_[static_cast<size_t>(s - slots_.data())], (a - s->gpa.value) >> kPageShift);
  }
}

void VmMemory::fault_in(GuestPhysAddr gpa, uint64_t len) {
  for_each_page(gpa, len, [&](Backing& b, uint64_t p) {
    if (b.present[p]) return;
    // clear_page() through the host's mapping: one page, cached stores as the kernel's is.
    static const uint8_t zero[kPageSize] = {};
    k_.memcpy_to(b.va + p * kPageSize, ByteSpan(zero, kPageSize));
    b.present[p] = true;
  });
}

void VmMemory::populate(GuestPhysAddr gpa, uint64_t len) {
  for_each_page(gpa, len, [](Backing& b, uint64_t p) { b.present[p] = true; });
}

bool VmMemory::present(GuestPhysAddr gpa) const {
  const MemSlot* s = slot_of(gpa);
  if (!s) return false;
  const Backing& b = backing_[static_cast<size_t>(s - slots_.data())];
  return b.present[(gpa.value - s->gpa.value) >> kPageShift];
}

void VmMemory::read(GuestPhysAddr gpa, MutByteSpan out) {
  for_each_piece(gpa, out.size(), [&](VirtAddr va, uint64_t at, uint64_t n) {
    // Page by page: a page never faulted in reads as the zero page; with guest_memfd a private
    // page has no host mapping (QEMU's shared backing of it was discarded), so it reads as zeros.
    for (uint64_t done = 0; done < n;) {
      const GuestPhysAddr a = gpa + at + done;
      const uint64_t chunk = std::min(n - done, kPageSize - a.page_offset());
      auto dst = out.subspan(at + done, chunk);
      if (is_private(a) || !present(a))
        std::fill(dst.begin(), dst.end(), uint8_t{0});
      else
        k_.memcpy_from(va + done, dst);
      done += chunk;
    }
  });
}

// QEMU's memcpy: non-temporal stores for large copies (glibc), cached stores otherwise.
void VmMemory::store(VirtAddr va, ByteSpan in) {
  if (in.size() >= host::kNonTemporalThreshold)
    host::memcpy_nt(k_, va, in);
  else
    k_.memcpy_to(va, in);
}

void VmMemory::write(GuestPhysAddr gpa, ByteSpan in) {
  if (guest_memfd_) {
    for (uint64_t off = 0; off < in.size(); off += kPageSize - (gpa + off).page_offset())
      if (is_private(gpa + off))
        throw InputError(fmt::format(
            "guest memory: GPA {:#x} is private (guest_memfd): the host has no mapping of it",
            (gpa + off).value));
  }
  fault_in(gpa, in.size());
  for_each_piece(gpa, in.size(),
                 [&](VirtAddr va, uint64_t at, uint64_t n) { store(va, in.subspan(at, n)); });
}

}  // namespace cbit::sw::hv
