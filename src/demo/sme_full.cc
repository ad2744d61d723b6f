// Seed 000, "Full Memory Encryption": all of DRAM encrypted with one random key, against cold
// boot, DRAM-interface snooping and NVDIMM removal. Three machines run the same workload:
//   off  - no encryption (the control: every attack must find the secret),
//   TSME - the firmware encrypts every access; the OS is unmodified (mem_encrypt=off),
//   SME  - mem_encrypt=on: the kernel sets the C-bit on every page, page tables included.
// The workload writes a secret into a DRAM page and into an NVDIMM region. The attacker then
// snoops the bus (attached from power-on), takes a cold-boot image, pulls the NVDIMM, and reads
// the page by DMA without and with the C-bit in its bus address.
#include <fmt/format.h>

#include "attacks/bus_snoop.h"
#include "attacks/cold_boot.h"
#include "attacks/dma_read.h"
#include "attacks/nvdimm_removal.h"
#include "demo/demo.h"
#include "sw/host/kernel.h"
#include "testbed/physical_access.h"

namespace cbit::demo {

namespace {

constexpr char kSecret[] = "TOP-SECRET: the vault code is 7431-0099";
constexpr uint64_t kNvBase = 1ull << 32;
constexpr uint64_t kNvSize = 4ull << 20;

struct Outcome {
  size_t snoop = 0, cold_boot = 0, nvdimm = 0, dma_plain = 0, dma_cbit = 0;
  bool owner_reads_secret = false;
  bool readable_after_reboot = false;
};

Outcome run_case(const DemoOptions& opt, bool tsme, bool sme, const std::string& tag,
                 std::vector<std::string>& lines) {
  auto cfg = machine_config(opt, 64ull << 20);
  cfg.firmware.tsme = tsme;
  // The module's backing file: a fresh one (common/file.h's rule: never take over another's).
  const std::string nv_path = make_new_file(opt.workdir, "nvdimm-" + tag + "-XXXXXX.img");
  cfg.nvdimm = hw::NvdimmConfig{nv_path, SysPhysAddr(kNvBase), kNvSize};
  hw::Machine m(cfg);
  // The attacker's hands on this machine: the probe is on the bus from power-on.
  testbed::PhysicalAccess attacker(m, "evil-nic");
  attacks::BusSnoop snoop({kSecret});
  attacker.attach_bus_probe(snoop);

  sw::host::HostKernel k(m, {sme ? "mem_encrypt=on" : "mem_encrypt=off", false, 1ull << 20});
  k.boot();
  const ByteSpan secret(reinterpret_cast<const uint8_t*>(kSecret), sizeof kSecret - 1);
  const VirtAddr page = *k.alloc_pages(0);
  k.memcpy_to(page, secret);
  const VirtAddr pmem = k.memremap_pmem(SysPhysAddr(kNvBase), kNvSize);
  k.memcpy_to(pmem + 0x3000, secret);
  m.cache().wbinvd();  // the data reaches the DIMMs (a real system evicts it soon enough)
  m.nvdimm()->flush();

  Outcome o;
  Bytes back(secret.size());
  k.memcpy_from(page, back);
  o.owner_reads_secret = std::equal(back.begin(), back.end(), secret.begin());

  const auto cb = attacks::cold_boot(attacker.raw(), {kSecret});
  const auto nv = attacks::nvdimm_removal(nv_path, {kSecret});
  auto& dev = attacker.dma();
  const auto dma_plain = attacks::dma_read(dev, k.__pa(page), kPageSize, {kSecret});
  // The same device may simply set the C-bit in its bus address: SME does not stop DMA (an
  // IOMMU does). Under TSME the device always sees plaintext.
  const auto dma_c =
      attacks::dma_read(dev, SysPhysAddr(attacker.bus(k.__pa(page), true)), kPageSize, {kSecret});
  o.snoop = snoop.report().count(kSecret);
  o.cold_boot = cb.count(kSecret);
  o.nvdimm = nv.count(kSecret);
  o.dma_plain = dma_plain.count(kSecret);
  o.dma_cbit = dma_c.count(kSecret);
  attacker.detach_bus_probe(snoop);

  // Reboot: the Secure Processor makes a new key; what the old boot left is now unreadable,
  // even to the machine itself (and so is the NVDIMM's encrypted content).
  m.reset();
  Bytes after((secret.size() + 15) & ~size_t(15));  // whole AES blocks
  m.memctrl().read(k.__pa(page), after, m.memctrl().resolve(hw::MemAttr{sme, Asid(0)}));
  o.readable_after_reboot = std::equal(secret.begin(), secret.end(), after.begin());

  lines.push_back(fmt::format(
      "  {:<5} bus snoop {:>2}   cold boot {:>2}   NVDIMM removed {:>2}   DMA {:>2}   DMA+C-bit "
      "{:>2}"
      "   | owner reads it: {}   after reboot: {}",
      tag, o.snoop, o.cold_boot, o.nvdimm, o.dma_plain, o.dma_cbit,
      o.owner_reads_secret ? "yes" : "NO", o.readable_after_reboot ? "readable" : "garbage"));
  return o;
}

}  // namespace

Section run_sme_full(const DemoOptions& opt) {
  Section s{"sme-full",
            "Full memory encryption: TSME, and SME with the C-bit on every page (seed 000)",
            {},
            {},
            {}};
  s.lines.push_back(
      fmt::format("secret \"{}\" written by the host into DRAM and an NVDIMM", kSecret));
  s.lines.push_back("  times the attacker finds it:");
  const Outcome off = run_case(opt, false, false, "off", s.lines);
  const Outcome tsme = run_case(opt, true, false, "TSME", s.lines);
  const Outcome sme = run_case(opt, false, true, "SME", s.lines);

  s.check("control (no encryption): cold boot, bus snoop, NVDIMM removal and DMA all find it",
          off.cold_boot > 0 && off.snoop > 0 && off.nvdimm > 0 && off.dma_plain > 0);
  for (const auto& [name, o] : {std::pair{"TSME", tsme}, std::pair{"SME", sme}}) {
    s.check(fmt::format("{}: found 0 times by cold boot, bus snoop and NVDIMM removal", name),
            o.cold_boot == 0 && o.snoop == 0 && o.nvdimm == 0);
    s.check(fmt::format("{}: the owner still reads the secret", name), o.owner_reads_secret);
    s.check(fmt::format("{}: after a reboot (new key) the old contents decrypt to garbage", name),
            !o.readable_after_reboot);
  }
  s.check("SME: DMA without the C-bit reads ciphertext", sme.dma_plain == 0);
  s.check("SME: a device that sets the C-bit reads plaintext (SME is no defence against DMA)",
          sme.dma_cbit > 0);
  s.check("TSME: DMA is transparent too (the device reads plaintext)", tsme.dma_plain > 0);
  s.lines.push_back(
      "  DMA is not what memory encryption stops: a device that sets the C-bit, or any");
  s.lines.push_back("  device under TSME, reads plaintext; blocking devices is the IOMMU's job.");
  s.lines.push_back(
      "  The NVDIMM's ciphertext is lost to its owner too after a reboot: the key is new.");
  auto j = [](const Outcome& o) {
    return nlohmann::json{{"bus_snoop", o.snoop},
                          {"cold_boot", o.cold_boot},
                          {"nvdimm_removal", o.nvdimm},
                          {"dma", o.dma_plain},
                          {"dma_with_cbit", o.dma_cbit},
                          {"owner_reads", o.owner_reads_secret},
                          {"readable_after_reboot", o.readable_after_reboot}};
  };
  s.data = {{"secret", kSecret}, {"off", j(off)}, {"tsme", j(tsme)}, {"sme", j(sme)}};
  return s;
}

}  // namespace cbit::demo
