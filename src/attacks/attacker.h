// What an attacker has, and nothing more (STYLE.md: Spike's simif_t; ARCHITECTURE.md "Three
// views of memory"). Every attack in this directory takes one of these interfaces; the code that
// owns the machine (src/testbed/, the demo sections) implements them. An attack never sees
// hw::Machine, the memory controller or the Secure Processor: the headers here do not bring
// their definitions in, so `vm.machine().memctrl()` or `vm.kernel()...` do not compile in an
// attack (tests/unit/attacks/boundary.py checks both the includes and that such breaches fail).
//
//  - PhysicalAttacker: hands on the hardware (seed 000's threat model): the DIMMs' cells (a
//    cold-boot image, a probe), a probe on the DRAM bus, and a bus master it plugged in.
//  - Hypervisor: the host's own software as a malicious hypervisor holds it (seeds 002-004):
//    KVM's VMs (memslots, nested page tables, VMCBs, vCPU ioctls, exit hooks) and the host
//    kernel's own mappings, which use the host key where the kernel's page tables set the C-bit.
//  - HostAttacker: the owner of an SEV host (a cloud provider): both of the above.
#pragma once
#include <cstdint>
#include <memory>

#include "common/addr.h"
#include "common/bytes.h"
#include "hw/iommu/dma_device.h"
#include "hw/memctrl/bus_observer.h"
#include "hw/raw_view.h"
#include "sw/hv/vm.h"

namespace cbit::attacks {

class PhysicalAttacker {
 public:
  virtual ~PhysicalAttacker() = default;

  // DRAM and NVDIMM cells as stored (ciphertext where a key encrypted them), read directly:
  // no key slot, no cache snoop, no side effect.
  virtual hw::RawPhysicalView raw() const = 0;
  // The attacker's bus master: a 64-bit DMA mask, so it may put the C-bit on the bus (the host
  // key, as any device may; never a guest's ASID). I/O-coherent: it snoops the caches.
  virtual hw::DmaDevice& dma() = 0;
  // A probe on the DRAM interface: it sees every transfer between the memory controller and the
  // DIMMs from now on (hw::BusObserver::on_dram_access), until detached.
  virtual void attach_bus_probe(hw::BusObserver& probe) = 0;
  virtual void detach_bus_probe(hw::BusObserver& probe) = 0;
  // The C-bit as an address mask (CPUID Fn8000_001F EBX[5:0]: public, anyone may execute CPUID).
  virtual uint64_t cbit_mask() const = 0;

  // The bus address of `spa` with or without the C-bit.
  uint64_t bus(SysPhysAddr spa, bool c_bit) const { return spa.value | (c_bit ? cbit_mask() : 0); }
  // What is stored at spa right now (DMA without the C-bit: up-to-date, since DMA snoops the
  // caches), and a write of raw bytes the same way.
  Bytes read_as_stored(SysPhysAddr spa, size_t n);
  void write_as_stored(SysPhysAddr spa, ByteSpan bytes);
};

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;

  // A VM of `mode` with `ram` bytes that a customer asked the host to run, created and launched
  // as QEMU and KVM do (LAUNCH_START .. LAUNCH_FINISH for SEV and SEV-ES; nobody checks the
  // measurement). The guest's code is what the caller passes to Vm::run. `disk`: the cbit-blk
  // contents (sw::hv::guest_program_disk) when the guest kernel is to run a program from it.
  // Throws std::runtime_error naming the failed step when the platform cannot (e.g. no SEV-ES).
  virtual std::unique_ptr<sw::hv::Vm> launch_vm(sw::hv::SevMode mode, uint64_t ram = 8ull << 20,
                                                Bytes disk = {}) = 0;
  // The host kernel's loads and stores through its direct map (e.g. a vCPU's VMCB or VMSA page,
  // Vcpu::vmcb() / vmsa()): through the CPU and its cache, with the host key where the host's
  // page tables set the C-bit.
  virtual void memcpy_from(VirtAddr src, MutByteSpan dst) = 0;
  virtual void memcpy_to(VirtAddr dst, ByteSpan src) = 0;
  // The host kernel's direct-map address of a system physical address (Linux __va): every
  // page of RAM, guests' included (a guest_memfd page is not in QEMU's address space, but the
  // kernel's direct map still maps it; Linux splits it to 4 KiB for SNP).
  virtual VirtAddr direct_map(SysPhysAddr pa) const = 0;
  // WBINVD on the host CPU (a privileged instruction the host kernel may execute).
  virtual void wbinvd() = 0;
  // More of the host kernel's privileged instructions on its own CPU: INVD (drops dirty lines
  // when HWCR[INVDWBINVD] is clear: CacheWarp), CLFLUSH of a line through the host's mapping,
  // and RDMSR / WRMSR (e.g. HWCR 0xC0010015). They fault as the instruction does (#GP for an
  // MSR the part does not have).
  virtual void invd() = 0;
  virtual void clflush(VirtAddr va) = 0;
  virtual uint64_t rdmsr(uint32_t index) = 0;
  virtual void wrmsr(uint32_t index, uint64_t value) = 0;
  // The host kernel's RMPUPDATE of one 4 KiB page to assigned (Linux rmp_make_private(pfn, gpa,
  // PG_LEVEL_4K, asid, false); APM §15.36.5): the entry is rewritten with the new GPA and ASID,
  // and Validated is cleared, as every RMPUPDATE leaves it. 0 or -errno (-ENODEV without SNP,
  // -EFAULT when RMPUPDATE fails).
  virtual int rmp_make_private(SysPhysAddr pa, uint64_t gpa, unsigned asid) = 0;
};

class HostAttacker : public PhysicalAttacker {
 public:
  virtual Hypervisor& hypervisor() = 0;
};

}  // namespace cbit::attacks
