// The physical attacker of seed 000 and what it attacks: the host's secret in a DRAM page or
// an NVDIMM (`host-write`, `host-read`, `flush-caches`), a probe on the DRAM bus from power-on
// (`bus-probe`, `bus-probe-report`), a cold-boot image (`cold-boot`), the NVDIMM pulled out
// (`nvdimm-removal`), a bus master's DMA with or without the C-bit in its address (`dma-read`),
// and a reboot with the Secure Processor's new key (`reboot`, `read-back`). The attacks are
// src/attacks/'s; the attacker holds only testbed::PhysicalAccess (raw view, DMA, bus probe).
#include <fmt/format.h>

#include <algorithm>

#include "attacks/bus_snoop.h"
#include "attacks/cold_boot.h"
#include "attacks/dma_read.h"
#include "attacks/nvdimm_removal.h"
#include "common/error.h"
#include "scenario/objects.h"

namespace cbit::scenario {

namespace {

constexpr uint64_t kMaxWrite = 64u << 10;
constexpr uint64_t kMaxDmaRead = 64u << 20;

// A bus probe, detached when it goes (before its machine: the Run releases newest first).
struct BusProbe {
  SimMachine* machine = nullptr;
  std::vector<std::string> needles;
  std::unique_ptr<attacks::BusSnoop> snoop;
  bool attached = false;
  void detach() {
    if (attached) machine->physical().detach_bus_probe(*snoop);
    attached = false;
  }
  ~BusProbe() { detach(); }
};

// What `host-write` put where, for `host-read`, `dma-read` and `read-back`.
struct HostBuffer {
  SimHost* host = nullptr;
  VirtAddr va;
  SysPhysAddr pa;
  std::string data;
  bool encrypted = false;  // mapped with the C-bit when written (SME active)
};

std::string found_line(const nlohmann::json& j) {
  const uint64_t n = j["found"].get<uint64_t>();
  return fmt::format("finds the secret {} time{}", n, n == 1 ? "" : "s");
}

nlohmann::json bus_probe(const Args& a, Run& run) {
  SimMachine& m = machine_arg(a, run);
  auto p = std::make_shared<BusProbe>();
  p->machine = &m;
  p->needles = a.strings("find");
  p->snoop = std::make_unique<attacks::BusSnoop>(p->needles);
  m.physical().attach_bus_probe(*p->snoop);
  p->attached = true;
  run.keep(p);
  run.say(line_tag(run) + "a probe on the DRAM bus records everything from now on");
  return {{"attached", true}};
}

nlohmann::json bus_probe_report(const Args& a, Run& run) {
  BusProbe& p = run.get<BusProbe>(a, "probe", "a bus probe");
  const auto r = p.snoop->report();
  if (a.flag("detach", true)) p.detach();
  nlohmann::json j = found_json(r, p.needles);
  run.say(line_tag(run) + "bus snoop " + found_line(j) + " (" + r.summary + ")");
  return j;
}

void check_write(const Args& a) {
  const uint64_t off = a.size("offset");
  if (a.str("data").empty()) throw InputError(a.where("data") + ": nothing to write");
  if (off > kMaxWrite || a.str("data").size() > kMaxWrite - off)
    throw InputError(
        fmt::format("{}: offset and data end past {} bytes", a.where("offset"), kMaxWrite));
}

nlohmann::json host_write(const Args& a, Run& run) {
  SimHost& h = host_arg(a, run);
  auto& k = *h.kernel;
  auto b = std::make_shared<HostBuffer>();
  b->host = &h;
  b->data = a.str("data");
  const uint64_t off = a.size("offset");
  const uint64_t end = off + b->data.size();
  if (a.str("to", "dram") == "pmem") {
    hw::Nvdimm* nv = h.machine->machine->nvdimm();
    if (!nv)
      throw InputError(a.where("to") + ": the machine has no NVDIMM (`nvdimm` of `machine`)");
    const auto& cfg = *h.machine->machine->config().nvdimm;
    if (end > cfg.size)
      throw InputError(fmt::format("{}: past the {}-byte NVDIMM", a.where("offset"), cfg.size));
    if (!h.pmem) h.pmem = k.memremap_pmem(cfg.base, cfg.size);
    b->va = *h.pmem + off;
    b->pa = cfg.base + off;
  } else {
    unsigned order = 0;
    while ((kPageSize << order) < end) ++order;
    const auto page = k.alloc_pages(order);
    if (!page) throw InputError(a.where("data") + ": the host is out of memory");
    b->va = *page + off;
    b->pa = k.__pa(b->va);
  }
  b->encrypted = k.sme_me_mask() != 0 || h.machine->machine->config().firmware.tsme;
  k.memcpy_to(b->va, as_bytes(b->data));
  run.keep(b);
  run.say(fmt::format("{}the host writes {} bytes into {} at {:#x}", line_tag(run), b->data.size(),
                      a.str("to", "dram") == "pmem" ? "the NVDIMM" : "a DRAM page", b->pa.value));
  return {{"address", b->pa.value}, {"bytes", b->data.size()}};
}

nlohmann::json host_read(const Args& a, Run& run) {
  HostBuffer& b = run.get<HostBuffer>(a, "buffer", "a host-write");
  Bytes back(b.data.size());
  b.host->kernel->memcpy_from(b.va, back);
  const bool same = std::equal(back.begin(), back.end(), b.data.begin(), b.data.end());
  run.say(line_tag(run) +
          (same ? "the host reads its data back" : "the host reads back OTHER bytes"));
  return {{"reads_back", same}};
}

nlohmann::json flush_caches(const Args& a, Run& run) {
  SimMachine& m = machine_arg(a, run);
  m.machine->cache().wbinvd();
  if (m.machine->nvdimm()) m.machine->nvdimm()->flush();
  run.say(line_tag(run) + "WBINVD: the caches are written back to the DIMMs");
  return nlohmann::json::object();
}

nlohmann::json cold_boot(const Args& a, Run& run) {
  SimMachine& m = machine_arg(a, run);
  const auto needles = a.strings("find");
  const auto r = attacks::cold_boot(m.physical().raw(), needles);
  nlohmann::json j = found_json(r, needles);
  run.say(line_tag(run) + "cold boot " + found_line(j));
  return j;
}

nlohmann::json nvdimm_removal(const Args& a, Run& run) {
  SimMachine& m = machine_arg(a, run);
  if (m.nvdimm_path.empty())
    throw InputError(a.where("machine") + ": the machine has no NVDIMM to remove");
  const auto needles = a.strings("find");
  const auto r = attacks::nvdimm_removal(m.nvdimm_path, needles);
  nlohmann::json j = found_json(r, needles);
  run.say(line_tag(run) + "NVDIMM removal " + found_line(j));
  return j;
}

nlohmann::json dma_read(const Args& a, Run& run) {
  SimMachine& m = machine_arg(a, run);
  uint64_t pa = 0;
  if (a.has("buffer")) {
    pa = run.get<HostBuffer>(a, "buffer", "a host-write").pa.value & ~(kPageSize - 1);
  } else if (a.has("address")) {
    pa = a.u64("address");
  } else {
    throw InputError(a.where("buffer") + ": dma-read needs `buffer` or `address`");
  }
  const uint64_t len = a.size("length", kPageSize);
  const bool cbit = a.flag("cbit");
  auto& phys = m.physical();
  auto& dev = phys.dma();
  const uint64_t bus = phys.bus(SysPhysAddr(pa), cbit);
  if (!dev.can_address(bus, len) || pa + len > m.machine->config().dram_bytes)
    throw InputError(fmt::format("{}: [{:#x}, +{:#x}) is not DRAM the device can reach",
                                 a.where(a.has("buffer") ? "buffer" : "address"), bus, len));
  const auto needles = a.strings("find");
  const auto r = attacks::dma_read(dev, SysPhysAddr(bus), len, needles);
  nlohmann::json j = found_json(r, needles);
  run.say(fmt::format("{}DMA{} {}", line_tag(run), cbit ? " with the C-bit" : "", found_line(j)));
  return j;
}

void check_dma(const Args& a) {
  const uint64_t len = a.size("length", kPageSize);
  if (len == 0 || len > kMaxDmaRead)
    throw InputError(
        fmt::format("{}: {} bytes; a DMA read is 1 byte to 64M", a.where("length"), len));
  if (a.has("buffer") && a.has("address"))
    throw InputError(a.where("address") + ": give `buffer` or `address`, not both");
}

nlohmann::json reboot(const Args& a, Run& run) {
  SimMachine& m = machine_arg(a, run);
  m.machine->reset();
  run.say(line_tag(run) + "reboot: the Secure Processor makes a new key; DRAM keeps its cells");
  return nlohmann::json::object();
}

nlohmann::json read_back(const Args& a, Run& run) {
  HostBuffer& b = run.get<HostBuffer>(a, "buffer", "a host-write");
  auto& m = *b.host->machine->machine;
  Bytes got((b.data.size() + 15) & ~size_t(15));  // whole AES blocks
  auto& mc = m.memctrl();
  mc.read(b.pa, got, mc.resolve(hw::MemAttr{b.encrypted, Asid(0)}));
  const bool same = std::equal(b.data.begin(), b.data.end(), got.begin());
  run.say(line_tag(run) + (same ? "the old contents still read as written"
                                : "the old contents now decrypt to garbage"));
  return {{"readable", same}};
}

Key machine_key() {
  return {"machine", KeyType::String, false, "the latest machine", "the id of a `machine` step",
          {}};
}
Key find_key() { return {"find", KeyType::StringList, true, "", "the strings to search for", {}}; }
Key buffer_key(bool required) {
  return {
      "buffer", KeyType::String, required, required ? "" : "none", "the id of a `host-write` step",
      {}};
}

}  // namespace

void add_physical_actions(std::vector<Action>& out) {
  out.push_back(
      {"host-write",
       "the host kernel writes a string into a fresh DRAM page or its NVDIMM",
       {{"host", KeyType::String, false, "the latest host", "the id of a `host-boot` step", {}},
        {"data", KeyType::String, true, "", "what to write (the secret)", {}},
        {"to",
         KeyType::String,
         false,
         "dram",
         "where: a DRAM page or the NVDIMM",
         {"dram", "pmem"}},
        {"offset", KeyType::Size, false, "0", "the offset in the page / NVDIMM", {}}},
       host_write,
       check_write});
  out.push_back({"host-read",
                 "the host kernel reads a `host-write`'s bytes back through its own mapping",
                 {buffer_key(true)},
                 host_read,
                 {}});
  out.push_back({"flush-caches",
                 "WBINVD and an NVDIMM flush: the data reaches the DIMMs",
                 {machine_key()},
                 flush_caches,
                 {}});
  out.push_back({"bus-probe",
                 "attach a probe to the DRAM bus that records every transfer from now on",
                 {machine_key(), find_key()},
                 bus_probe,
                 {}});
  out.push_back({"bus-probe-report",
                 "what a `bus-probe` saw: the times it found each string",
                 {{"probe", KeyType::String, true, "", "the id of a `bus-probe` step", {}},
                  {"detach", KeyType::Bool, false, "true", "detach the probe afterwards", {}}},
                 bus_probe_report,
                 {}});
  out.push_back({"cold-boot",
                 "a cold-boot image of DRAM (and the NVDIMM) searched for strings",
                 {machine_key(), find_key()},
                 cold_boot,
                 {}});
  out.push_back({"nvdimm-removal",
                 "the NVDIMM pulled out and read in another machine",
                 {machine_key(), find_key()},
                 nvdimm_removal,
                 {}});
  out.push_back({"dma-read",
                 "a bus master reads memory by DMA, with or without the C-bit in its address",
                 {machine_key(),
                  buffer_key(false),
                  {"address",
                   KeyType::Integer,
                   false,
                   "none",
                   "a system physical address to read instead of a buffer's page",
                   {}},
                  {"length", KeyType::Size, false, "4K", "bytes to read, at most 64M", {}},
                  {"cbit", KeyType::Bool, false, "false", "set the C-bit in the bus address", {}},
                  find_key()},
                 dma_read,
                 check_dma});
  out.push_back({"reboot",
                 "platform reset: a new host key, caches lost, DRAM keeps its cells",
                 {machine_key()},
                 reboot,
                 {}});
  out.push_back({"read-back",
                 "read a `host-write`'s address through the memory controller as it was mapped "
                 "(after `reboot`: with the new key)",
                 {buffer_key(true)},
                 read_back,
                 {}});
}

}  // namespace cbit::scenario
