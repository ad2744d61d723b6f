// Test rig for the CPU: the real DRAM, memory controller, Secure Processor (host key) and
// cache, with a thin recording wrapper between the CPU and the cache that remembers the
// address and MemAttr of every access (so a test can see which key each page-table read used),
// and a page-table builder that writes entries through the same real memory.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "hw/cache/cache.h"
#include "hw/cpu/cpu.h"
#include "hw/cpu/msr.h"
#include "hw/memctrl/memory_controller.h"
#include "hw/psp/secure_processor.h"

namespace cbit::hw::testing {

struct RecordedAccess {
  uint64_t pa;
  size_t len;
  MemAttr attr;
  bool write;
};

class RecordingPort final : public PhysMemPort {
 public:
  explicit RecordingPort(PhysMemPort& inner) : inner_(inner) {}
  void read(SysPhysAddr pa, MutByteSpan out, MemAttr attr) override {
    log.push_back({pa.value, out.size(), attr, false});
    inner_.read(pa, out, attr);
  }
  void write(SysPhysAddr pa, ByteSpan in, MemAttr attr) override {
    log.push_back({pa.value, in.size(), attr, true});
    inner_.write(pa, in, attr);
  }
  std::vector<RecordedAccess> log;

 private:
  PhysMemPort& inner_;
};

// Builds 4-level tables in memory. Every table remembers the C-bit it was written with, so the
// builder reads and updates it the way the walker must.
class PageTableBuilder {
 public:
  PageTableBuilder(PhysMemPort& mem, uint64_t c_bit_mask, uint64_t pool_base = 0x100000)
      : mem_(mem), cbit_(c_bit_mask), next_(pool_base) {}

  uint64_t new_table(bool enc) {
    const uint64_t pa = next_;
    next_ += kPageSize;
    Bytes zero(kPageSize, 0);
    mem_.write(SysPhysAddr(pa), zero, attr(enc));
    enc_[pa] = enc;
    return pa;
  }
  void make_root(bool enc) {
    root_ = new_table(enc);
    root_enc_ = enc;
  }
  uint64_t cr3() const { return root_ | (root_enc_ ? cbit_ : 0); }
  uint64_t root() const { return root_; }

  uint64_t get(uint64_t table, unsigned idx) const {
    uint8_t b[8];
    mem_.read(SysPhysAddr(table + 8ull * idx), b, attr(enc_.at(table)));
    return load_le<uint64_t>(b);
  }
  void set(uint64_t table, unsigned idx, uint64_t e) {
    uint8_t b[8];
    store_le(b, e);
    mem_.write(SysPhysAddr(table + 8ull * idx), b, attr(enc_.at(table)));
  }

  // Maps va to pa at `level` (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB). New intermediate tables are
  // written with tables_enc and the entries pointing at them carry that C-bit and
  // `upper_flags`. Returns the table and index of the leaf entry.
  std::pair<uint64_t, unsigned> map(uint64_t va, uint64_t pa, uint64_t leaf_flags, bool leaf_enc,
                                    bool tables_enc = false, unsigned level = 1,
                                    uint64_t upper_flags = pte::kP | pte::kRw | pte::kUs) {
    uint64_t table = root_;
    for (unsigned l = 4; l > level; --l) {
      const unsigned idx = pte::index_at(va, l);
      uint64_t e = get(table, idx);
      if (!(e & pte::kP)) {
        const uint64_t t = new_table(tables_enc);
        e = t | upper_flags | (tables_enc ? cbit_ : 0);
        set(table, idx, e);
      }
      table = e & ~cbit_ & 0x000FFFFFFFFFF000ull;
    }
    const unsigned idx = pte::index_at(va, level);
    set(table, idx, pa | leaf_flags | (level > 1 ? pte::kPs : 0) | (leaf_enc ? cbit_ : 0));
    return {table, idx};
  }
  bool table_enc(uint64_t table) const { return enc_.at(table); }

 private:
  MemAttr attr(bool enc) const { return MemAttr{enc, Asid(0)}; }
  PhysMemPort& mem_;
  uint64_t cbit_;
  uint64_t next_;
  uint64_t root_ = 0;
  bool root_enc_ = false;
  std::map<uint64_t, bool> enc_;
};

struct CpuRig {
  explicit CpuRig(const std::string& preset = "naples", bool mem_encryption = true)
      : model(cpu_model_by_name(preset)),
        dram(64ull << 20),
        mc(dram, nullptr, model.cipher, 16, false),
        sp(mc, 4242),
        cache(mc, {1024, 8, false}),
        port(cache),
        cpu(model, port, cache, CpuFirmwareSettings{mem_encryption, true, 0, 0}),
        pt(cache, cpu.c_bit_mask()) {}

  // Long mode with NXE, PGE and WP, CR3 from the builder.
  void enter_long_mode(bool nxe = true, bool pge = true, bool wp = true) {
    cpu.wrmsr(msr::kEfer, efer::kLme | (nxe ? efer::kNxe : 0));
    cpu.mov_to_cr4(cr4::kPae | (pge ? cr4::kPge : 0));
    cpu.mov_to_cr3(pt.cr3());
    cpu.mov_to_cr0(cr0::kPe | cr0::kEt | cr0::kPg | (wp ? cr0::kWp : 0));
  }
  Bytes raw(uint64_t pa, size_t n) {
    Bytes b(n);
    dram.read(SysPhysAddr(pa), b);
    return b;
  }

  CpuModel model;
  Dram dram;
  MemoryController mc;
  psp::SecureProcessor sp;
  Cache cache;
  RecordingPort port;
  Cpu cpu;
  PageTableBuilder pt;
};

}  // namespace cbit::hw::testing
