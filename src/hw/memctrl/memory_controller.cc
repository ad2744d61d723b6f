#include "hw/memctrl/memory_controller.h"

#include <algorithm>
#include <array>

#include "common/error.h"
#include "common/trace.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw {

MemoryController::MemoryController(Dram& dram, Nvdimm* nvdimm, CipherMode cipher,
                                   uint32_t key_slots, bool tsme)
    : dram_(dram), nvdimm_(nvdimm), cipher_(cipher), tsme_(tsme), engines_(key_slots) {
  CBIT_ASSERT(key_slots >= 1);
}

EncTag MemoryController::resolve(MemAttr attr) const {
  if (attr.c_bit) return {true, KeyId::for_asid(attr.asid)};
  // TSME encrypts every access with the host key, whatever the C-bit.
  if (tsme_) return {true, KeyId::host()};
  return EncTag::none();
}

bool MemoryController::is_backed(SysPhysAddr pa, uint64_t len) const {
  return dram_.contains(dimm_address(pa), len) || (nvdimm_ && nvdimm_->contains(pa, len));
}

void MemoryController::raw_read(SysPhysAddr pa, MutByteSpan out) {
  if (nvdimm_ && nvdimm_->contains(pa, out.size()))
    nvdimm_->read(pa, out);
  else if (dram_.contains(dimm_address(pa), out.size()))
    dram_.read(dimm_address(pa), out);
  else
    std::fill(out.begin(), out.end(), 0xff);  // no device answers: the bus floats high
  for (auto* o : observers_) o->on_dram_access(BusDir::Read, pa, out);
}

void MemoryController::raw_write(SysPhysAddr pa, ByteSpan in) {
  for (auto* o : observers_) o->on_dram_access(BusDir::Write, pa, in);
  if (nvdimm_ && nvdimm_->contains(pa, in.size()))
    nvdimm_->write(pa, in);
  else if (dram_.contains(dimm_address(pa), in.size()))
    dram_.write(dimm_address(pa), in);
  // else: a write to nowhere is dropped, as on a real bus.
}

template <typename Fn>
void MemoryController::for_each_page_chunk(SysPhysAddr pa, size_t len, Fn&& fn) {
  size_t done = 0;
  while (done < len) {
    const uint64_t a = pa.value + done;
    const size_t n = std::min<size_t>(kPageSize - (a & (kPageSize - 1)), len - done);
    fn(SysPhysAddr(a), done, n);
    done += n;
  }
}

const AesEngine& MemoryController::engine(KeyId slot) const {
  CBIT_ASSERT(slot.value < engines_.size());
  CBIT_ASSERT(engines_[slot.value] != nullptr);
  return *engines_[slot.value];
}

void MemoryController::set_ciphertext_hidden(Asid asid, bool hidden, KeySlotAccess) {
  if (hidden_.size() <= asid.value) hidden_.resize(asid.value + 1, false);
  hidden_[asid.value] = hidden;
  if (trace::on()) [[unlikely]]
    trace::instant(trace::track::kMemoryController, "key", "ciphertext hiding",
                   {{"asid", asid.value}, {"hidden", hidden}});
  any_hidden_ = std::find(hidden_.begin(), hidden_.end(), true) != hidden_.end();
}

bool MemoryController::ciphertext_hidden(Asid asid) const {
  return asid.value < hidden_.size() && hidden_[asid.value];
}

bool MemoryController::hidden_from(SysPhysAddr pa, EncTag tag) const {
  if (!rmp_ || !rmp_->enabled()) return false;
  const rmp::RmpEntry e = rmp_->table().read(pa);
  // Immutable pages are still the firmware's to encrypt and measure (LAUNCH_UPDATE).
  if (!e.assigned || e.asid == 0 || e.immutable || !ciphertext_hidden(Asid(e.asid))) return false;
  return !(tag.encrypted && tag.key == KeyId::for_asid(Asid(e.asid)));
}

// The engine works on the chips' bytes directly when nothing else needs them: the range is in
// DRAM (not the NVDIMM, which raw_read prefers) and no observer is on the bus. One pass through
// the engine instead of a copy plus an in-place transform; the bytes stored and returned are the
// same as on the general path.
bool MemoryController::direct_dram(SysPhysAddr pa, size_t len) const {
  return observers_.empty() && dram_.contains(pa, len) && !(nvdimm_ && nvdimm_->contains(pa, len));
}

void MemoryController::read(SysPhysAddr pa, MutByteSpan out, EncTag tag) {
  if (any_hidden_) {
    // Ciphertext hiding: page by page, the owner's key or 0xFF.
    for_each_page_chunk(pa, out.size(), [&](SysPhysAddr a, size_t off, size_t n) {
      auto chunk = out.subspan(off, n);
      if (hidden_from(a, tag)) {
        std::fill(chunk.begin(), chunk.end(), 0xff);
        for (auto* o : observers_) o->on_dram_access(BusDir::Read, a, chunk);
      } else {
        read_unhidden(a, chunk, tag);
      }
    });
    return;
  }
  read_unhidden(pa, out, tag);
}

void MemoryController::read_unhidden(SysPhysAddr pa, MutByteSpan out, EncTag tag) {
  if (!tag.encrypted) {
    raw_read(pa, out);
    return;
  }
  CBIT_ASSERT(pa.value % kAesBlockSize == 0 && out.size() % kAesBlockSize == 0);
  const AesEngine& eng = engine(tag.key);
  for_each_page_chunk(pa, out.size(), [&](SysPhysAddr a, size_t off, size_t n) {
    auto chunk = out.subspan(off, n);
    if (direct_dram(a, n)) {
      // A page never written reads as zeros (Dram::read).
      static constexpr std::array<uint8_t, kPageSize> kZeros{};
      const uint8_t* page = dram_.page_if_present(Pfn(a.pfn()));
      eng.decrypt(a, ByteSpan(page ? page + a.page_offset() : kZeros.data(), n), chunk);
      return;
    }
    raw_read(a, chunk);
    eng.decrypt(a, chunk, chunk);
  });
}

void MemoryController::write(SysPhysAddr pa, ByteSpan in, EncTag tag) {
  if (is_backed(pa, in.size())) tracker_.record(pa, in.size(), tag);
  if (!tag.encrypted) {
    raw_write(pa, in);
    return;
  }
  CBIT_ASSERT(pa.value % kAesBlockSize == 0 && in.size() % kAesBlockSize == 0);
  const AesEngine& eng = engine(tag.key);
  uint8_t buf[kPageSize];
  for_each_page_chunk(pa, in.size(), [&](SysPhysAddr a, size_t off, size_t n) {
    const ByteSpan src = in.subspan(off, n);
    if (direct_dram(a, n)) {
      uint8_t* dst = dram_.page_for_write(Pfn(a.pfn())) + a.page_offset();
      // The engine allows in == out but not a partial overlap (a source inside DRAM's own
      // storage, shifted); that rare case takes the buffered path.
      const bool overlap = src.data() < dst + n && dst < src.data() + n && src.data() != dst;
      if (!overlap) {
        eng.encrypt(a, src, MutByteSpan(dst, n));
        return;
      }
    }
    eng.encrypt(a, src, MutByteSpan(buf, n));
    raw_write(a, ByteSpan(buf, n));
  });
}

void MemoryController::load_key(KeyId slot, KeyMaterial&& key, KeySlotAccess) {
  CBIT_ASSERT(slot.value < engines_.size());
  engines_[slot.value] = std::make_unique<AesEngine>(cipher_, key);
  // Which slot, never what went into it.
  if (trace::on()) [[unlikely]]
    trace::instant(trace::track::kMemoryController, "key", "key slot loaded",
                   {{"slot", slot.value}, {"for", slot.value == 0 ? "host (SME)" : "guest ASID"}});
}

void MemoryController::clear_key(KeyId slot, KeySlotAccess) {
  CBIT_ASSERT(slot.value < engines_.size());
  const bool had_key = engines_[slot.value] != nullptr;
  engines_[slot.value].reset();
  // Only slots that held a key: a reset empties every slot, and that is no event.
  if (had_key && trace::on()) [[unlikely]]
    trace::instant(trace::track::kMemoryController, "key", "key slot cleared",
                   {{"slot", slot.value}});
}

bool MemoryController::key_loaded(KeyId slot) const {
  return slot.value < engines_.size() && engines_[slot.value] != nullptr;
}

void MemoryController::remove_observer(BusObserver* obs) {
  observers_.erase(std::remove(observers_.begin(), observers_.end(), obs), observers_.end());
}

}  // namespace cbit::hw
