// The memory controller and the key-tagged cache, assembled from the real parts.
#include <gtest/gtest.h>

#include "hw/cache/cache.h"
#include "hw/memctrl/memory_controller.h"
#include "hw/psp/secure_processor.h"

namespace cbit::hw {
namespace {

struct Rig {
  explicit Rig(bool sme_coherent = false, bool tsme = false, CipherMode mode = CipherMode::Xex)
      : dram(64 << 20),
        mc(dram, nullptr, mode, 16, tsme),
        sp(mc, 1234),
        cache(mc, {1024, 8, sme_coherent}) {}
  Dram dram;
  MemoryController mc;
  psp::SecureProcessor sp;
  Cache cache;
  Bytes raw(uint64_t pa, size_t n) {
    Bytes b(n);
    dram.read(SysPhysAddr(pa), b);
    return b;
  }
};

const Bytes kSecret = [] {
  Bytes b(64);
  const char* s = "my secret: the launch codes are 0000, do not tell anyone at all!";
  std::memcpy(b.data(), s, 64);
  return b;
}();

TEST(MemoryController, EncryptedWriteStoresCiphertextAndReadsBack) {
  Rig r;
  const EncTag host = r.mc.resolve(MemAttr::host_encrypted());
  r.mc.write(SysPhysAddr(0x1000), kSecret, host);
  EXPECT_NE(r.raw(0x1000, 64), kSecret);
  Bytes back(64);
  r.mc.read(SysPhysAddr(0x1000), back, host);
  EXPECT_EQ(back, kSecret);
  // Control: without the C-bit the same bytes are stored as they are.
  r.mc.write(SysPhysAddr(0x2000), kSecret, r.mc.resolve(MemAttr::plain()));
  EXPECT_EQ(r.raw(0x2000, 64), kSecret);
}

TEST(MemoryController, CiphertextMovedToAnotherAddressDecryptsToGarbage) {
  Rig r;
  const EncTag host = r.mc.resolve(MemAttr::host_encrypted());
  r.mc.write(SysPhysAddr(0x1000), kSecret, host);
  r.dram.write(SysPhysAddr(0x5000), r.raw(0x1000, 64));  // attacker copies the raw bytes
  Bytes moved(64);
  r.mc.read(SysPhysAddr(0x5000), moved, host);
  EXPECT_NE(moved, kSecret);
  Bytes same(64);  // control: at the original address it still decrypts
  r.mc.read(SysPhysAddr(0x1000), same, host);
  EXPECT_EQ(same, kSecret);
}

TEST(MemoryController, TsmeEncryptsWhateverTheCBit) {
  Rig tsme(false, true);
  EXPECT_TRUE(tsme.mc.resolve(MemAttr::plain()).encrypted);
  tsme.mc.write(SysPhysAddr(0x3000), kSecret, tsme.mc.resolve(MemAttr::plain()));
  EXPECT_NE(tsme.raw(0x3000, 64), kSecret);
  // TSME and SME share one key: C=1 reads what C=0 wrote.
  Bytes back(64);
  tsme.mc.read(SysPhysAddr(0x3000), back, tsme.mc.resolve(MemAttr::host_encrypted()));
  EXPECT_EQ(back, kSecret);
  Rig plain;  // control
  EXPECT_FALSE(plain.mc.resolve(MemAttr::plain()).encrypted);
}

TEST(SecureProcessor, NewHostKeyAtEveryReset) {
  Rig r;
  const EncTag host = r.mc.resolve(MemAttr::host_encrypted());
  r.mc.write(SysPhysAddr(0x1000), kSecret, host);
  const Bytes cipher_before = r.raw(0x1000, 64);
  r.sp.reset();  // the DRAM keeps its cells (warm reset / cold boot)
  Bytes back(64);
  r.mc.read(SysPhysAddr(0x1000), back, host);
  EXPECT_NE(back, kSecret);
  r.mc.write(SysPhysAddr(0x1000), kSecret, host);
  EXPECT_NE(r.raw(0x1000, 64), cipher_before);
  // Seeded runs are reproducible: the same seed gives the same first-boot ciphertext.
  Rig again;
  again.mc.write(SysPhysAddr(0x1000), kSecret, host);
  EXPECT_EQ(again.raw(0x1000, 64), cipher_before);
}

TEST(Cache, WriteBackIsDeferredUntilFlush) {
  Rig r;
  r.cache.write(SysPhysAddr(0x4000), kSecret, MemAttr::plain());
  EXPECT_EQ(r.raw(0x4000, 64), Bytes(64, 0));  // still only in the cache
  r.cache.clflush(SysPhysAddr(0x4000));
  EXPECT_EQ(r.raw(0x4000, 64), kSecret);
}

TEST(Cache, InvdDropsDirtyLines) {
  Rig r;
  r.cache.write(SysPhysAddr(0x4000), kSecret, MemAttr::plain());
  r.cache.invd();
  EXPECT_EQ(r.raw(0x4000, 64), Bytes(64, 0));
  EXPECT_EQ(r.cache.stats().dropped_dirty, 1u);
  Rig c;  // control: WBINVD writes it back
  c.cache.write(SysPhysAddr(0x4000), kSecret, MemAttr::plain());
  c.cache.wbinvd();
  EXPECT_EQ(c.raw(0x4000, 64), kSecret);
}

// The C-bit flip without a flush (Linux set_memory.c flushes unless SME_COHERENT).
// The page was written encrypted and the line is still dirty in the cache; software clears
// the C-bit and writes the page in the clear; the stale encrypted line is touched once more (a
// stale mapping, a prefetch) and then both lines leave the cache under capacity pressure, the
// plaintext one first.
void flip_cbit_without_flush(Rig& r) {
  r.cache.write(SysPhysAddr(0x6000), kSecret, MemAttr::host_encrypted());
  r.cache.write(SysPhysAddr(0x6000), Bytes(64, 'P'), MemAttr::plain());
  Bytes tmp(64);
  r.cache.read(SysPhysAddr(0x6000), tmp, MemAttr::host_encrypted());
  const uint64_t set_stride = uint64_t(r.cache.config().lines / r.cache.config().ways) * 64;
  for (uint32_t k = 1; k <= 2 * r.cache.config().ways; ++k)
    r.cache.read(SysPhysAddr(0x6000 + k * set_stride), tmp, MemAttr::plain());
}

TEST(Cache, CbitChangeWithoutFlushCorruptsWithoutSmeCoherent) {
  Rig r(/*sme_coherent=*/false);
  flip_cbit_without_flush(r);
  EXPECT_EQ(r.cache.copies_of(SysPhysAddr(0x6000)), 0u);
  // The stale encrypted line was written back last: what software wrote through C=0 is gone.
  EXPECT_NE(r.raw(0x6000, 64), Bytes(64, 'P'));
  Bytes seen(64);
  r.cache.read(SysPhysAddr(0x6000), seen, MemAttr::plain());
  EXPECT_NE(seen, Bytes(64, 'P'));
}

TEST(Cache, SmeCoherentKeepsOneCopy) {
  Rig r(/*sme_coherent=*/true);
  r.cache.write(SysPhysAddr(0x6000), kSecret, MemAttr::host_encrypted());
  r.cache.write(SysPhysAddr(0x6000), Bytes(64, 'P'), MemAttr::plain());
  EXPECT_EQ(r.cache.copies_of(SysPhysAddr(0x6000)), 1u);
  Rig c(/*sme_coherent=*/true);  // the same sequence as above, with hardware coherence
  flip_cbit_without_flush(c);
  EXPECT_EQ(c.raw(0x6000, 64), Bytes(64, 'P'));
  EXPECT_GE(c.cache.stats().coherence_evictions, 1u);
}

TEST(Cache, VmPageFlushOnlyFlushesThatAsidsLines) {
  Rig r;
  r.cache.write(SysPhysAddr(0x7000), kSecret, MemAttr::host_encrypted());
  r.cache.write(SysPhysAddr(0x7040), kSecret, MemAttr::plain());
  r.cache.vm_page_flush(SysPhysAddr(0x7000), Asid(0));
  EXPECT_NE(r.raw(0x7000, 64), Bytes(64, 0));  // encrypted line written back
  EXPECT_EQ(r.raw(0x7040, 64), Bytes(64, 0));  // plain line not touched
}

}  // namespace
}  // namespace cbit::hw
