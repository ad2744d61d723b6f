#include "x86/process.h"

#include <fmt/format.h>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <stdexcept>

#include "common/error.h"
#include "common/trace.h"
#include "x86/engine_prewarm.h"
#include "x86/initial_stack.h"
#include "x86/page_cache.h"
#include "x86/run_watchdog.h"

namespace cbit::x86 {
namespace {

constexpr uint64_t kNever = ~0ull;  // uc_emu_start's "until": an address RIP never reaches
constexpr uint8_t kVmgexit[] = {0xF3, 0x0F, 0x01, 0xD9};
constexpr uint8_t kInt3 = 0xCC;
constexpr uint8_t kHlt = 0xF4;
constexpr size_t kMaxInsn = 15;  // longest x86 instruction (APM Vol. 3 §1.1)
constexpr uint64_t kCr0Mp = 1u << 1, kCr0Em = 1u << 2;
constexpr uint64_t kCr4OsFxsr = 1u << 9, kCr4OsXmmExcpt = 1u << 10;

void check(uc_err e, const char* what) {
  if (e != UC_ERR_OK)
    throw std::runtime_error(fmt::format("unicorn: {}: {}", what, uc_strerror(e)));
}

struct RegMap {
  int id;
  uint64_t hw::GprFile::*field;
};
constexpr RegMap kRegs[] = {
    {UC_X86_REG_RAX, &hw::GprFile::rax}, {UC_X86_REG_RBX, &hw::GprFile::rbx},
    {UC_X86_REG_RCX, &hw::GprFile::rcx}, {UC_X86_REG_RDX, &hw::GprFile::rdx},
    {UC_X86_REG_RSI, &hw::GprFile::rsi}, {UC_X86_REG_RDI, &hw::GprFile::rdi},
    {UC_X86_REG_RSP, &hw::GprFile::rsp}, {UC_X86_REG_RBP, &hw::GprFile::rbp},
    {UC_X86_REG_R8, &hw::GprFile::r8},   {UC_X86_REG_R9, &hw::GprFile::r9},
    {UC_X86_REG_R10, &hw::GprFile::r10}, {UC_X86_REG_R11, &hw::GprFile::r11},
    {UC_X86_REG_R12, &hw::GprFile::r12}, {UC_X86_REG_R13, &hw::GprFile::r13},
    {UC_X86_REG_R14, &hw::GprFile::r14}, {UC_X86_REG_R15, &hw::GprFile::r15},
    {UC_X86_REG_RIP, &hw::GprFile::rip}, {UC_X86_REG_RFLAGS, &hw::GprFile::rflags},
};
constexpr size_t kNumRegs = std::size(kRegs);

// Exception names for Fault messages (APM Vol. 2 §8.2).
std::string vector_name(uint32_t v) {
  static const char* const names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD",
                                      "#NM", "#DF", "",    "#TS", "#NP", "#SS", "#GP",
                                      "#PF", "",    "#MF", "#AC", "#MC", "#XM"};
  if (v < std::size(names) && names[v][0]) return names[v];
  return fmt::format("INT 0x{:x}", v);
}

uint64_t page_of(uint64_t va) { return va & kPageMask; }

}  // namespace

std::string to_string(RunResult::Reason r) {
  switch (r) {
    case RunResult::Reason::Exited:
      return "exited";
    case RunResult::Reason::Paused:
      return "paused";
    case RunResult::Reason::Budget:
      return "budget";
    case RunResult::Reason::Fault:
      return "fault";
    case RunResult::Reason::InvalidInstruction:
      return "invalid instruction";
  }
  return "?";
}

struct Process::Impl {
  // The GuestMemory a handler gets during a syscall: the process's own, with writes to code
  // pages and new mappings noticed so Unicorn's copies follow.
  class HandlerMemory final : public GuestMemory {
   public:
    explicit HandlerMemory(Impl& s) : s_(s) {}
    void read(VirtAddr va, MutByteSpan out) override { s_.mem.read(va, out); }
    void fetch(VirtAddr va, MutByteSpan out) override { s_.mem.fetch(va, out); }
    void write(VirtAddr va, ByteSpan in) override {
      s_.mem.write(va, in);
      for (uint64_t p = page_of(va.value); p < va.value + in.size(); p += kPageSize)
        if (s_.is_code_page(p)) s_.stale_code.push_back(p);
    }
    void map(VirtAddr va, uint64_t size, unsigned prot) override {
      s_.mem.map(va, size, prot);
      s_.record(va, size, prot);
      s_.regions_dirty = true;
    }
    void unmap(VirtAddr va, uint64_t size) override {
      s_.mem.unmap(va, size);
      for (uint64_t off = 0; off < size; off += kPageSize) s_.pages.erase(va.value + off);
      s_.regions_dirty = true;  // Unicorn's regions lose the pages: an access goes to the CPU
    }

   private:
    Impl& s_;
  };

  struct DataRegion {
    Impl* self;
    uint64_t base, size;
  };
  struct CodeRegion {
    uint64_t base, size;
    uint8_t* buf;                 // Unicorn's RAM for the region (uc_mem_map_ptr)
    std::vector<bool> fetchable;  // per page: the last fetch succeeded
    ~CodeRegion() { std::free(buf); }
  };
  struct BlockMemo {
    uint64_t addr = kNever;
    uint32_t icount = 0;
  };
  static constexpr size_t kMemo = 4096;
  // Instructions of each run counted exactly, block by block (process.h).
  static constexpr uint64_t kExactInstructions = Process::kExactInstructions;
  // A deadline this far away (about 11 days of CPU time) is no deadline.
  static constexpr double kNoDeadlineNs = 1e15;

  Impl(GuestMemory& m, SyscallHandler& h) : mem(m), handler(h), hmem(*this), cache(m) {
    uc = take_prewarmed_engine();  // engine_prewarm.h: made on the other core, if asked for
    if (!uc) check(uc_open(UC_ARCH_X86, UC_MODE_64, &uc), "uc_open");
    // SSE on, as Linux leaves it for user space (CR4.OSFXSR/OSXMMEXCPT, CR0.MP, not CR0.EM).
    uint64_t cr0 = 0, cr4 = 0;
    uc_reg_read(uc, UC_X86_REG_CR0, &cr0);
    uc_reg_read(uc, UC_X86_REG_CR4, &cr4);
    cr0 = (cr0 | kCr0Mp) & ~kCr0Em;
    cr4 |= kCr4OsFxsr | kCr4OsXmmExcpt;
    uc_reg_write(uc, UC_X86_REG_CR0, &cr0);
    uc_reg_write(uc, UC_X86_REG_CR4, &cr4);
    uc_hook hk;
    check(uc_hook_add(uc, &hk, UC_HOOK_INSN, reinterpret_cast<void*>(&on_syscall), this, 1, 0,
                      UC_X86_INS_SYSCALL),
          "hook syscall");
    check(uc_hook_add(uc, &hk, UC_HOOK_INSN_INVALID, reinterpret_cast<void*>(&on_invalid), this, 1,
                      0),
          "hook invalid instruction");
    check(uc_hook_add(uc, &hk, UC_HOOK_INTR, reinterpret_cast<void*>(&on_interrupt), this, 1, 0),
          "hook interrupt");
    check(uc_hook_add(uc, &hk, UC_HOOK_MEM_INVALID, reinterpret_cast<void*>(&on_bad_access), this,
                      1, 0),
          "hook invalid access");
    // A memory hook makes Unicorn keep RIP exact at every load and store, so a fault in a
    // data callback knows its instruction (the hook itself does nothing).
    check(uc_hook_add(uc, &hk, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                      reinterpret_cast<void*>(&on_mem_access), this, 1, 0),
          "hook memory");
    add_block_hook();
    memo = std::make_unique<BlockMemo[]>(kMemo);
    regs.rflags = 0x202;  // IF, as a new user process starts (and the reserved bit 1)
    // The registers at each access: Unicorn's while it runs (exact at loads and stores, see
    // the memory hook), the saved ones otherwise.
    mem.set_user_regs_source([this] { return running ? read_regs() : regs; });
  }
  ~Impl() {
    watchdog.disarm();  // before uc goes: the watchdog may call uc_emu_stop until then
    mem.set_user_regs_source(nullptr);
    if (uc) uc_close(uc);
  }

  // ---- The block hook (exact counting) ----
  // Unicorn puts a call to the hook into each block it translates while the hook exists (one
  // hook of a type: a direct call, Unicorn 2.0.1 tcg-op.h gen_uc_tracecode), so adding or
  // removing it takes dropping the translated blocks to take effect: those of the code regions,
  // the only memory Unicorn executes. (uc_ctl_flush_tlb would drop them all, but Unicorn 2.0.1
  // then clears its whole code buffer: 0.1-2 s.)
  void add_block_hook() {
    check(
        uc_hook_add(uc, &block_hook, UC_HOOK_BLOCK, reinterpret_cast<void*>(&on_block), this, 1, 0),
        "hook block");
    block_hooked = true;
  }
  void drop_blocks() {
    for (const auto& c : code)
      check(uc_ctl_remove_cache(uc, c->base, c->base + c->size), "drop translation blocks");
  }

  // ---- Mappings and Unicorn regions ----
  bool is_code_page(uint64_t p) const {
    auto it = pages.find(p);
    return it != pages.end() && has(it->second, Prot::X);
  }
  void record(VirtAddr va, uint64_t size, unsigned prot) {
    CBIT_ASSERT(va.page_offset() == 0 && size % kPageSize == 0);
    for (uint64_t off = 0; off < size; off += kPageSize) pages[va.value + off] = prot;
  }

  // Makes Unicorn's regions the maximal runs of contiguous pages of one kind (code or data).
  void sync_regions() {
    struct Run {
      uint64_t base, size;
      bool code;
    };
    std::vector<Run> want;
    for (const auto& [p, prot] : pages) {
      const bool c = has(prot, Prot::X);
      if (!want.empty() && want.back().code == c && want.back().base + want.back().size == p)
        want.back().size += kPageSize;
      else
        want.push_back({p, kPageSize, c});
    }
    const auto wanted = [&](uint64_t base, uint64_t size, bool c) {
      return std::any_of(want.begin(), want.end(), [&](const Run& r) {
        return r.base == base && r.size == size && r.code == c;
      });
    };
    bool changed = false;
    for (auto it = data.begin(); it != data.end();) {
      if (wanted((*it)->base, (*it)->size, false)) {
        ++it;
        continue;
      }
      check(uc_mem_unmap(uc, (*it)->base, (*it)->size), "unmap data region");
      it = data.erase(it);
      changed = true;
    }
    for (auto it = code.begin(); it != code.end();) {
      if (wanted((*it)->base, (*it)->size, true)) {
        ++it;
        continue;
      }
      check(uc_mem_unmap(uc, (*it)->base, (*it)->size), "unmap code region");
      it = code.erase(it);
      changed = true;
    }
    for (const Run& r : want) {
      const bool have =
          r.code
              ? std::any_of(code.begin(), code.end(),
                            [&](const auto& c) { return c->base == r.base && c->size == r.size; })
              : std::any_of(data.begin(), data.end(),
                            [&](const auto& d) { return d->base == r.base && d->size == r.size; });
      if (have) continue;
      changed = true;
      if (r.code) {
        auto c = std::make_unique<CodeRegion>();
        c->base = r.base;
        c->size = r.size;
        c->buf = static_cast<uint8_t*>(std::aligned_alloc(kPageSize, r.size));
        CBIT_ASSERT(c->buf != nullptr);
        std::memset(c->buf, kInt3, r.size);
        c->fetchable.assign(r.size / kPageSize, false);
        check(uc_mem_map_ptr(uc, r.base, r.size, UC_PROT_READ | UC_PROT_EXEC, c->buf),
              "map code region");
        for (uint64_t p = r.base; p < r.base + r.size; p += kPageSize) refill(*c, p);
        code.push_back(std::move(c));
      } else {
        auto d = std::make_unique<DataRegion>(DataRegion{this, r.base, r.size});
        check(uc_mmio_map(uc, r.base, r.size, &on_mmio_read, d.get(), &on_mmio_write, d.get()),
              "map data region");
        data.push_back(std::move(d));
      }
    }
    if (changed) forget_blocks();
    code_lo = code_span = 0;
    if (!code.empty()) {
      uint64_t hi = 0;
      code_lo = ~0ull;
      for (const auto& c : code) {
        code_lo = std::min(code_lo, c->base);
        hi = std::max(hi, c->base + c->size);
      }
      code_span = hi - code_lo;
    }
    regions_dirty = false;
  }

  CodeRegion* code_region(uint64_t va) {
    for (auto& c : code)
      if (va >= c->base && va - c->base < c->size) return c.get();
    return nullptr;
  }

  // Fetches one code page through GuestMemory into Unicorn's copy. A page the CPU will not
  // fetch is filled with INT3, so executing it ends up in on_interrupt, which asks the CPU
  // again and reports the CPU's fault.
  void refill(CodeRegion& c, uint64_t p) {
    alignas(64) uint8_t fresh[kPageSize];
    const size_t idx = (p - c.base) / kPageSize;
    ++st.code_page_fetches;
    try {
      mem.fetch(VirtAddr(p), MutByteSpan(fresh, kPageSize));
      c.fetchable[idx] = true;
    } catch (const hw::CpuException&) {
      std::memset(fresh, kInt3, kPageSize);
      c.fetchable[idx] = false;
    }
    uint8_t* dst = c.buf + (p - c.base);
    if (std::memcmp(dst, fresh, kPageSize) == 0) return;
    std::memcpy(dst, fresh, kPageSize);
    ++st.code_page_changes;
    code_changed(p);
  }
  void code_changed(uint64_t p) {
    uc_ctl_remove_cache(uc, p, p + kPageSize);
    forget_blocks();
  }
  void refresh_code() {
    for (auto& c : code)
      for (uint64_t p = c->base; p < c->base + c->size; p += kPageSize) refill(*c, p);
  }
  void refresh_stale_code() {
    for (uint64_t p : stale_code)
      if (CodeRegion* c = code_region(p)) refill(*c, p);
    stale_code.clear();
  }
  void forget_blocks() {
    for (size_t i = 0; i < kMemo; ++i) memo[i].addr = kNever;
  }

  // ---- Registers ----
  // Inside a hook RIP must not be written: Unicorn 2.0.1 then restarts at the new RIP and
  // cancels a pending uc_emu_stop. Hooks leave RIP alone and set resume_rip instead.
  void write_regs(const hw::GprFile& r, bool with_rip) {
    int ids[kNumRegs];
    const void* vals[kNumRegs];
    int n = 0;
    for (size_t i = 0; i < kNumRegs; ++i) {
      if (kRegs[i].id == UC_X86_REG_RIP && !with_rip) continue;
      ids[n] = kRegs[i].id;
      vals[n++] = &(r.*kRegs[i].field);
    }
    check(uc_reg_write_batch(uc, ids, const_cast<void* const*>(vals), n), "write registers");
  }
  hw::GprFile read_regs() {
    hw::GprFile r;
    int ids[kNumRegs];
    void* vals[kNumRegs];
    for (size_t i = 0; i < kNumRegs; ++i) {
      ids[i] = kRegs[i].id;
      vals[i] = &(r.*kRegs[i].field);
    }
    check(uc_reg_read_batch(uc, ids, vals, static_cast<int>(kNumRegs)), "read registers");
    return r;
  }
  uint64_t rip() {
    uint64_t v = 0;
    uc_reg_read(uc, UC_X86_REG_RIP, &v);
    return v;
  }

  // ---- Stopping ----
  // Called from a catch block inside a callback: exceptions must not cross Unicorn's C code.
  void capture() noexcept {
    sync_clock();
    fault_rip = rip();  // exact at this point (see the memory hook); Unicorn later rewinds it
    try {
      throw;
    } catch (const hw::PageFault& pf) {
      fault.emplace(pf);
      fault_cr2 = pf.cr2();
    } catch (const hw::CpuException& e) {
      fault.emplace(e);
    } catch (...) {
      pending = std::current_exception();
    }
    halt();
  }
  void halt() noexcept {
    stopping = true;
    uc_emu_stop(uc);
  }

  // ---- Data accesses (MMIO callbacks) ----
  void data_read(uint64_t va, uint8_t* out, size_t n) {
    const size_t first = std::min<size_t>(n, kPageSize - (va & (kPageSize - 1)));
    cache.read(va, out, first);
    if (first < n) cache.read(va + first, out + first, n - first);
  }
  void data_write(uint64_t va, const uint8_t* in, size_t n) {
    const size_t first = std::min<size_t>(n, kPageSize - (va & (kPageSize - 1)));
    cache.write(va, in, first);
    if (first < n) cache.write(va + first, in + first, n - first);
  }
  static uint64_t on_mmio_read(uc_engine*, uint64_t off, unsigned size, void* ud) {
    auto* r = static_cast<DataRegion*>(ud);
    Impl& s = *r->self;
    if (s.stopping) return 0;
    ++s.st.mmio_reads;
    uint8_t b[8] = {};
    try {
      s.data_read(r->base + off, b, std::min<unsigned>(size, 8));
    } catch (...) {
      s.capture();
      return 0;
    }
    s.note_access();  // the stop may have come during the access
    return load_le<uint64_t>(b);
  }
  static void on_mmio_write(uc_engine*, uint64_t off, unsigned size, uint64_t value, void* ud) {
    auto* r = static_cast<DataRegion*>(ud);
    Impl& s = *r->self;
    if (s.stopping) return;
    ++s.st.mmio_writes;
    uint8_t b[8];
    store_le(b, value);
    try {
      s.data_write(r->base + off, b, std::min<unsigned>(size, 8));
    } catch (...) {
      s.capture();
      return;
    }
    s.note_access();
  }

  // Accesses Unicorn refuses: unmapped addresses, stores to code pages, fetches from data
  // pages. Each is performed through GuestMemory, so the outcome is the CPU's.
  static bool on_bad_access(uc_engine*, uc_mem_type type, uint64_t addr, int size, int64_t value,
                            void* ud) {
    Impl& s = *static_cast<Impl*>(ud);
    if (s.stopping) return false;
    const size_t n = static_cast<size_t>(std::clamp(size, 1, 8));
    uint8_t b[8];
    store_le(b, static_cast<uint64_t>(value));
    try {
      switch (type) {
        case UC_MEM_WRITE_PROT:  // a store to a code page (Unicorn maps them R+X)
          if (CodeRegion* c = s.code_region(addr)) {
            s.data_write(addr, b, n);  // through the page cache: W checked by the CPU, or #PF
            s.code_changed(page_of(addr));
            (void)c;
            return true;  // Unicorn then stores the same bytes into its copy
          }
          break;
        case UC_MEM_FETCH_PROT:  // executing a data page
          s.mem.fetch(VirtAddr(addr), MutByteSpan(b, 1));
          throw hw::NotModelled(fmt::format(
              "executing at 0x{:x}, a page the process mapped without PROT_EXEC", addr));
        case UC_MEM_READ_UNMAPPED:
        case UC_MEM_READ_PROT:
          s.mem.read(VirtAddr(addr), MutByteSpan(b, n));
          break;
        case UC_MEM_WRITE_UNMAPPED:
          s.mem.write(VirtAddr(addr), ByteSpan(b, n));
          break;
        case UC_MEM_FETCH_UNMAPPED:
          s.mem.fetch(VirtAddr(addr), MutByteSpan(b, 1));
          break;
        default:
          break;
      }
      // The CPU allowed an access to memory the process never mapped through Process::map.
      throw hw::NotModelled(fmt::format(
          "access to 0x{:x}: mapped in the page tables but not through Process::map", addr));
    } catch (...) {
      s.capture();
    }
    return false;
  }

  // ---- Instructions that leave the guest ----
  static void on_syscall(uc_engine*, void* ud) {
    Impl& s = *static_cast<Impl*>(ud);
    if (s.stopping) return;
    try {
      ++s.st.syscalls;
      hw::GprFile r = s.read_regs();
      // Unicorn reports RIP at the SYSCALL; the instruction leaves RIP after it, RCX = that
      // RIP and R11 = RFLAGS (APM Vol. 3 "SYSCALL").
      const uint64_t next = r.rip + 2;
      r.rip = next;
      r.rcx = next;
      r.r11 = r.rflags;
      s.cache.flush();
      s.count_fast_part();
      s.handler.set_instructions(s.total + s.executed);
      s.sync_clock();  // the trace's clock: what ran before the call comes first
      r.rax = s.handler.syscall(r, s.hmem);
      const uint64_t target = r.rip;
      s.write_regs(r, false);  // Unicorn moves RIP past the SYSCALL itself after the hook
      if (const auto fs = s.handler.take_fs_base())
        check(uc_reg_write(s.uc, UC_X86_REG_FS_BASE, &*fs), "write FS base");
      s.refresh_stale_code();
      if (auto stop = s.handler.take_stop()) {
        s.stop = stop;
        s.halt();
      } else if (target != next) {
        s.resume_rip = target;
        s.restart = true;
        s.halt();
      } else if (s.regions_dirty) {
        s.restart = true;  // new mappings: the run loop rebuilds Unicorn's regions
        s.halt();
      }
    } catch (...) {
      s.capture();
    }
  }

  static bool on_invalid(uc_engine*, void* ud) {
    Impl& s = *static_cast<Impl*>(ud);
    if (s.stopping) return false;
    try {
      const uint64_t at = s.rip();
      Bytes insn;
      for (size_t i = 0; i < kMaxInsn; ++i) {
        uint8_t b;
        if (uc_mem_read(s.uc, at + i, &b, 1) != UC_ERR_OK) break;
        insn.push_back(b);
      }
      if (insn.size() >= sizeof kVmgexit &&
          std::equal(std::begin(kVmgexit), std::end(kVmgexit), insn.begin())) {
        s.cache.flush();  // the GHCB and everything else as the CPU left it
        hw::GprFile r = s.read_regs();
        r.rip = at;
        s.count_fast_part();
        s.sync_clock();
        if (s.handler.vmgexit(r)) {
          s.write_regs(r, false);
          s.resume_rip = r.rip == at ? at + sizeof kVmgexit : r.rip;
          if (auto stop = s.handler.take_stop()) s.stop = stop;
          s.restart = true;
          s.halt();
          return true;
        }
      }
      s.invalid = insn;
      s.invalid_rip = at;
    } catch (...) {
      s.capture();
    }
    return false;
  }

  static void on_interrupt(uc_engine*, uint32_t intno, void* ud) {
    Impl& s = *static_cast<Impl*>(ud);
    if (s.stopping) return;
    try {
      const uint64_t at = s.rip();
      if (intno == 3) {
        // INT3 fill of a page the CPU refused to fetch: ask the CPU again, report its fault.
        const uint64_t insn = at - 1;
        if (CodeRegion* c = s.code_region(insn)) {
          if (!c->fetchable[(page_of(insn) - c->base) / kPageSize]) {
            uint8_t b;
            try {
              s.mem.fetch(VirtAddr(insn), MutByteSpan(&b, 1));
            } catch (...) {
              s.capture();
              s.fault_rip = insn;  // the fetch failed at the INT3's place, not after it
              return;
            }
          }
        }
      }
      throw hw::CpuException(static_cast<uint8_t>(intno), 0,
                             fmt::format("{} at rip 0x{:x}", vector_name(intno), at));
    } catch (...) {
      s.capture();
    }
  }

  // Also the one place data reads of code pages (constants in .text) are seen: Unicorn serves
  // them from its fetched copy, so the read is made through the page cache as well - the CPU
  // checks it, and a page that no longer reads faults.
  static void on_mem_access(uc_engine*, uc_mem_type type, uint64_t addr, int size, int64_t,
                            void* ud) {
    Impl& s = *static_cast<Impl*>(ud);
    if (s.stopping) return;
    s.note_access();
    if (type != UC_MEM_READ || addr - s.code_lo >= s.code_span || s.stopping) return;
    if (!s.code_region(addr)) return;
    uint8_t b[16];
    try {
      s.data_read(addr, b, static_cast<size_t>(std::clamp(size, 1, 16)));
    } catch (...) {
      s.capture();
    }
  }

  // Counts instructions per block until the run's exact part ends (exact_limit): then either
  // the budget is spent, or the run goes on without the hook (go_fast). The hook is removed
  // from inside a callback because Unicorn drops a removed hook only when uc_emu_start returns;
  // removed between runs, it would still be compiled (as a helper call) into every block the
  // next run translates.
  // A guest load or store after the watchdog asked Unicorn to stop (run_watchdog.h): Unicorn
  // 2.0.1 takes the stop right after the access (tcg-op.c, check_exit_request), rewinding RIP
  // to the start of the block although the instructions before ran, and without the lazily
  // kept flags (cc_op) - the stopped state is not exact, so the process cannot resume.
  void note_access() {
    if (wd_state.load(std::memory_order_relaxed) == RunWatchdog::kStopped) mid_block_stop = true;
  }

  static void on_block(uc_engine* uc, uint64_t addr, uint32_t, void* ud) {
    Impl& s = *static_cast<Impl*>(ud);
    BlockMemo& m = s.memo[(addr ^ (addr >> 12)) % kMemo];
    if (m.addr != addr) {
      uc_tb tb{};
      m.icount = uc_ctl_request_cache(uc, addr, &tb) == UC_ERR_OK && tb.icount ? tb.icount : 1;
      m.addr = addr;
    }
    // Stopping here keeps the block from running (Unicorn 2.0.1), so a block is counted only
    // when it fits in the budget - except the first, so every run makes progress.
    if (s.executed > 0 && s.exact_limit - s.executed < m.icount) {
      if (!s.stopping) {
        if (s.exact_limit < s.budget) {
          s.go_fast = true;
          uc_hook_del(uc, s.block_hook);
          s.block_hooked = false;
        } else {
          s.budget_hit = true;
        }
        s.halt();
      }
      return;
    }
    s.executed += m.icount;
    if (s.executed >= kExactInstructions / 2 && !s.half_ns) s.half_ns = now_ns(s.cpu_clock);
  }

  // The trace's clock (common/trace.h) counts the instructions retired so far: brought up to
  // date before anything this run does can be traced (a handler, a fault) and when it ends. The
  // block hook itself never touches it.
  void sync_clock() noexcept {
    trace::advance(executed - clocked);
    clocked = executed;
  }

  // ---- run() ----
  // Instructions per nanosecond of this thread's CPU time that the second half of the exact
  // part executed (the first half pays for translating the code and filling the page cache):
  // the rate that converts what is left of the budget into a CPU-time deadline. It counts the
  // block hook's time, so a hook-free run goes faster than it says: the deadline errs long.
  double exact_rate(int64_t now) const {
    const int64_t ns = std::max<int64_t>(now - half_ns, 1);
    return static_cast<double>(executed - kExactInstructions / 2) / static_cast<double>(ns);
  }
  static int64_t now_ns(clockid_t c) { return RunWatchdog::now_ns(c); }

  // In the fast part: adds the estimate of what ran since the last call to `executed` (never
  // past the budget), so that `executed` is current whenever a handler runs (the trace's
  // clock follows it) and when the run ends.
  void count_fast_part() {
    if (!fast) return;
    const int64_t now = now_ns(cpu_clock);
    const double est = fast_rate * static_cast<double>(now - fast_t0);
    executed += static_cast<uint64_t>(std::min(est, static_cast<double>(budget - executed)));
    fast_t0 = now;
  }

  RunResult run(uint64_t limit) {
    budget = limit;
    // While a trace is recorded every instruction is counted (its timeline is the instruction
    // count: docs/trace.md); otherwise only the first kExactInstructions of a run.
    exact_limit = trace::on() ? limit : std::min(limit, kExactInstructions);
    executed = 0;
    clocked = 0;
    budget_hit = false;
    go_fast = false;
    fast = false;
    stopping = false;
    fault.reset();
    fault_cr2.reset();
    fault_rip.reset();
    pending = nullptr;
    stop.reset();
    invalid.reset();
    restart = false;
    resume_rip.reset();
    stale_code.clear();

    const clockid_t clock = cpu_clock = RunWatchdog::this_thread_clock();
    half_ns = 0;
    int64_t deadline = 0;  // of the fast part; 0 = none
    struct Disarm {
      RunWatchdog::Guard& g;
      ~Disarm() { g.disarm(); }
    } disarm_at_end{watchdog};
    if (unresumable)
      throw InputError(
          "x86: the process was stopped inside a basic block by its CPU-time budget and cannot "
          "resume exactly (docs/x86.md, Speed)");
    wd_state = RunWatchdog::kRunning;
    mid_block_stop = false;
    if (regions_dirty) sync_regions();
    if (!block_hooked) {  // the last run ended without the hook
      add_block_hook();
      drop_blocks();
    }
    refresh_code();  // memory may have changed since the last run (another CPU, an attacker)
    RunResult r;
    for (;;) {
      if (regions_dirty) sync_regions();
      write_regs(regs, true);
      // The watchdog's word, not the clock's: a system call right before a run slows it
      // (run_watchdog.h). Between runs is a safe place to stop.
      if (wd_state.load() != RunWatchdog::kRunning) {
        r.reason = RunResult::Reason::Budget;
        break;
      }
      running = true;
      const uc_err err = uc_emu_start(uc, regs.rip, kNever, 0, 0);
      running = false;
      const bool timed_out = wd_state.load() == RunWatchdog::kStopped;
      regs = read_regs();
      if (resume_rip) {
        regs.rip = *resume_rip;
        resume_rip.reset();
      }
      if (pending) {
        try {
          cache.flush();
        } catch (const hw::CpuException&) {
        }
        std::rethrow_exception(pending);
      }
      if (fault) {
        // Unicorn leaves RIP at the start of the block; the instructions before the faulting
        // one did execute, so the state is exact with the RIP the callback saw.
        if (fault_rip) regs.rip = *fault_rip;
        r.reason = RunResult::Reason::Fault;
        r.fault = fault;
        r.fault_address = fault_cr2;
        break;
      }
      if (stop) {
        r.reason = stop->kind == SyscallHandler::Stop::Kind::Exit ? RunResult::Reason::Exited
                                                                  : RunResult::Reason::Paused;
        r.exit_code = stop->code;
        break;
      }
      if (invalid) {
        r.reason = RunResult::Reason::InvalidInstruction;
        r.instruction = *invalid;
        regs.rip = invalid_rip;
        break;
      }
      if (budget_hit || timed_out) {
        // timed_out: the watchdog's stop, at a block boundary - or, after a memory access,
        // inside one (note_access). Checked before the HLT test below: the byte before a block
        // can be 0xF4 without being a HLT.
        if (timed_out && mid_block_stop) r.resumable = false, unresumable = true;
        r.reason = RunResult::Reason::Budget;
        break;
      }
      if (go_fast) {
        // The exact part is over and the budget is not: the rest runs without the block hook,
        // bounded by the CPU time that the budget left would take at the exact part's rate.
        go_fast = false;
        stopping = false;
        drop_blocks();
        fast = true;
        fast_t0 = now_ns(clock);
        fast_rate = exact_rate(fast_t0);
        const double left_ns = static_cast<double>(budget - executed) / fast_rate;
        deadline = left_ns < kNoDeadlineNs ? fast_t0 + static_cast<int64_t>(left_ns) : 0;
        if (deadline) watchdog.arm(uc, clock, deadline, fast_t0, &wd_state);
        continue;
      }
      if (restart) {  // a handled VMGEXIT, a new RIP or new mappings from a handler
        restart = false;
        stopping = false;
        continue;
      }
      uint8_t prev = 0;
      if (err == UC_ERR_OK && regs.rip > 0 &&
          uc_mem_read(uc, regs.rip - 1, &prev, 1) == UC_ERR_OK && prev == kHlt) {
        // Unicorn stops at HLT; at CPL 3 it is #GP(0) (APM Vol. 3 "HLT").
        regs.rip -= 1;
        r.reason = RunResult::Reason::Fault;
        r.fault.emplace(hw::GeneralProtection("HLT at CPL 3"));
        break;
      }
      try {
        cache.flush();
      } catch (const hw::CpuException&) {
      }
      throw std::runtime_error(
          fmt::format("unicorn: {} at rip 0x{:x}", uc_strerror(err), regs.rip));
    }
    cache.flush();  // every store reaches GuestMemory before run() returns
    count_fast_part();
    if (fast && r.reason == RunResult::Reason::Budget) executed = budget;
    sync_clock();
    total += executed;
    st.page_fills = cache.fills();
    st.page_writebacks = cache.writebacks();
    r.rip = regs.rip;
    r.instructions = executed;
    r.instructions_exact = !fast;
    return r;
  }

  GuestMemory& mem;
  SyscallHandler& handler;
  HandlerMemory hmem;
  PlaintextPageCache cache;
  uc_engine* uc = nullptr;
  std::map<uint64_t, unsigned> pages;  // page -> prot, everything mapped through the process
  std::vector<std::unique_ptr<DataRegion>> data;
  std::vector<std::unique_ptr<CodeRegion>> code;
  std::unique_ptr<BlockMemo[]> memo;
  uint64_t code_lo = 0, code_span = 0;  // the span of the code regions, for a quick test
  hw::GprFile regs;
  ProcessStats st;
  uint64_t total = 0;
  bool loaded = false;

  uc_hook block_hook = 0;
  RunWatchdog::Guard watchdog;  // the fast part's deadline
  std::atomic<int> wd_state{RunWatchdog::kRunning};
  bool mid_block_stop = false, unresumable = false;
  bool block_hooked = false;  // the hook is in Unicorn's list (and so in new blocks)

  // Per-run state, set by the callbacks.
  uint64_t budget = 0, exact_limit = 0, executed = 0;
  uint64_t clocked = 0;  // the part of `executed` the trace's clock has (sync_clock)
  clockid_t cpu_clock{};
  int64_t fast_t0 = 0;   // fast part: the CPU time `executed` was last brought up to
  double fast_rate = 0;  // fast part: instructions per ns of CPU time
  int64_t half_ns = 0;   // when the exact part reached half of kExactInstructions
  bool budget_hit = false, go_fast = false, fast = false;
  bool stopping = false, restart = false, regions_dirty = false;
  bool running = false;  // inside uc_emu_start
  std::optional<hw::CpuException> fault;
  std::optional<VirtAddr> fault_cr2;
  std::optional<uint64_t> fault_rip;
  std::exception_ptr pending;
  std::optional<SyscallHandler::Stop> stop;
  std::optional<Bytes> invalid;
  uint64_t invalid_rip = 0;
  std::optional<uint64_t> resume_rip;
  std::vector<uint64_t> stale_code;
};

Process::Process(GuestMemory& mem, SyscallHandler& handler)
    : impl_(std::make_unique<Impl>(mem, handler)) {}
Process::~Process() = default;

void Process::map(VirtAddr va, uint64_t size, unsigned prot) {
  CBIT_ASSERT(va.page_offset() == 0 && size % kPageSize == 0 && size > 0);
  impl_->mem.map(va, size, prot);
  impl_->record(va, size, prot);
  impl_->sync_regions();
}

void Process::load(const ElfImage& image, const std::vector<std::string>& argv,
                   const std::vector<std::string>& envp) {
  Impl& s = *impl_;
  CBIT_ASSERT(!s.loaded);
  s.loaded = true;
  // Page permissions: the union over the segments that share a page (binfmt_elf maps each
  // segment separately; here one page has one PTE).
  std::map<uint64_t, unsigned> want;
  for (const ElfSegment& seg : image.segments) {
    const uint64_t end = (seg.vaddr.value + seg.memsz + kPageSize - 1) & kPageMask;
    for (uint64_t p = seg.vaddr.page_base().value; p < end; p += kPageSize)
      want[p] |= seg.prot | Prot::R;
  }
  // The loader writes the file bytes through the same path as the program (CPL 3), so the
  // pages are writable while it does, and take their final permissions after.
  const auto for_each_run = [&](bool by_prot, const auto& fn) {
    auto it = want.begin();
    while (it != want.end()) {
      auto end = std::next(it);
      while (end != want.end() && end->first == std::prev(end)->first + kPageSize &&
             (!by_prot || end->second == it->second))
        ++end;
      fn(it->first, std::prev(end)->first + kPageSize - it->first, it->second);
      it = end;
    }
  };
  for_each_run(false, [&](uint64_t base, uint64_t size, unsigned) {
    s.mem.map(VirtAddr(base), size, Prot::R | Prot::W);
  });
  for (const ElfSegment& seg : image.segments)
    if (!seg.bytes.empty()) s.mem.write(seg.vaddr, seg.bytes);
  for_each_run(
      true, [&](uint64_t base, uint64_t size, unsigned prot) { map(VirtAddr(base), size, prot); });

  map(VirtAddr(kStackTop - kStackSize), kStackSize, Prot::R | Prot::W);
  std::vector<AuxEntry> auxv = {{at::kPagesz, kPageSize},
                                {at::kEntry, image.entry.value},
                                {at::kUid, 0},
                                {at::kEuid, 0},
                                {at::kGid, 0},
                                {at::kEgid, 0},
                                {at::kSecure, 0}};
  if (image.phdr_vaddr.value) {
    auxv.push_back({at::kPhdr, image.phdr_vaddr.value});
    auxv.push_back({at::kPhent, image.phent});
    auxv.push_back({at::kPhnum, image.phnum});
  }
  const uint64_t rsp =
      build_initial_stack(s.mem, VirtAddr(kStackTop), kStackSize, argv, envp, auxv);
  s.regs = hw::GprFile{};
  s.regs.rip = image.entry.value;
  s.regs.rsp = rsp;
  s.regs.rflags = 0x202;
}

RunResult Process::run(uint64_t budget) { return impl_->run(budget); }
const hw::GprFile& Process::regs() const { return impl_->regs; }
void Process::set_regs(const hw::GprFile& regs) { impl_->regs = regs; }
GuestMemory& Process::memory() { return impl_->mem; }
uint64_t Process::instructions() const { return impl_->total; }
ProcessStats Process::stats() const {
  ProcessStats s = impl_->st;
  s.page_fills = impl_->cache.fills();
  s.page_writebacks = impl_->cache.writebacks();
  return s;
}

}  // namespace cbit::x86
