// DMA under SME (seed 000; linux-hardened#16, open-gpu-kernel-modules#340). A device reaches
// encrypted memory by putting the C-bit in its bus address (docs/SPEC-FACTS.md, "Device DMA
// under SME"; Linux phys_to_dma() sets it, kernel/dma/direct.h). A device whose DMA mask
// cannot express that bit needs swiotlb's decrypted bounce buffers (the host-boot step's
// swiotlb); without them the DMA API refuses the mapping ("DMA addr ... overflow"), and a driver
// that bypasses the DMA API hands the device a plain physical address: the device reads
// ciphertext, and what it writes decrypts to garbage for the CPU.
//   dma-device    a bus master with a DMA mask (DMA_BIT_MASK(n)) plugged into the host's machine
//   dma-transfer  a driver sends a buffer to the device and receives one from it, through the
//                 DMA API (dma_map_single, kernel/dma/direct.c + swiotlb.c) or bypassing it
//                 (virt_to_phys); the result says what the device and the owner read
#include <fmt/format.h>

#include <memory>

#include "common/bytes.h"
#include "common/error.h"
#include "scenario/action.h"
#include "scenario/objects.h"
#include "scenario/run.h"
#include "sw/host/kernel.h"

namespace cbit::scenario {

namespace {

// A device a dma-device step plugged in (owned by the machine; the host outlives this).
struct DmaDeviceRef {
  sw::host::HostKernel* host = nullptr;
  hw::DmaDevice* dev = nullptr;
};

std::string peek(ByteSpan b) {
  std::string s;
  for (uint8_t c : b) s += (c >= 0x20 && c < 0x7f) ? char(c) : '.';
  return s;
}

constexpr uint64_t kRxOffset = 0x800;  // the receive buffer: the second half of the page

void check_device(const Args& a) {
  const uint64_t bits = a.u64("dma_mask", 64);
  if (bits < 12 || bits > 64)
    throw InputError(a.where("dma_mask") + ": DMA_BIT_MASK(n) needs n from 12 to 64");
  if (a.has("name") && a.str("name").empty())
    throw InputError(a.where("name") + ": must not be empty");
}

void check_transfer(const Args& a) {
  const std::string send = a.str("send", "x"), receive = a.str("receive", "x");
  if (send.empty() || send.size() > kRxOffset)
    throw InputError(a.where("send") + ": must be 1 to 2048 bytes");
  if (receive.empty() || receive.size() > kPageSize - kRxOffset)
    throw InputError(a.where("receive") + ": must be 1 to 2048 bytes");
}

nlohmann::json dma_device(const Args& a, Run& run) {
  check_device(a);
  auto& k = *host_arg(a, run).kernel;
  const uint64_t bits = a.u64("dma_mask", 64);
  const std::string name = a.str("name", fmt::format("nic{}", bits));
  auto ref = std::make_shared<DmaDeviceRef>();
  ref->host = &k;
  ref->dev = &k.machine().add_dma_device(name, static_cast<unsigned>(bits));
  const unsigned cbit = k.machine().cpu_model().fn8000_001f.cbit_position();
  const bool reaches = ref->dev->can_address(k.machine().cbit_mask(), 1);
  run.say(fmt::format("{}device {}: DMA_BIT_MASK({}), {} the C-bit (bit {})", line_tag(run), name,
                      bits, reaches ? "can set" : "cannot reach", cbit));
  const uint64_t mask = ref->dev->dma_mask();
  run.keep(std::move(ref));
  return {{"name", name}, {"dma_mask", mask}, {"reaches_cbit", reaches}};
}

nlohmann::json dma_transfer(const Args& a, Run& run) {
  check_transfer(a);
  DmaDeviceRef* ref = nullptr;
  if (a.has("device"))
    ref = &run.get<DmaDeviceRef>(a, "device", "a DMA device (do = \"dma-device\")");
  else if (!(ref = run.latest<DmaDeviceRef>()))
    throw InputError(a.where("device") + ": no earlier step plugged in a device (dma-device)");
  auto& k = *ref->host;
  auto& dev = *ref->dev;
  const std::string via = a.str("via", "dma_map_single");
  const std::string send = a.str("send", "outgoing packet payload 0123456789abcdef");
  const std::string receive = a.str("receive", "incoming packet from the wire, 64 bytes.");
  const auto buf = k.alloc_pages(0);
  if (!buf) throw InputError(a.where("device") + ": the host is out of memory");
  k.memcpy_to(*buf, as_bytes(send));
  const size_t log_before = k.dmesg().size();

  bool mapped = true, bounced = false;
  uint64_t bus = 0;
  Bytes seen(send.size());
  if (via == "virt_to_phys") {  // the driver bypasses the DMA API
    bus = k.virt_to_phys(*buf);
    dev.dma_read(bus, seen);
    dev.dma_write(bus + kRxOffset, as_bytes(receive));
  } else {
    const auto tx = k.dma_map_single(dev, *buf, send.size(), sw::host::DmaDirection::ToDevice);
    const auto rx =
        k.dma_map_single(dev, *buf + kRxOffset, receive.size(), sw::host::DmaDirection::FromDevice);
    mapped = !tx.error() && !rx.error();
    if (mapped) {
      bus = tx.dma_addr;
      bounced = tx.bounce.has_value();
      dev.dma_read(tx.dma_addr, seen);
      dev.dma_write(rx.dma_addr, as_bytes(receive));
    }
    k.dma_unmap_single(dev, tx);
    k.dma_unmap_single(dev, rx);
  }
  Bytes back(receive.size());
  k.memcpy_from(*buf + kRxOffset, back);
  const bool device_ok = mapped && seen == Bytes(send.begin(), send.end());
  const bool cpu_ok = mapped && back == Bytes(receive.begin(), receive.end());
  k.free_pages(*buf, 0);

  nlohmann::json r{{"mapped", mapped},
                   {"dma_addr", bus},
                   {"bounced", bounced},
                   {"device_reads_payload", device_ok},
                   {"cpu_reads_packet", cpu_ok},
                   {"device_read", mapped ? peek(seen) : ""},
                   {"cpu_read", mapped ? peek(back) : ""}};
  std::string line = fmt::format("{}{} ({}): ", line_tag(run), dev.name(), via);
  if (!mapped)
    line += "mapping refused";
  else
    line +=
        fmt::format("bus address {:#x}{}: device reads {}, CPU reads {}", bus,
                    bounced ? " (swiotlb bounce buffer)" : "",
                    device_ok ? "the payload" : "CIPHERTEXT", cpu_ok ? "the packet" : "GARBAGE");
  run.say(line);
  std::string logged;  // what the kernel logged meanwhile, without the uptime stamps
  for (size_t i = log_before; i < k.dmesg().size(); ++i) {
    const std::string& l = k.dmesg()[i];
    const size_t stamp = l.find("] ");  // "[    0.123456] text"
    const std::string text = stamp == std::string::npos ? l : l.substr(stamp + 2);
    logged += (logged.empty() ? "" : "\n") + text;
    run.say("    dmesg: " + text);
  }
  r["dmesg"] = logged;
  return r;
}

}  // namespace

void add_dma_actions(std::vector<Action>& out) {
  out.push_back(
      {"dma-device",
       "plug a bus-master device with a DMA mask into the host's machine (what the "
       "driver's dma_set_mask(DMA_BIT_MASK(n)) declares)",
       {{"host",
         KeyType::String,
         false,
         "the latest host",
         "the host-boot step whose machine gets the device",
         {}},
        {"dma_mask",
         KeyType::Integer,
         false,
         "64",
         "address bits the device can drive, as DMA_BIT_MASK(n) (12 to 64)",
         {}},
        {"name", KeyType::String, false, "nic<dma_mask>", "the device's name in dmesg lines", {}}},
       dma_device,
       check_device});
  out.push_back(
      {"dma-transfer",
       "a driver sends a buffer to the device and receives one from it; says what the device "
       "read and what the owner (the CPU) reads of what the device wrote",
       {{"device", KeyType::String, false, "the latest dma-device", "the dma-device step", {}},
        {"via",
         KeyType::String,
         false,
         "dma_map_single",
         "dma_map_single: the DMA API (C-bit in the bus address, or a swiotlb bounce buffer); "
         "virt_to_phys: the driver bypasses it and hands the device the plain physical address",
         {"dma_map_single", "virt_to_phys"}},
        {"send",
         KeyType::String,
         false,
         "outgoing packet payload 0123456789abcdef",
         "what the driver sends (1 to 2048 bytes)",
         {}},
        {"receive",
         KeyType::String,
         false,
         "incoming packet from the wire, 64 bytes.",
         "what the device writes back (1 to 2048 bytes)",
         {}}},
       dma_transfer,
       check_transfer});
}

}  // namespace cbit::scenario
