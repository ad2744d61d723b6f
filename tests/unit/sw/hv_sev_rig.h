// A host for the HvSev tests: a simulated machine booted with SME, its host kernel, the PSP
// driver and KVM's SEV state; plus Debian's OVMF and the digest `cbit measure` predicts for it.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/file.h"
#include "hw/machine.h"
#include "psp/digest/launch_plan.h"
#include "psp/digest/ovmf.h"
#include "psp/digest/vcpu_types.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/sev_launch.h"
#include "sw/owner/sev_owner.h"
#include "tools/measure/measure.h"

namespace cbit::sw::hv::test {

inline constexpr const char* kOvmf = "/usr/share/ovmf/OVMF.fd";

inline hw::MachineConfig machine_config(const std::string& cpu,
                                        const std::vector<std::string>& overrides, uint64_t seed,
                                        bool sme) {
  hw::MachineConfig c;
  c.cpu = hw::cpu_model_by_name(cpu);
  for (const auto& o : overrides) hw::apply_cpu_override(c.cpu, o);
  c.dram_bytes = 128ull << 20;
  c.seed = seed;
  c.firmware.sme = sme;
  return c;
}

struct HostRig {
  explicit HostRig(const std::string& cpu = "milan", std::vector<std::string> overrides = {},
                   uint64_t seed = 11, bool sme = true, host::SevDevConfig dev_cfg = {})
      : m(machine_config(cpu, overrides, seed, sme)),
        k(m, host::KernelConfig{sme ? "mem_encrypt=on" : "mem_encrypt=off", false, 0}),
        dev((k.boot(), k), m, dev_cfg),
        kvm(dev) {}
  hw::Machine m;
  host::HostKernel k;
  host::SevDev dev;
  KvmSev kvm;

  hw::psp::sev::SevFirmware& fw() { return m.sev_firmware(); }
  owner::PlatformVersion version() {
    host::sev_user_data_status s{};
    int e = 0;
    EXPECT_EQ(dev.sev_platform_status(&s, &e), 0);
    return {s.api_major, s.api_minor, s.build};
  }
};

inline Bytes ovmf_image() { return read_file(kOvmf, inputs::kFirmware); }

// What `cbit measure` computes for the launch (psp/digest launch plan through tools/measure).
inline Bytes expected_digest(ByteSpan image, psp::digest::SevMode mode, uint64_t vcpus,
                             uint64_t sig) {
  const psp::digest::Ovmf ovmf(image, nullptr, "OVMF");
  psp::digest::LaunchConfig cfg;
  cfg.mode = mode;
  cfg.vcpus = mode == psp::digest::SevMode::Sev ? 0 : vcpus;
  cfg.vcpu_sig = mode == psp::digest::SevMode::Sev ? 0 : sig;
  const auto plan = psp::digest::plan_launch(ovmf, cfg);
  return tools::measure::measure(plan, false).digest;
}

inline uint64_t epyc_milan_sig() { return *psp::digest::vcpu_sig_by_name("EPYC-Milan"); }

// A guest owner and a launch up to LAUNCH_MEASURE.
struct OwnedLaunch {
  OwnedLaunch(HostRig& r, psp::digest::SevMode mode, uint64_t vcpus, ByteSpan image,
              uint32_t policy, uint64_t ram = 4ull << 20)
      : owner(21, policy), launch(r.kvm, config(mode, vcpus, policy, ram), image, "OVMF.fd") {
    measure = launch.launch_to_measure([&] {
      const auto b = owner.start_session(*r.fw().pdh_public());
      return std::optional<SevSessionBlobs>({b.dh_cert, b.session});
    });
  }
  static SevGuestConfig config(psp::digest::SevMode mode, uint64_t vcpus, uint32_t policy,
                               uint64_t ram) {
    SevGuestConfig c;
    c.mode = mode;
    c.vcpus = vcpus;
    c.policy = policy;
    c.ram_bytes = ram;
    c.vcpu_sig = epyc_milan_sig();
    return c;
  }
  owner::SevGuestOwner owner;
  SevGuestLaunch launch;
  Bytes measure;
};

// A per-test scratch directory, removed afterwards.
struct TempDir {
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "cbit-hvsev-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

}  // namespace cbit::sw::hv::test
