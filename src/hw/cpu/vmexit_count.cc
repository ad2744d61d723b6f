#include "hw/cpu/vmexit_count.h"

#include <atomic>

namespace cbit::hw {
namespace {
std::atomic<uint64_t> g_vmexits{0};
}  // namespace

uint64_t vmexits_so_far() { return g_vmexits.load(std::memory_order_relaxed); }
void note_vmexit() { g_vmexits.fetch_add(1, std::memory_order_relaxed); }

}  // namespace cbit::hw
