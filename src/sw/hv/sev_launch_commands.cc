#include "sw/hv/sev_launch_commands.h"

#include <algorithm>
#include <cerrno>

#include "sw/hv/sev_launch.h"

namespace cbit::sw::hv {

namespace digest = psp::digest;

SevLaunchCommands::SevLaunchCommands(KvmSevVm& vm, VmMemory& mem, uint32_t policy, Session session,
                                     std::function<VirtAddr(uint64_t)> vmsa_page)
    : vm_(vm),
      mem_(mem),
      policy_(policy),
      session_(std::move(session)),
      vmsa_page_(std::move(vmsa_page)) {}

void SevLaunchCommands::launch_start() {
  int error = 0;
  const int ret = vm_.sev_launch_start(policy_, session_ ? session_() : std::nullopt, &error);
  if (ret) throw KvmError("KVM_SEV_LAUNCH_START", ret, error);
}

void SevLaunchCommands::launch_update(const digest::LaunchStep& step) {
  // The firmware is in guest memory already (QEMU's pflash); the hashes table is written now.
  if (step.source != digest::LaunchStep::Source::Firmware)
    mem_.write(GuestPhysAddr(step.gpa), step.data);
  int error = 0;
  const int ret = vm_.sev_launch_update_data(GuestPhysAddr(step.gpa), step.data.size(), &error);
  if (ret) throw KvmError("KVM_SEV_LAUNCH_UPDATE_DATA", ret, error);
}

void SevLaunchCommands::launch_update_vmsas(const std::vector<const digest::LaunchStep*>& steps) {
  std::vector<SevEsVcpu> vcpus;
  for (const auto* s : steps) {
    const uint64_t n = s->repeat ? s->pages : 1;
    for (uint64_t i = 0; i < n; ++i) {
      const ByteSpan data = s->data;
      vcpus.push_back({vmsa_page_(vcpus.size()), [data] {
                         digest::VmsaPage page{};
                         std::copy_n(data.begin(), std::min(data.size(), page.size()),
                                     page.begin());
                         return page;
                       }});
    }
  }
  if (vcpus.empty()) return;  // SEV: no VMSAs
  int error = 0;
  const int ret = vm_.sev_launch_update_vmsa(vcpus, &error);
  if (ret) throw KvmError("KVM_SEV_LAUNCH_UPDATE_VMSA", ret, error);
}

Bytes SevLaunchCommands::launch_measure() {
  int error = 0;
  uint32_t len = 0;
  Bytes blob;
  // "query the measurement blob length": the firmware answers INVALID_LEN with the length.
  vm_.sev_launch_measure(&blob, &len, &error);
  if (len == 0) throw KvmError("KVM_SEV_LAUNCH_MEASURE", -EIO, error);
  const int ret = vm_.sev_launch_measure(&blob, &len, &error);
  if (ret) throw KvmError("KVM_SEV_LAUNCH_MEASURE", ret, error);
  return blob;
}

void SevLaunchCommands::launch_secret(ByteSpan hdr, ByteSpan data, GuestPhysAddr gpa) {
  int error = 0;
  const int ret = vm_.sev_launch_secret(hdr, data, gpa, &error);
  if (ret) throw KvmError("KVM_SEV_LAUNCH_SECRET", ret, error);
}

void SevLaunchCommands::launch_finish() {
  int error = 0;
  const int ret = vm_.sev_launch_finish(&error);
  if (ret) throw KvmError("KVM_SEV_LAUNCH_FINISH", ret, error);
}

}  // namespace cbit::sw::hv
