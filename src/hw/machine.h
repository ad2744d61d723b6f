// The simulated platform. Owns every hardware component (STYLE.md: the parent owns its
// children; the others hold references) and wires them: Cpu -> Cache -> MemoryController ->
// AesEngine -> Dram / Nvdimm, DMA devices -> MemoryController (snooping the cache), and the
// Secure Processor, the only holder of keys.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hw/cache/cache.h"
#include "hw/cpu/cpu.h"
#include "hw/cpu_models.h"
#include "hw/dram/dram.h"
#include "hw/dram/nvdimm.h"
#include "hw/iommu/dma_device.h"
#include "hw/memctrl/memory_controller.h"
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "hw/psp/sev/wbinvd_done.h"
#include "hw/raw_view.h"
#include "hw/rmp/rmp.h"
#include "hw/svm/guest_software.h"
#include "hw/svm/vmsa_integrity.h"

namespace cbit::hw {

// BIOS setup options that decide what the OS finds at boot.
struct FirmwareSettings {
  bool sme = true;    // SMEE: SYSCFG.MemEncryptionModEn set at reset; the OS never sets it
  bool tsme = false;  // Transparent SME: every access encrypted with the host key
  // "SEV-SNP Support" / "SNP Memory Coverage": on a part with SNP the BIOS reserves the RMP at
  // the top of DRAM (out of the OS's memory map) and writes its bounds into every core's
  // RMP_BASE / RMP_END (SNP-FACTS.md 1.1). Off: RMP_BASE = RMP_END = 0, and Linux says "Memory
  // for the RMP table has not been reserved by BIOS".
  bool snp = false;
  // The SEV firmware has AMD's BadRAM fix: SNP_INIT probes for DRAM aliases and refuses SNP when
  // it finds one (firmware 1.55.22 and later; hw/psp/sev/alias_check.h). Off models 1.55.21.
  bool snp_alias_check = false;
};

struct NvdimmConfig {
  std::string path;
  SysPhysAddr base;
  uint64_t size = 0;
};

struct MachineConfig {
  CpuModel cpu = cpu_model_by_name("milan");
  uint64_t dram_bytes = 256ull << 20;
  std::optional<NvdimmConfig> nvdimm;
  FirmwareSettings firmware;
  std::optional<uint64_t> seed;  // reproducible keys; none = the OS RNG
  unsigned cores = 2;            // physical cores: each has its own WBINVD_DONE flag
  // A BadRAM DIMM: its SPD claims one more row bit than it has. The system address bit just
  // above the DRAM (dram_bytes, a power of two) is ignored by the DIMM, so [dram_bytes,
  // 2 * dram_bytes) aliases the DRAM (MemoryController::set_dimm_alias_bit). The host kernel
  // does not use the alias range (as the BadRAM PoC reserves it); an attacker reaches it with a
  // bus master or a mapping of its own.
  bool badram_dimm = false;
};

class Machine {
 public:
  explicit Machine(MachineConfig cfg);
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const MachineConfig& config() const { return cfg_; }
  const CpuModel& cpu_model() const { return cfg_.cpu; }
  Dram& dram() { return *dram_; }
  Nvdimm* nvdimm() { return nvdimm_.get(); }
  MemoryController& memctrl() { return *mc_; }
  Cache& cache() { return *cache_; }
  // The SEV-SNP Reverse Map Table (enabled once the cores set SYSCFG.SNP_EN).
  rmp::Rmp& rmp() { return *rmp_; }
  psp::SecureProcessor& psp() { return *psp_; }
  // The SEV firmware on the Secure Processor (its mailbox), for the host's PSP driver.
  psp::sev::SevFirmware& sev_firmware() { return *sev_; }
  Cpu& cpu(unsigned core = 0) { return *cpus_.at(core); }
  unsigned cores() const { return static_cast<unsigned>(cpus_.size()); }
  // Each core's cache-control instructions (WBINVD sets that core's WBINVD_DONE flag).
  CacheControl& core_cache_control(unsigned core) { return *core_caches_.at(core); }
  RawPhysicalView raw_view() const { return RawPhysicalView(*dram_, nvdimm_.get()); }

  // The C-bit as a mask of a physical address (CPUID Fn8000_001F EBX[5:0]).
  uint64_t cbit_mask() const { return 1ull << cfg_.cpu.fn8000_001f.cbit_position(); }

  // The RMP range the BIOS reserved ([base, end], end = last byte), or nullopt.
  struct RmpReservation {
    uint64_t base = 0, end = 0;
  };
  std::optional<RmpReservation> bios_rmp() const { return bios_rmp_; }

  DmaDevice& add_dma_device(std::string name, unsigned dma_mask_bits);

  // Platform reset (reboot without losing power): the Secure Processor makes a new host key,
  // caches are lost without write-back, the CPU starts over. DRAM keeps its cells (the cold-boot
  // attacker's chance), as does the NVDIMM.
  void reset();
  // Power loss: as reset, and DRAM forgets. The NVDIMM keeps its cells.
  void power_cycle();

 private:
  MachineConfig cfg_;
  std::optional<RmpReservation> bios_rmp_;
  std::unique_ptr<Dram> dram_;
  std::unique_ptr<Nvdimm> nvdimm_;
  std::unique_ptr<MemoryController> mc_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<rmp::Rmp> rmp_;
  std::unique_ptr<psp::SecureProcessor> psp_;
  psp::sev::WbinvdDone wbinvd_done_;
  svm::VmsaIntegrity vmsa_integrity_;
  std::unique_ptr<svm::AsidGate> asid_gate_;
  std::unique_ptr<psp::sev::CoreMsrReader> core_msrs_;
  std::unique_ptr<psp::sev::SevFirmware> sev_;
  std::vector<std::unique_ptr<psp::sev::WbinvdTrackingCacheControl>> core_caches_;
  std::vector<std::unique_ptr<Cpu>> cpus_;
  std::vector<std::unique_ptr<DmaDevice>> devices_;
};

}  // namespace cbit::hw
