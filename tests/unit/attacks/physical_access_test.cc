// The physical attacker's interfaces on a machine (testbed::PhysicalAccess): a probe sees the
// DRAM bus only while attached; the DMA path without the C-bit and the raw view agree on what is
// stored once the cache is written back; a write as stored lands in the cells. Controls: a
// detached probe sees nothing; with the C-bit the device reads plaintext, not the stored bytes.
#include "testbed/physical_access.h"

#include <gtest/gtest.h>

#include "attacks/bus_snoop.h"
#include "attacks/sev_attack.h"
#include "sw/host/kernel.h"

namespace cbit::testbed {
namespace {

constexpr std::string_view kSecret = "probe-me: 0123456789abcdef";

struct Rig {
  hw::Machine m{[] {
    hw::MachineConfig c;
    c.cpu = hw::cpu_model_by_name("milan");
    c.dram_bytes = 64ull << 20;
    c.seed = 3;
    return c;
  }()};
  sw::host::HostKernel k{m, {"mem_encrypt=on", false, 1ull << 20}};
  Rig() { k.boot(); }
};

TEST(PhysicalAccess, BusProbeSeesTrafficOnlyWhileAttached) {
  Rig r;
  PhysicalAccess a(r.m, "probe-nic");
  attacks::BusSnoop snoop({std::string(kSecret)});
  a.attach_bus_probe(snoop);
  const VirtAddr page = *r.k.alloc_pages(0);
  r.k.memcpy_to(page, as_bytes(kSecret));
  r.m.cache().wbinvd();
  const uint64_t seen = snoop.report().bytes_seen;
  EXPECT_GT(seen, 0u);
  a.detach_bus_probe(snoop);
  r.k.memcpy_to(page + 256, as_bytes(kSecret));
  r.m.cache().wbinvd();
  EXPECT_EQ(snoop.report().bytes_seen, seen);  // control: detached, nothing more
  EXPECT_EQ(snoop.report().hits.size(), 0u);   // SME: ciphertext on the wires
}

TEST(PhysicalAccess, StoredBytesAgreeAndTheCbitDecrypts) {
  Rig r;
  PhysicalAccess a(r.m, "evil-nic");
  const VirtAddr page = *r.k.alloc_pages(0);
  r.k.memcpy_to(page, as_bytes(kSecret));
  const SysPhysAddr pa = r.k.__pa(page);
  const Bytes stored = a.read_as_stored(pa, kSecret.size());  // DMA snoops the dirty line
  r.m.cache().wbinvd();
  Bytes cells(kSecret.size());
  a.raw().read(pa, cells);
  EXPECT_EQ(stored, cells);
  EXPECT_NE(attacks::printable(stored), kSecret);  // host-key ciphertext
  Bytes with_c(kSecret.size());
  a.dma().dma_read(a.bus(pa, true), with_c);  // control: the C-bit asks for the host key
  EXPECT_EQ(attacks::printable(with_c), kSecret);
  const Bytes mark(16, 0xA5);
  a.write_as_stored(pa + 0x100, mark);
  Bytes back(16);
  a.raw().read(pa + 0x100, back);
  EXPECT_EQ(back, mark);
  EXPECT_EQ(a.dma().name(), "evil-nic");
}

}  // namespace
}  // namespace cbit::testbed
