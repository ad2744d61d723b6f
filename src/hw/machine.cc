#include "hw/machine.h"

namespace cbit::hw {

Machine::Machine(MachineConfig cfg) : cfg_(std::move(cfg)) {
  dram_ = std::make_unique<Dram>(cfg_.dram_bytes);
  if (cfg_.nvdimm)
    nvdimm_ = std::make_unique<Nvdimm>(cfg_.nvdimm->path, cfg_.nvdimm->base, cfg_.nvdimm->size);
  // One key slot for the host plus one per SEV ASID (CPUID Fn8000_001F ECX).
  const uint32_t slots = cfg_.cpu.fn8000_001f.num_encrypted_guests() + 1;
  mc_ = std::make_unique<MemoryController>(*dram_, nvdimm_.get(), cfg_.cpu.cipher, slots,
                                           cfg_.firmware.tsme);
  cache_ =
      std::make_unique<Cache>(*mc_, CacheConfig{cfg_.cpu.cache_lines, cfg_.cpu.cache_ways,
                                                cfg_.cpu.fn8000_001f.has(SevFeature::SmeCoherent)});
  psp_ = std::make_unique<psp::SecureProcessor>(*mc_, cfg_.seed);
  CpuFirmwareSettings fw;
  fw.mem_encryption = cfg_.firmware.sme;
  cpu_ = std::make_unique<Cpu>(cfg_.cpu, *cache_, *cache_, fw);
}

DmaDevice& Machine::add_dma_device(std::string name, unsigned dma_mask_bits) {
  devices_.push_back(std::make_unique<DmaDevice>(std::move(name), dma_mask_bits, *mc_, *cache_,
                                                 cfg_.cpu.fn8000_001f.cbit_position()));
  return *devices_.back();
}

void Machine::reset() {
  cache_->invd();  // caches do not survive a reset; nothing is written back
  psp_->reset();
  cpu_->reset();
}

void Machine::power_cycle() {
  reset();
  dram_->lose_power();
  mc_->clear_tracking();
}

}  // namespace cbit::hw
