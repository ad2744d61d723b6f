// A VM's guest-physical memory as KVM's memslots describe it (Linux include/linux/kvm_host.h
// struct kvm_memory_slot; QEMU's RAM blocks behind them).
//
// Each slot maps guest-physical [gpa, gpa+size) onto host-physically contiguous kernel pages
// (in the model QEMU's anonymous memory and the kernel's pages are the same frames: hva is the
// direct-map address). A page is zero-filled through the host's own mapping (under SME: C-bit,
// host key) when it is faulted in, so the hypervisor reads zeros as QEMU does from fresh
// anonymous memory. A slot is either prefaulted (every page cleared when it is made: a VM whose
// nested page tables map all of RAM up front, as with QEMU's -mem-prealloc) or faulted in on
// first touch, as Linux does for anonymous memory (mm/memory.c do_anonymous_page(): a write
// fault allocates a page and clears it; a read of an untouched page maps the shared zero page)
// and KVM for guest_memfd (virt/kvm/guest_memfd.c: kvm_gmem_prepare_folio() clears a folio on
// its first fault; kvm_gmem_populate() fills it from the VMM's source without clearing). Until
// then the frame keeps what it held before (raw DRAM shows that, not the host key's zeros).
//
// read()/write() are the hypervisor's view (QEMU touching guest RAM): the host kernel's mapping.
// On an SEV guest's private pages that view sees the guest-key ciphertext decrypted with the
// host key, i.e. garbage; on shared pages, plaintext.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"

namespace cbit::sw::host {
class HostKernel;
}

namespace cbit::sw::hv {

struct MemSlot {
  std::string name;
  GuestPhysAddr gpa;
  uint64_t size = 0;
  VirtAddr hva;
  SysPhysAddr spa;
  bool readonly = false;
};

class VmMemory {
 public:
  explicit VmMemory(host::HostKernel& kernel);
  ~VmMemory();  // frees the pages
  VmMemory(const VmMemory&) = delete;
  VmMemory& operator=(const VmMemory&) = delete;

  // Guest-physical [gpa, gpa+size) backed by host-physically contiguous kernel pages, zero-filled
  // through the host's own (C-bit, host key) mapping, as QEMU's RAM is. gpa and size must be
  // page multiples, size non-zero. Throws InputError if the range is malformed, overlaps a
  // slot, or memory runs out.
  enum class Fault { kPrefault, kOnFirstTouch };
  const MemSlot& add_slot(std::string name, GuestPhysAddr gpa, uint64_t size, bool readonly = false,
                          Fault fault = Fault::kPrefault);
  // A slot whose initial contents are `contents` at byte `offset`, the rest zero (QEMU's ROM and
  // pflash blocks: the image is copied in when the block is created). The same as add_slot()
  // followed by write(), without clearing the image's bytes first.
  const MemSlot& add_slot_with_contents(std::string name, GuestPhysAddr gpa, uint64_t size,
                                        ByteSpan contents, uint64_t offset = 0,
                                        bool readonly = true);
  std::optional<SysPhysAddr> gpa_to_spa(GuestPhysAddr gpa) const;  // C-bit must already be stripped
  const MemSlot* slot_of(GuestPhysAddr gpa) const;
  const std::vector<MemSlot>& slots() const { return slots_; }

  // The hypervisor's view. The range may span slots but every byte must be in one (else
  // InputError naming the GPA). write() ignores `readonly` (QEMU loads ROMs through it) and
  // faults its pages in first; read() of a page not yet faulted in gives zeros (the zero page).
  void read(GuestPhysAddr gpa, MutByteSpan out);
  void write(GuestPhysAddr gpa, ByteSpan in);
  host::HostKernel& kernel() { return k_; }

  // Fault in every page of [gpa, gpa+len) not yet present: clear it through the host's mapping
  // (get_user_pages() with FOLL_WRITE, as sev_pin_memory() does; kvm_gmem_get_pfn()). The range
  // must lie in slots (else InputError).
  void fault_in(GuestPhysAddr gpa, uint64_t len);
  // kvm_gmem_populate(): the pages of [gpa, gpa+len) become present without being cleared; the
  // caller fills each whole page (the VMM's source or the firmware's ZERO page).
  void populate(GuestPhysAddr gpa, uint64_t len);
  // Whether the page holding gpa is present (faulted in or populated). False outside slots.
  bool present(GuestPhysAddr gpa) const;
  // Whether read() of the page holding gpa gives zeros without reading anything: a page never
  // faulted in (the zero page) or, with guest_memfd, a private one (no host mapping). A present
  // page may hold zeros too; this only says what is known without looking. False outside slots.
  bool reads_as_zero(GuestPhysAddr gpa) const {
    return slot_of(gpa) && (is_private(gpa) || !present(gpa));
  }

  // guest_memfd (KVM with private memory, as SEV-SNP VMs are made): the slots' pages are the
  // guest_memfd's and are NOT mapped into the host (QEMU); a GFN whose memory attribute is
  // private reads as zeros in the hypervisor's view (what `dump-guest-memory` of an SNP guest
  // shows) and cannot be written through it (InputError). QEMU makes all RAM private at start
  // (KVM_SET_MEMORY_ATTRIBUTES); page-state changes flip single GFNs.
  void enable_guest_memfd() { guest_memfd_ = true; }
  bool guest_memfd() const { return guest_memfd_; }
  // KVM_SET_MEMORY_ATTRIBUTES over [gpa, gpa+size), page-aligned.
  void set_memory_attributes(GuestPhysAddr gpa, uint64_t size, bool make_private);
  bool is_private(GuestPhysAddr gpa) const {
    return guest_memfd_ && !shared_gfns_.count(gpa.value >> kPageShift);
  }

 private:
  struct Backing {
    VirtAddr va;
    unsigned order = 0;
    uint64_t pages = 0;  // pages kept of the 2^order block (the tail went back to the allocator)
    std::vector<bool> present;  // per page: faulted in or populated
  };
  // Calls fn(backing, page index) for each page of [gpa, gpa+len); InputError outside slots.
  template <typename Fn>
  void for_each_page(GuestPhysAddr gpa, uint64_t len, Fn&& fn);
  const MemSlot& new_slot(std::string name, GuestPhysAddr gpa, uint64_t size, bool readonly,
                          ByteSpan contents, uint64_t offset, Fault fault);
  void store(VirtAddr va, ByteSpan in);
  template <typename Fn>
  void for_each_piece(GuestPhysAddr gpa, uint64_t len, Fn&& fn) const;

  host::HostKernel& k_;
  std::vector<MemSlot> slots_;
  std::vector<Backing> backing_;
  bool guest_memfd_ = false;
  std::set<uint64_t> shared_gfns_;  // with guest_memfd: every other GFN is private
};

}  // namespace cbit::sw::hv
