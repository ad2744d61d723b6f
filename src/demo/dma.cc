// DMA under SME (seed 000; linux-hardened#16, open-gpu-kernel-modules#340). A device reaches
// encrypted memory by putting the C-bit (bit 47 on naples) in its bus address. A device whose
// DMA mask cannot express that bit needs swiotlb bounce buffers; without them the DMA API
// refuses the mapping ("DMA addr ... overflow"), and a driver that bypasses the DMA API hands the
// device a plain physical address: it reads ciphertext and its writes decrypt to garbage.
#include <fmt/format.h>

#include <cstring>

#include "demo/demo.h"
#include "sw/host/kernel.h"

namespace cbit::demo {

namespace {

constexpr char kPayload[] = "outgoing packet payload 0123456789abcdef";
constexpr char kIncoming[] = "incoming packet from the wire, 64 bytes.";

struct DmaCase {
  bool mapped = false;     // the DMA API produced a mapping
  bool device_ok = false;  // the device read the payload
  bool cpu_ok = false;     // the CPU read what the device wrote
  uint64_t bus_addr = 0;
  bool bounced = false;
};

DmaCase run_case(const DemoOptions& opt, bool sme, unsigned mask_bits, uint64_t swiotlb,
                 bool bypass_dma_api, std::string& dmesg_tail) {
  hw::Machine m(machine_config(opt, 64ull << 20));
  sw::host::HostKernel k(m, {sme ? "mem_encrypt=on" : "mem_encrypt=off", false, swiotlb});
  k.boot();
  auto& dev = m.add_dma_device(fmt::format("nic{}", mask_bits), mask_bits);
  const VirtAddr buf = *k.alloc_pages(0);
  const ByteSpan payload(reinterpret_cast<const uint8_t*>(kPayload), sizeof kPayload - 1);
  const ByteSpan incoming(reinterpret_cast<const uint8_t*>(kIncoming), sizeof kIncoming - 1);
  k.memcpy_to(buf, payload);
  DmaCase c;
  Bytes seen(payload.size());
  if (bypass_dma_api) {
    c.mapped = true;
    c.bus_addr = k.virt_to_phys(buf);
    dev.dma_read(c.bus_addr, seen);
    dev.dma_write(c.bus_addr + 0x100, incoming);
    Bytes back(incoming.size());
    k.memcpy_from(buf + 0x100, back);
    c.cpu_ok = std::equal(back.begin(), back.end(), incoming.begin());
  } else {
    auto tx = k.dma_map_single(dev, buf, payload.size(), sw::host::DmaDirection::ToDevice);
    auto rx =
        k.dma_map_single(dev, buf + 0x100, incoming.size(), sw::host::DmaDirection::FromDevice);
    c.mapped = !tx.error() && !rx.error();
    if (c.mapped) {
      c.bus_addr = tx.dma_addr;
      c.bounced = tx.bounce.has_value();
      dev.dma_read(tx.dma_addr, seen);
      dev.dma_write(rx.dma_addr, incoming);
      k.dma_unmap_single(dev, tx);
      k.dma_unmap_single(dev, rx);
      Bytes back(incoming.size());
      k.memcpy_from(buf + 0x100, back);
      c.cpu_ok = std::equal(back.begin(), back.end(), incoming.begin());
    }
  }
  c.device_ok = c.mapped && std::equal(seen.begin(), seen.end(), payload.begin());
  dmesg_tail = k.dmesg().back().substr(15);
  return c;
}

std::string describe(const DmaCase& c) {
  if (!c.mapped) return "mapping refused";
  return fmt::format("bus address {:#x}{}: device reads {}, CPU reads {}", c.bus_addr,
                     c.bounced ? " (swiotlb bounce buffer)" : "",
                     c.device_ok ? "the payload" : "CIPHERTEXT",
                     c.cpu_ok ? "the packet" : "GARBAGE");
}

}  // namespace

Section run_dma(const DemoOptions& opt) {
  Section s{"dma", "DMA with SME: the C-bit in bus addresses, swiotlb bounce buffers", {}, {}, {}};
  std::string d;
  const DmaCase wide = run_case(opt, true, 64, 1ull << 20, false, d);
  s.lines.push_back("64-bit device, DMA API:          " + describe(wide));
  const DmaCase bounced = run_case(opt, true, 32, 1ull << 20, false, d);
  s.lines.push_back("32-bit device, swiotlb:          " + describe(bounced));
  const DmaCase refused = run_case(opt, true, 32, 0, false, d);
  s.lines.push_back("32-bit device, no swiotlb:       " + describe(refused));
  s.lines.push_back("  dmesg: " + d);
  const DmaCase bypass = run_case(opt, true, 32, 1ull << 20, true, d);
  s.lines.push_back("32-bit device, driver bypasses the DMA API: " + describe(bypass));
  const DmaCase control = run_case(opt, false, 32, 1ull << 20, true, d);
  s.lines.push_back("control, SME off, same driver:   " + describe(control));
  s.check("a 64-bit device reaches encrypted memory with the C-bit in its bus address",
          wide.device_ok && wide.cpu_ok && !wide.bounced);
  s.check("a 32-bit device works through swiotlb bounce buffers",
          bounced.device_ok && bounced.cpu_ok && bounced.bounced);
  s.check("without swiotlb the DMA API refuses the mapping", !refused.mapped);
  s.check("bypassing the DMA API, the device reads ciphertext and writes garbage",
          bypass.mapped && !bypass.device_ok && !bypass.cpu_ok);
  s.check("control: with SME off the same driver works", control.device_ok && control.cpu_ok);
  s.data = {{"wide_ok", wide.device_ok},
            {"swiotlb_ok", bounced.device_ok},
            {"no_swiotlb_mapped", refused.mapped},
            {"bypass_device_ok", bypass.device_ok},
            {"control_ok", control.device_ok}};
  return s;
}

}  // namespace cbit::demo
