// An SEV-SNP guest for the end-to-end tests: a Milan host whose BIOS set SNP up (RMP reserved,
// SNP_INIT at KVM_SEV_INIT2), a KVM SNP VM launched as QEMU does (firmware pages, the RAM pages
// of the SNP metadata or the direct boot's CPUID and secrets pages, the VMSA), and the guest
// kernel given the launch's CC blob (sw/hv/snp_cc_blob.h). SevMode::SevEs gives the same rig
// for SEV-ES controls.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/error.h"
#include "common/file.h"
#include "sw/guest/kernel.h"
#include "sw/hv/devices.h"
#include "sw/hv/snp_cc_blob.h"
#include "sw/hv/vm.h"
#include "unit/sw/hv_vm_rig.h"
#include "x86/guest_programs.h"

namespace cbit::sw::guest::test {

inline constexpr uint64_t kSnpRam = 32ull << 20;

inline Bytes secret_elf() {
  try {
    return read_file(x86::find_guest_program("secret"), uint64_t(64) << 20);
  } catch (const InputError&) {
    return {};
  }
}

struct SnpGuestVm {
  explicit SnpGuestVm(hv::SevMode mode = hv::SevMode::Snp, Bytes disk = {}, unsigned vcpus = 1,
                      Bytes firmware = {}, uint64_t ram = kSnpRam, const std::string& cpu = "milan",
                      Bytes snp_certs = {})
      : host(true, cpu, 5, /*snp=*/true) {
    hv::VmConfig cfg;
    cfg.mode = mode;
    cfg.ram_bytes = ram;
    cfg.vcpus = vcpus;
    cfg.policy = mode == hv::SevMode::SevEs ? 0x4 : 0x0;
    cfg.disk = std::move(disk);
    cfg.firmware = std::move(firmware);
    cfg.snp_certs = std::move(snp_certs);
    vm = std::make_unique<hv::Vm>(host.m, host.k, &host.kvm, cfg);
    const auto r = vm->launch(nullptr);
    EXPECT_EQ(r.rc, 0) << r.step << " fw_error " << r.fw_error;
    GuestKernelConfig kc;
    kc.ram_bytes = ram;
    if (mode == hv::SevMode::Snp) hv::apply_cc_blob(vm->snp_cc_blob(), kc);
    k = std::make_unique<GuestKernel>(kc);
  }
  hw::svm::VmExit run() { return vm->run(*k); }
  bool dmesg_has(std::string_view s) const {
    for (const auto& l : k->dmesg())
      if (l.find(s) != std::string::npos) return true;
    return false;
  }
  std::string dmesg() const {
    std::string s;
    for (const auto& l : k->dmesg()) s += l + "\n";
    return s;
  }
  hv::test::VmHost host;
  std::unique_ptr<hv::Vm> vm;
  std::unique_ptr<GuestKernel> k;
};

}  // namespace cbit::sw::guest::test
