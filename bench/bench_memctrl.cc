// Memory-controller data path (issue: "encryption must cost only on encrypted pages", seed 001;
// issue 9 §5: the encrypted page path at >= 0.8x of the AES engine alone) and host memory for a
// sparse terabyte machine. Baselines in the same run: memcpy, and the engine alone on a hot page
// with the same addresses (scripts/bench-memctrl.sh prints the ratios).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstring>

#include "hw/cache/cache.h"
#include "hw/dram/dram.h"
#include "hw/machine.h"
#include "hw/memctrl/aes_engine.h"
#include "hw/memctrl/memory_controller.h"
#include "hw/psp/secure_processor.h"

namespace {

using namespace cbit;
using namespace cbit::hw;

constexpr uint64_t kWorkingSet = 64ull << 20;  // 16384 pages: beyond the L2, like real traffic

struct Rig {
  Dram dram{1ull << 30};
  MemoryController mc{dram, nullptr, CipherMode::Xex, 16, false};
  hw::psp::SecureProcessor sp{mc, 7};
  Rig() {
    Bytes page(kPageSize, 0x5a);
    for (uint64_t pa = 0; pa < kWorkingSet; pa += kPageSize) dram.write(SysPhysAddr(pa), page);
  }
};

Rig& rig() {
  static Rig r;
  return r;
}

void BM_Memcpy_Page(benchmark::State& st) {
  static std::vector<uint8_t> src(kWorkingSet, 0x5a);
  Bytes dst(kPageSize);
  uint64_t pa = 0;
  for (auto _ : st) {
    std::memcpy(dst.data(), src.data() + pa, kPageSize);
    benchmark::DoNotOptimize(dst.data());
    pa = (pa + kPageSize) % kWorkingSet;
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * kPageSize));
}
BENCHMARK(BM_Memcpy_Page)->Name("BM_Memcpy_Read_Page");

// The write baseline: memcpy of a hot page into the 64 MiB working set (write-allocate traffic,
// as the memory controller's DRAM write does).
void BM_Memcpy_Write_Page(benchmark::State& st) {
  static std::vector<uint8_t> dst(kWorkingSet, 0x5a);
  Bytes src(kPageSize, 0xa5);
  uint64_t pa = 0;
  for (auto _ : st) {
    std::memcpy(dst.data() + pa, src.data(), kPageSize);
    benchmark::DoNotOptimize(dst.data());
    pa = (pa + kPageSize) % kWorkingSet;
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * kPageSize));
}
BENCHMARK(BM_Memcpy_Write_Page);

template <bool kWrite, bool kEncrypted>
void BM_MemCtrl_Page(benchmark::State& st) {
  Rig& r = rig();
  const EncTag tag = r.mc.resolve(kEncrypted ? MemAttr::host_encrypted() : MemAttr::plain());
  Bytes buf(kPageSize, 0xa5);
  uint64_t pa = 0;
  for (auto _ : st) {
    if (kWrite)
      r.mc.write(SysPhysAddr(pa), buf, tag);
    else
      r.mc.read(SysPhysAddr(pa), buf, tag);
    benchmark::DoNotOptimize(buf.data());
    pa = (pa + kPageSize) % kWorkingSet;
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * kPageSize));
}
// The baseline of the encrypted path: the AES engine alone (the same mode, key length and
// backend as the controller's), a hot 4 KiB page in and out, the tweak walking the same
// addresses.
template <bool kEncrypt>
void BM_AesEngine_Page(benchmark::State& st) {
  const AesEngine eng(CipherMode::Xex,
                      KeyMaterial(KeyLength::Aes128, Bytes(16, 0x11), Bytes(16, 0x22)));
  Bytes in(kPageSize, 0xa5), out(kPageSize);
  uint64_t pa = 0;
  for (auto _ : st) {
    if (kEncrypt)
      eng.encrypt(SysPhysAddr(pa), in, out);
    else
      eng.decrypt(SysPhysAddr(pa), in, out);
    benchmark::DoNotOptimize(out.data());
    pa = (pa + kPageSize) % kWorkingSet;
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * kPageSize));
}
BENCHMARK(BM_AesEngine_Page<false>)->Name("BM_AesEngine_Decrypt_Page");
BENCHMARK(BM_AesEngine_Page<true>)->Name("BM_AesEngine_Encrypt_Page");

BENCHMARK(BM_MemCtrl_Page<false, false>)->Name("BM_MemCtrl_Read_Plain_Page");
BENCHMARK(BM_MemCtrl_Page<true, false>)->Name("BM_MemCtrl_Write_Plain_Page");
BENCHMARK(BM_MemCtrl_Page<false, true>)->Name("BM_MemCtrl_Read_Encrypted_Page");
BENCHMARK(BM_MemCtrl_Page<true, true>)->Name("BM_MemCtrl_Write_Encrypted_Page");

// The cache's write-backs (issue 9 §5: KVM's teardown runs WBINVD over a 2 MiB cache of dirty
// lines). Arg 0: each line written back on its own, as a bus observer forces (the path before
// page runs); arg 1: page runs of one key (write_back_run.h). The cache is filled with dirty
// lines of 512 pages under the host key, then flushed; only the flush is timed.
struct NoOpObserver final : BusObserver {
  void on_dram_access(BusDir, SysPhysAddr, ByteSpan) override {}
};

void BM_Cache_Wbinvd_2MiB_Dirty(benchmark::State& st) {
  Rig& r = rig();
  NoOpObserver obs;
  if (st.range(0) == 0) r.mc.add_observer(&obs);
  Cache cache(r.mc, CacheConfig{});
  const Bytes page(kPageSize, 0x3c);
  for (auto _ : st) {
    st.PauseTiming();
    for (uint64_t pa = 0; pa < (2ull << 20); pa += kPageSize)
      cache.write(SysPhysAddr(pa), page, MemAttr::host_encrypted());
    st.ResumeTiming();
    cache.wbinvd();
  }
  if (st.range(0) == 0) r.mc.remove_observer(&obs);
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * (2ull << 20)));
}
BENCHMARK(BM_Cache_Wbinvd_2MiB_Dirty)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Page writes through a full cache of dirty lines (the hypervisor zeroing guest pages): each
// write evicts a page's worth of dirty victims, written back as runs.
void BM_Cache_Write_Page_Evicting(benchmark::State& st) {
  Rig& r = rig();
  Cache cache(r.mc, CacheConfig{});
  const Bytes page(kPageSize, 0x3c);
  uint64_t pa = 0;
  for (auto _ : st) {
    cache.write(SysPhysAddr(pa), page, MemAttr::host_encrypted());
    pa = (pa + kPageSize) % kWorkingSet;
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * kPageSize));
}
BENCHMARK(BM_Cache_Write_Page_Evicting);

long max_rss_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss * 1024L;
}

// A machine with 1 TiB of physical address space; 1 GiB of it touched, spread over the whole
// range (every 1024th page), through the memory controller with encryption. Reports the host
// memory the DRAM model uses, and the process's peak RSS growth.
void BM_Sparse_1TiB_Touch_1GiB(benchmark::State& st) {
  for (auto _ : st) {
    const long rss_before = max_rss_bytes();
    Dram dram(1ull << 40);
    MemoryController mc(dram, nullptr, CipherMode::Xex, 1, false);
    hw::psp::SecureProcessor sp(mc, 9);
    const EncTag tag = mc.resolve(MemAttr::host_encrypted());
    Bytes page(kPageSize, 0x11);
    const uint64_t pages = (1ull << 30) / kPageSize;
    const uint64_t stride = (1ull << 40) / (1ull << 30) * kPageSize;  // 4 MiB
    for (uint64_t i = 0; i < pages; ++i) mc.write(SysPhysAddr(i * stride), page, tag);
    st.counters["touched_GiB"] =
        static_cast<double>(dram.touched_pages() * kPageSize) / (1ull << 30);
    st.counters["dram_model_GiB"] = static_cast<double>(dram.host_bytes()) / (1ull << 30);
    st.counters["peak_rss_growth_GiB"] =
        static_cast<double>(max_rss_bytes() - rss_before) / (1ull << 30);
  }
}
BENCHMARK(BM_Sparse_1TiB_Touch_1GiB)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
