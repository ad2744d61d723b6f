#include "x86/engine_prewarm.h"

#include <unicorn/unicorn.h>

#include <cstdint>
#include <future>
#include <mutex>

namespace cbit::x86 {
namespace {

uc_engine* open_engine() {
  uc_engine* uc = nullptr;
  if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) return nullptr;
  uint64_t cr0 = 0;
  uc_reg_read(uc, UC_X86_REG_CR0, &cr0);  // the first call runs the machine set-up
  return uc;
}

struct Pending {
  std::mutex mu;
  std::future<uc_engine*> engine;
  ~Pending() {
    if (!engine.valid()) return;
    try {
      if (uc_engine* uc = engine.get()) uc_close(uc);
    } catch (...) {  // Unicorn could not be loaded: nothing to close
    }
  }
};

Pending& pending() {
  static Pending p;
  return p;
}

}  // namespace

void prewarm_engine() {
  Pending& p = pending();
  const std::lock_guard lock(p.mu);
  if (!p.engine.valid()) p.engine = std::async(std::launch::async, open_engine);
}

uc_struct* take_prewarmed_engine() {
  Pending& p = pending();
  const std::lock_guard lock(p.mu);
  if (!p.engine.valid()) return nullptr;
  return p.engine.get();  // rethrows what the maker threw (Unicorn could not be loaded)
}

}  // namespace cbit::x86
