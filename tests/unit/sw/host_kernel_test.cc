// The host kernel model against the real simulated machine.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "common/bytes.h"
#include "sw/host/kernel.h"
#include "tools/scan/page_classifier.h"

namespace cbit::sw::host {
namespace {

struct Host {
  explicit Host(const std::string& cmdline, bool bios_sme = true, bool tsme = false,
                const std::string& cpu = "naples", std::vector<std::string> overrides = {}) {
    hw::MachineConfig cfg;
    cfg.cpu = hw::cpu_model_by_name(cpu);
    for (const auto& o : overrides) hw::apply_cpu_override(cfg.cpu, o);
    cfg.dram_bytes = 64ull << 20;
    cfg.firmware.sme = bios_sme;
    cfg.firmware.tsme = tsme;
    cfg.seed = 5;
    m = std::make_unique<hw::Machine>(cfg);
    k = std::make_unique<HostKernel>(*m, KernelConfig{cmdline, false, 1ull << 20});
    k->boot();
  }
  bool dmesg_has(const std::string& s) const {
    for (const auto& l : k->dmesg())
      if (l.find(s) != std::string::npos) return true;
    return false;
  }
  Bytes raw(SysPhysAddr pa, size_t n) {
    m->cache().wbinvd();
    Bytes b(n);
    m->raw_view().read(pa, b);
    return b;
  }
  std::unique_ptr<hw::Machine> m;
  std::unique_ptr<HostKernel> k;
};

TEST(SmeEnable, MemEncryptOnSetsTheCbitMask) {
  Host h("mem_encrypt=on");
  EXPECT_EQ(h.k->sme_me_mask(), 1ull << 47);  // naples: CPUID Fn8000_001F EBX[5:0] = 47
  EXPECT_TRUE(h.k->cc_platform_has(CcAttr::HostMemEncrypt));
  EXPECT_FALSE(h.k->cc_platform_has(CcAttr::GuestMemEncrypt));
  EXPECT_TRUE(h.dmesg_has("Memory Encryption Features active: AMD SME"));
  Host milan("mem_encrypt=on", true, false, "milan");
  EXPECT_EQ(milan.k->sme_me_mask(), 1ull << 51);
}

TEST(SmeEnable, OffByCommandLineBiosOrCpu) {
  Host off("mem_encrypt=off");
  EXPECT_EQ(off.k->sme_me_mask(), 0u);
  EXPECT_FALSE(off.dmesg_has("Memory Encryption Features active"));
  Host bios("mem_encrypt=on", /*bios_sme=*/false);
  EXPECT_EQ(bios.k->sme_me_mask(), 0u);
  // Linux's sme_enable() says nothing; the ccp driver's SEV probe is the trace (sevctl#130).
  EXPECT_TRUE(bios.dmesg_has("ccp 0000:02:00.2: SEV: memory encryption not enabled by BIOS"));
  Host on("mem_encrypt=on");  // control: SMEE on, SEV in CPUID
  EXPECT_FALSE(on.dmesg_has("not enabled by BIOS"));
  Host nocpu("mem_encrypt=on", true, false, "naples", {"features=-sme"});
  EXPECT_EQ(nocpu.k->sme_me_mask(), 0u);
}

TEST(SmeEnable, PageTablesAndKernelImageAreEncryptedInDram) {
  Host on("mem_encrypt=on");
  const Bytes pgd = on.raw(on.k->page_tables().pgd(), kPageSize);
  EXPECT_EQ(tools::scan::classify_page(pgd), tools::scan::PageClass::HighEntropy);
  const Bytes image = on.raw(on.k->kernel_image_start(), kPageSize);
  EXPECT_EQ(count_occurrences(image, as_bytes("Linux version")), 0u);
  // Control: without SME both are readable as they are.
  Host off("mem_encrypt=off");
  const Bytes pgd_off = off.raw(off.k->page_tables().pgd(), kPageSize);
  EXPECT_NE(tools::scan::classify_page(pgd_off), tools::scan::PageClass::HighEntropy);
  EXPECT_GT(
      count_occurrences(off.raw(off.k->kernel_image_start(), kPageSize), as_bytes("Linux version")),
      0u);
  // And the CPU still runs on the encrypted tables: kernel loads and stores work.
  const VirtAddr p = *on.k->alloc_pages(0);
  on.k->memcpy_to(p, as_bytes("through the MMU"));
  Bytes back(15);
  on.k->memcpy_from(p, back);
  EXPECT_EQ(std::string(back.begin(), back.end()), "through the MMU");
}

TEST(SetMemory, DecryptedSplitsTheLargePageAndLeavesNeighboursEncrypted) {
  Host h("mem_encrypt=on");
  // A fresh 2 MiB block: still mapped by one large page of the direct map.
  const VirtAddr a = *h.k->alloc_pages(9);
  const VirtAddr b = a + kPageSize;
  h.k->memcpy_to(b, as_bytes("neighbour"));
  auto before = h.k->page_tables().lookup_address(a);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->level, PgLevel::Pmd);
  ASSERT_EQ(h.k->set_memory_decrypted(a, 1), 0);
  auto after = h.k->page_tables().lookup_address(a);
  EXPECT_EQ(after->level, PgLevel::Pte);
  EXPECT_EQ(after->value & h.k->sme_me_mask(), 0u);
  EXPECT_NE(h.k->page_tables().lookup_address(b)->value & h.k->sme_me_mask(), 0u);
  h.k->memcpy_to(a, as_bytes("shared with a device"));
  EXPECT_EQ(count_occurrences(h.raw(h.k->__pa(a), kPageSize), as_bytes("shared with a device")),
            1u);
  EXPECT_EQ(count_occurrences(h.raw(h.k->__pa(b), kPageSize), as_bytes("neighbour")), 0u);
  Bytes nb(9);
  h.k->memcpy_from(b, nb);
  EXPECT_EQ(std::string(nb.begin(), nb.end()), "neighbour");
  EXPECT_EQ(h.k->set_memory_decrypted(VirtAddr(a.value + 1), 1), -22);  // unaligned: -EINVAL
}

TEST(SetMemory, NoOpWithoutSme) {
  Host h("mem_encrypt=off");
  const VirtAddr a = *h.k->alloc_pages(9);
  EXPECT_EQ(h.k->set_memory_decrypted(a, 1), 0);
  EXPECT_EQ(h.k->page_tables().lookup_address(a)->level, PgLevel::Pmd);  // nothing split
}

TEST(Tsme, EncryptsEverythingWithoutTheKernelKnowing) {
  Host h("mem_encrypt=off", true, /*tsme=*/true);
  EXPECT_FALSE(h.k->cc_platform_has(CcAttr::MemEncrypt));
  EXPECT_TRUE(h.dmesg_has("psp: TSME enabled"));
  const VirtAddr p = *h.k->alloc_pages(0);
  h.k->memcpy_to(p, as_bytes("legacy OS data"));
  EXPECT_EQ(count_occurrences(h.raw(h.k->__pa(p), kPageSize), as_bytes("legacy OS data")), 0u);
  Host both("mem_encrypt=on", true, true);
  EXPECT_TRUE(both.dmesg_has("Both TSME and SME are active"));
}

TEST(Swiotlb, PoolIsBelow4GiBAndDecrypted) {
  Host h("mem_encrypt=on");
  ASSERT_TRUE(h.k->swiotlb_pool());
  EXPECT_LT(h.k->swiotlb_pool()->value, 4ull << 30);
  auto e = h.k->page_tables().lookup_address(h.k->__va(*h.k->swiotlb_pool()));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->value & h.k->sme_me_mask(), 0u);
  EXPECT_TRUE(h.dmesg_has("software IO TLB: mapped"));
}

// Every line the host kernel logs is one Linux prints: the format strings of docs/host.md's
// table ("The host kernel's log"), turned into patterns, must match each line of the log in
// every configuration that prints something different.
std::vector<std::regex> linux_formats() {
  std::ifstream in(std::string(CBIT_SOURCE_DIR) + "/docs/host.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const size_t at = doc.find("## The host kernel's log");
  EXPECT_NE(at, std::string::npos);
  std::vector<std::regex> out;
  std::istringstream lines(doc.substr(at));
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("| `", 0) != 0) continue;
    const std::string fmt = l.substr(3, l.find('`', 3) - 3);
    std::string re = "^";
    for (size_t i = 0; i < fmt.size(); ++i) {
      auto conv = [&](const char* spec, const char* pat) {
        if (fmt.compare(i, std::strlen(spec), spec) != 0) return false;
        re += pat;
        i += std::strlen(spec) - 1;
        return true;
      };
      if (conv("%pad", "0x[0-9a-f]{16}") || conv("%pa", "0x[0-9a-f]{16}") ||
          conv("%llx", "[0-9a-f]+") || conv("%zu", "[0-9]+") || conv("%zd", "[0-9]+") ||
          conv("%lu", "[0-9]+") || conv("%d", "[0-9]+") || conv("%s", ".+"))
        continue;
      if (std::strchr("\\^$.|?*+()[]{}", fmt[i])) re += '\\';
      re += fmt[i];
    }
    out.emplace_back(re + "$");
  }
  return out;
}

TEST(HostKernelLog, EveryLineIsOneLinuxPrints) {
  const auto formats = linux_formats();
  ASSERT_GE(formats.size(), 10u);
  std::vector<std::string> log;
  auto collect = [&](const HostKernel& k) {
    for (const auto& l : k.dmesg()) log.push_back(l);
  };
  for (const char* cpu : {"naples", "milan"}) {
    collect(*Host("mem_encrypt=on", true, false, cpu).k);
    collect(*Host("mem_encrypt=off", true, false, cpu).k);
    collect(*Host("mem_encrypt=on", /*bios_sme=*/false, false, cpu).k);
    collect(*Host("mem_encrypt=off", true, /*tsme=*/true, cpu).k);
    collect(*Host("mem_encrypt=on", true, /*tsme=*/true, cpu).k);
  }
  // A 32-bit device: without swiotlb the mapping overflows; with a one-slot pool it is full.
  for (uint64_t pool : {uint64_t{0}, uint64_t{4096}}) {
    hw::MachineConfig cfg;
    cfg.cpu = hw::cpu_model_by_name("naples");
    cfg.dram_bytes = 64ull << 20;
    cfg.seed = 5;
    hw::Machine m(cfg);
    HostKernel k(m, KernelConfig{"mem_encrypt=on", false, pool});
    k.boot();
    auto& dev = m.add_dma_device("nic32", 32);
    const VirtAddr buf = *k.alloc_pages(1);
    EXPECT_TRUE(k.dma_map_single(dev, buf, 6000, DmaDirection::ToDevice).error());
    collect(k);
  }
  // A pool that cannot be had below 4 GiB.
  {
    hw::MachineConfig cfg;
    cfg.cpu = hw::cpu_model_by_name("naples");
    cfg.dram_bytes = 64ull << 20;
    hw::Machine m(cfg);
    HostKernel k(m, KernelConfig{"mem_encrypt=on", false, 1ull << 30});
    k.boot();
    collect(k);
  }
  const std::regex stamp(R"(^\[ *[0-9]+\.[0-9]{6}\] (.*)$)");
  std::set<size_t> used;
  for (const auto& l : log) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(l, m, stamp)) << l;
    const std::string text = m[1];
    size_t which = formats.size();
    for (size_t i = 0; i < formats.size() && which == formats.size(); ++i)
      if (std::regex_match(text, formats[i])) which = i;
    EXPECT_LT(which, formats.size()) << "not a line Linux prints: " << text;
    used.insert(which);
  }
  EXPECT_EQ(used.size(), formats.size()) << "a documented format no configuration printed";
  // Control: the line the model used to print, which no Linux prints, matches no format.
  const std::string old =
      "AMD Memory Encryption: SME not enabled by BIOS (SYSCFG[MemEncryptionModEn]=0)";
  for (const auto& f : formats) EXPECT_FALSE(std::regex_match(old, f));
}

}  // namespace
}  // namespace cbit::sw::host
