// How the page walker reaches paging-structure entries: a narrow port, so the same walker serves
// the host walk (tables in system physical memory) and, later, an SEV guest's walk, whose table
// addresses are guest physical and go through the nested walk first (APM Vol. 2 §15.34.5: the
// C-bit is masked from the GPA before the nested walk; guest tables are always private).
#pragma once
#include <cstdint>

#include "hw/mem_port.h"
#include "hw/rmp/rmp_check.h"

namespace cbit::hw {

class PageTableReader {
 public:
  virtual ~PageTableReader() = default;
  // addr: the entry's address in the walk's physical space, C-bit already removed.
  // c_bit: the encryption the walk chose for this table (from CR3 or the entry above).
  virtual uint64_t read_entry(uint64_t addr, bool c_bit) = 0;
  // Writes the entry back (Accessed/Dirty updates), with the same C-bit it was read with.
  virtual void write_entry(uint64_t addr, uint64_t value, bool c_bit) = 0;
};

// A page-table A/D write the RMP refused (SNP host: the table page is not hypervisor-owned).
// The walker turns it into #PF with the RMP bit for the address it was translating.
struct TableWriteRmpFault {};

// The host's tables: system physical memory through the CPU's port, with the CPU's ASID.
// With an RMP guard (set while SYSCFG.SNP_EN=1) each A/D write is a 4 KiB host data write and
// is checked like one (APM Table 15-39); reads are not checked.
class PhysTableReader final : public PageTableReader {
 public:
  PhysTableReader(PhysMemPort& mem, Asid asid) : mem_(mem), asid_(asid) {}
  void set_rmp_guard(const rmp::RmpTable* t) { rmp_ = t; }
  uint64_t read_entry(uint64_t addr, bool c_bit) override {
    uint8_t b[8];
    mem_.read(SysPhysAddr(addr), b, MemAttr{c_bit, asid_});
    return load_le<uint64_t>(b);
  }
  void write_entry(uint64_t addr, uint64_t value, bool c_bit) override {
    if (rmp_ && rmp::check_host_write(*rmp_, SysPhysAddr(addr), 12) != rmp::RmpCheck::Pass)
      throw TableWriteRmpFault{};
    uint8_t b[8];
    store_le(b, value);
    mem_.write(SysPhysAddr(addr), b, MemAttr{c_bit, asid_});
  }

 private:
  PhysMemPort& mem_;
  Asid asid_;
  const rmp::RmpTable* rmp_ = nullptr;
};

}  // namespace cbit::hw
