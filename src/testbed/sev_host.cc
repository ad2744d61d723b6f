#include "testbed/sev_host.h"

#include <stdexcept>

#include "common/trace.h"
#include "hw/svm/vmcb.h"
#include "sw/host/sev_snp.h"

namespace cbit::testbed {

namespace {
// One step of the malicious hypervisor, on the attacker's row.
void step(std::string_view what, trace::Args args = {}) {
  if (trace::on()) [[unlikely]]
    trace::instant(trace::track::kAttacker, "attack", what, args);
}
const char* mode_name(sw::hv::SevMode m) {
  switch (m) {
    case sw::hv::SevMode::None:
      return "off";
    case sw::hv::SevMode::Sev:
      return "SEV";
    case sw::hv::SevMode::SevEs:
      return "SEV-ES";
    case sw::hv::SevMode::Snp:
      return "SEV-SNP";
  }
  return "?";
}
}  // namespace

// The malicious host owner: the physical parts on the machine, the hypervisor's software on
// this host's kernel and KVM.
class SevHost::Attacker final : public attacks::HostAttacker, attacks::Hypervisor {
 public:
  explicit Attacker(SevHost& h) : h_(h), phys_(h.m, "attacker-nic") { phys_.dma(); }

  hw::RawPhysicalView raw() const override { return phys_.raw(); }
  hw::DmaDevice& dma() override { return phys_.dma(); }
  void attach_bus_probe(hw::BusObserver& p) override { phys_.attach_bus_probe(p); }
  void detach_bus_probe(hw::BusObserver& p) override { phys_.detach_bus_probe(p); }
  uint64_t cbit_mask() const override { return phys_.cbit_mask(); }
  attacks::Hypervisor& hypervisor() override { return *this; }

  std::unique_ptr<sw::hv::Vm> launch_vm(sw::hv::SevMode mode, uint64_t ram, Bytes disk) override {
    step("hypervisor: launch a VM", {{"mode", mode_name(mode)}, {"ram", ram}});
    return h_.make_vm(mode, ram, std::move(disk));
  }
  void memcpy_from(VirtAddr src, MutByteSpan dst) override {
    step("hypervisor: read through the direct map",
         {{"va", trace::hex(src.value)}, {"length", dst.size()}});
    h_.k.memcpy_from(src, dst);
  }
  void memcpy_to(VirtAddr dst, ByteSpan src) override {
    step("hypervisor: write through the direct map",
         {{"va", trace::hex(dst.value)}, {"length", src.size()}});
    h_.k.memcpy_to(dst, src);
  }
  VirtAddr direct_map(SysPhysAddr pa) const override { return h_.k.__va(pa); }
  void wbinvd() override {
    step("hypervisor: WBINVD");
    h_.m.cpu().wbinvd();
  }
  void invd() override {
    step("hypervisor: INVD");
    h_.m.cpu().invd();
  }
  void clflush(VirtAddr va) override { h_.m.cpu().clflush(va); }
  uint64_t rdmsr(uint32_t index) override {
    step("hypervisor: RDMSR", {{"msr", trace::hex(index)}});
    return h_.m.cpu().rdmsr(index);
  }
  void wrmsr(uint32_t index, uint64_t value) override {
    step("hypervisor: WRMSR", {{"msr", trace::hex(index)}, {"value", trace::hex(value)}});
    h_.m.cpu().wrmsr(index, value);
  }
  int rmp_make_private(SysPhysAddr pa, uint64_t gpa, unsigned asid) override {
    step("hypervisor: rmp_make_private (RMPUPDATE)",
         {{"spa", trace::hex(pa.value)}, {"gpa", trace::hex(gpa)}, {"asid", asid}});
    return h_.k.snp().rmp_make_private(Pfn(pa.pfn()), gpa, sw::host::PG_LEVEL_4K, asid, false);
  }

 private:
  SevHost& h_;
  PhysicalAccess phys_;
};

hw::MachineConfig SevHost::config(const SevHostOptions& opt) {
  hw::MachineConfig c;
  c.cpu = hw::cpu_model_by_name(opt.cpu);
  for (const auto& o : opt.cpu_overrides) hw::apply_cpu_override(c.cpu, o);
  c.dram_bytes = opt.dram_bytes;
  if (!opt.fresh_keys) c.seed = opt.seed;
  c.firmware.sme = true;
  // The BIOS reserves the RMP on parts with SNP: SEV and SEV-ES guests run on an SNP host, as
  // on every EPYC since Milan (their accesses are RMP-checked too).
  c.firmware.snp = opt.snp_bios.value_or(c.cpu.fn8000_001f.has(hw::SevFeature::SevSnp));
  c.firmware.snp_alias_check = opt.snp_alias_check;
  c.badram_dimm = opt.badram_dimm;
  return c;
}

namespace {
// kvm-amd.ciphertext_hiding_asids: every SEV-ES / SNP ASID (1 .. min_sev_asid - 1).
sw::host::SevDevConfig dev_config(const SevHostOptions& opt, const hw::Machine& m) {
  sw::host::SevDevConfig c;
  if (opt.ciphertext_hiding)
    c.ciphertext_hiding_asids = m.cpu_model().fn8000_001f.min_sev_asid() - 1;
  return c;
}
}  // namespace

SevHost::SevHost(const SevHostOptions& opt)
    : m(config(opt)),
      k(m, sw::host::KernelConfig{"mem_encrypt=on", false, 0}),
      dev((k.boot(), k), m, dev_config(opt, m)),
      kvm(dev),
      opt_(opt),
      attacker_(std::make_unique<Attacker>(*this)) {}

SevHost::~SevHost() = default;

attacks::HostAttacker& SevHost::attacker() { return *attacker_; }

std::unique_ptr<sw::hv::Vm> SevHost::make_vm(sw::hv::SevMode mode, uint64_t ram, Bytes disk) {
  using sw::hv::SevMode;
  if (mode == SevMode::Sev && !kvm.sev_enabled())
    throw std::runtime_error("SEV not supported by this CPU/firmware");
  if (mode == SevMode::SevEs && !kvm.sev_es_enabled())
    throw std::runtime_error("SEV-ES not supported by this CPU/firmware");
  if (mode == SevMode::Snp && !m.cpu_model().fn8000_001f.has(hw::SevFeature::SevSnp))
    throw std::runtime_error("SEV-SNP not supported by this CPU");
  sw::hv::VmConfig cfg;
  cfg.mode = mode;
  cfg.ram_bytes = ram;
  cfg.disk = std::move(disk);
  cfg.policy = mode == SevMode::SevEs ? 0x4 : 0x0;  // SEV-API policy bit 2: ES required
  if (mode == SevMode::Snp) {
    cfg.snp_policy = 0x30000;  // QEMU's default SNP policy: ABI 0.0, SMT allowed, bit 17 MBO
    if (opt_.ciphertext_hiding) cfg.snp_policy |= 1ull << 24;  // CIPHERTEXT_HIDING_DRAM
    if (opt_.restricted_injection) cfg.sev_features |= hw::svm::sev_features::kRestrictedInjection;
  }
  auto vm = std::make_unique<sw::hv::Vm>(m, k, mode == SevMode::None ? nullptr : &kvm, cfg);
  const auto r = vm->launch(nullptr);
  if (r.rc != 0)
    throw std::runtime_error("VM launch failed at " + r.step + " (rc " + std::to_string(r.rc) +
                             ", firmware status " + std::to_string(r.fw_error) + ")");
  return vm;
}

}  // namespace cbit::testbed
