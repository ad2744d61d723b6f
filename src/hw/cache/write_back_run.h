// A run of dirty cache lines on their way back to memory: lines that follow each other in one
// 4 KiB page under one key go to the memory controller as one write, one pass of the AES engine
// instead of one per 64-byte line (the engine tweaks each 16-byte block by its own address, so
// the bytes stored are those of line-by-line write-backs: aes_engine.h).
//
// The run keeps the order of the writes it is given: a line that does not extend it (another
// page, another key, not the next line) writes the run first. The owner writes the run out
// (flush) before anything that could see memory behind it: a fill from memory that may read
// one of its lines, the end of the operation, a bus observer (which must see each line's write
// on its own, so the cache does not use a run while one is attached).
#pragma once
#include <cstdint>
#include <cstring>

#include "common/addr.h"
#include "hw/memctrl/memory_controller.h"

namespace cbit::hw {

class WriteBackRun {
 public:
  explicit WriteBackRun(MemoryController& mc) : mc_(mc) {}
  WriteBackRun(const WriteBackRun&) = delete;
  WriteBackRun& operator=(const WriteBackRun&) = delete;

  // Appends the 64 bytes of the line at line_pa (64-byte aligned), written under tag.
  void add(uint64_t line_pa, EncTag tag, const uint8_t* line) {
    if (len_ != 0 && (line_pa != pa_ + len_ || !(tag == tag_) || (line_pa & ~kPageMask) == 0))
      flush();
    if (len_ == 0) {
      pa_ = line_pa;
      tag_ = tag;
    }
    std::memcpy(buf_ + len_, line, kCacheLineSize);
    len_ += kCacheLineSize;
  }
  void flush() {
    if (len_ == 0) return;
    const size_t n = len_;
    len_ = 0;
    mc_.write(SysPhysAddr(pa_), ByteSpan(buf_, n), tag_);
  }
  bool empty() const { return len_ == 0; }
  // The page the pending lines are in (meaningful when not empty).
  uint64_t page() const { return pa_ & kPageMask; }

 private:
  MemoryController& mc_;
  uint64_t pa_ = 0;
  size_t len_ = 0;
  EncTag tag_;
  alignas(64) uint8_t buf_[kPageSize];
};

}  // namespace cbit::hw
