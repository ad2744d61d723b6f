// Non-temporal stores from kernel code (MOVNTI / MOVNTDQ; APM Vol. 1 "Cache and Memory
// Management": write-combined straight to memory, past the cache).
//
// Bulk copies and clears go this way on Linux hosts: glibc's memcpy/memset switch to
// non-temporal stores above __x86_shared_non_temporal_threshold (a fraction of the LLC) so that
// QEMU loading a multi-MiB firmware image does not flush the cache, and clearing a large
// allocation does not either. The address still goes through the page tables, so the C-bit of
// the mapping picks the key exactly as for ordinary stores; a cached copy of a line (under any
// key) is written back and invalidated first, as the processor does when a non-temporal store
// hits a cached line.
#pragma once
#include <cstdint>

#include "common/addr.h"
#include "common/bytes.h"

namespace cbit::sw::host {

class HostKernel;

// Sizes from which the model's memcpy / memset use non-temporal stores (glibc's threshold is
// about 3/4 of the shared cache per thread; a round figure below the model's 2 MiB cache).
inline constexpr uint64_t kNonTemporalThreshold = 256 * 1024;

void memcpy_nt(HostKernel& k, VirtAddr dst, ByteSpan src);
void memzero_nt(HostKernel& k, VirtAddr dst, uint64_t len);

}  // namespace cbit::sw::host
