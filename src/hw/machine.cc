#include "hw/machine.h"

#include <algorithm>

#include "common/error.h"
#include "common/trace.h"
#include "hw/psp/sev/alias_check.h"

namespace cbit::hw {

namespace {
psp::sev::SevPlatformConfig sev_platform_config(const CpuModel& cpu) {
  psp::sev::SevPlatformConfig c;
  c.num_asids = cpu.fn8000_001f.num_encrypted_guests();
  c.min_sev_asid = cpu.fn8000_001f.min_sev_asid();
  c.cbit_position = cpu.fn8000_001f.cbit_position();
  c.es_supported = cpu.fn8000_001f.has(SevFeature::SevEs);
  return c;
}
// VMRUN's question to the Secure Processor: is this ASID's key loaded for a launched guest?
class FirmwareAsidGate final : public svm::AsidGate {
 public:
  explicit FirmwareAsidGate(const psp::sev::SevFirmware& fw) : fw_(fw) {}
  bool asid_runnable(Asid asid) const override { return fw_.asid_runnable(asid); }

 private:
  const psp::sev::SevFirmware& fw_;
};
// The SNP firmware's read of every core's MSRs (SNP_INIT's preconditions).
class MachineCoreMsrs final : public psp::sev::CoreMsrReader {
 public:
  explicit MachineCoreMsrs(const std::vector<std::unique_ptr<Cpu>>& cpus) : cpus_(cpus) {}
  unsigned cores() const override { return static_cast<unsigned>(cpus_.size()); }
  uint64_t read_msr(unsigned core, uint32_t index) const override {
    return core < cpus_.size() ? cpus_[core]->msr_for_firmware(index) : 0;
  }

 private:
  const std::vector<std::unique_ptr<Cpu>>& cpus_;
};
}  // namespace

Machine::Machine(MachineConfig cfg)
    : cfg_(std::move(cfg)), wbinvd_done_(cfg_.cores ? cfg_.cores : 1) {
  dram_ = std::make_unique<Dram>(cfg_.dram_bytes);
  if (cfg_.nvdimm)
    nvdimm_ = std::make_unique<Nvdimm>(cfg_.nvdimm->path, cfg_.nvdimm->base, cfg_.nvdimm->size);
  // One key slot for the host plus one per SEV ASID (CPUID Fn8000_001F ECX).
  const uint32_t slots = cfg_.cpu.fn8000_001f.num_encrypted_guests() + 1;
  mc_ = std::make_unique<MemoryController>(*dram_, nvdimm_.get(), cfg_.cpu.cipher, slots,
                                           cfg_.firmware.tsme);
  if (cfg_.badram_dimm) {
    if (cfg_.dram_bytes & (cfg_.dram_bytes - 1))
      throw InputError("badram: the DRAM size must be a power of two");
    mc_->set_dimm_alias_bit(cfg_.dram_bytes);
  }
  cache_ =
      std::make_unique<Cache>(*mc_, CacheConfig{cfg_.cpu.cache_lines, cfg_.cpu.cache_ways,
                                                cfg_.cpu.fn8000_001f.has(SevFeature::SmeCoherent)});
  rmp_ = std::make_unique<rmp::Rmp>(*dram_);
  mc_->attach_rmp(rmp_.get());  // ciphertext hiding looks up a page's owner
  psp_ = std::make_unique<psp::SecureProcessor>(*mc_, cfg_.seed);
  CpuFirmwareSettings fw;
  fw.mem_encryption = cfg_.firmware.sme;
  // The BIOS's RMP reservation: the table for all of DRAM, 1 MiB-aligned as the SNP firmware
  // requires (ASPFW get_rmp_bounds), at the top of DRAM.
  if (cfg_.firmware.snp && cfg_.cpu.fn8000_001f.has(SevFeature::SevSnp)) {
    const uint64_t size = rmp::rmp_table_size(cfg_.dram_bytes);
    const uint64_t top = cfg_.dram_bytes & ~((1ull << 20) - 1);
    if (size < top / 2) {  // a DIMM too small for its own RMP gets none
      bios_rmp_ = RmpReservation{top - size, top - 1};
      fw.rmp_base = bios_rmp_->base;
      fw.rmp_end = bios_rmp_->end;
    }
  }
  auto platform = sev_platform_config(cfg_.cpu);
  if (cfg_.firmware.snp_alias_check)
    platform.build = std::max(platform.build, psp::sev::kAliasCheckMinBuild);
  sev_ = std::make_unique<psp::sev::SevFirmware>(*psp_, platform, wbinvd_done_, cache_.get());
  sev_->set_vmsa_integrity(&vmsa_integrity_);
  asid_gate_ = std::make_unique<FirmwareAsidGate>(*sev_);
  for (unsigned core = 0; core < wbinvd_done_.cores(); ++core) {
    core_caches_.push_back(
        std::make_unique<psp::sev::WbinvdTrackingCacheControl>(*cache_, wbinvd_done_, core));
    cpus_.push_back(std::make_unique<Cpu>(cfg_.cpu, *cache_, *core_caches_.back(), fw));
    cpus_.back()->set_core_id(static_cast<unsigned>(cpus_.size() - 1));
    cpus_.back()->attach_svm(asid_gate_.get(), &vmsa_integrity_);
    cpus_.back()->attach_rmp(rmp_.get());
  }
  core_msrs_ = std::make_unique<MachineCoreMsrs>(cpus_);
  if (cfg_.cpu.fn8000_001f.has(SevFeature::SevSnp)) {
    psp::sev::SnpTcbConfig tcb;
    tcb.ciphertext_hiding = cfg_.cpu.ciphertext_hiding;
    if (cfg_.cpu.family >= 0x1A) {  // Zen 5 and later: the Turin TCB layout (SNP-FACTS §4)
      tcb.layout = ::cbit::psp::TcbLayout::Turin;
      tcb.tcb.fmc = 1;
    }
    sev_->attach_snp({rmp_.get(), core_msrs_.get(), &cfg_.cpu}, tcb);
  }
}

DmaDevice& Machine::add_dma_device(std::string name, unsigned dma_mask_bits) {
  devices_.push_back(std::make_unique<DmaDevice>(std::move(name), dma_mask_bits, *mc_, *cache_,
                                                 cfg_.cpu.fn8000_001f.cbit_position()));
  devices_.back()->attach_rmp(rmp_.get());
  return *devices_.back();
}

void Machine::reset() {
  if (trace::on()) [[unlikely]]
    trace::instant(trace::track::kSecureProcessor, "platform", "platform reset",
                   {{"effect", "caches lost, new host key, CPUs at their reset state"}});
  cache_->invd();  // caches do not survive a reset; nothing is written back
  psp_->reset();
  rmp_->reset();
  for (auto& cpu : cpus_) cpu->reset();
}

void Machine::power_cycle() {
  reset();
  if (trace::on()) [[unlikely]]
    trace::instant(trace::track::kMemoryController, "platform", "power lost: DRAM forgets");
  dram_->lose_power();
  mc_->clear_tracking();
}

}  // namespace cbit::hw
