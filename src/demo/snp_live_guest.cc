#include "demo/snp_live_guest.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "common/error.h"
#include "common/file.h"
#include "hw/psp/sev/sev_api.h"
#include "hw/psp/sev/sim_kds.h"
#include "hw/psp/sev/snp_api.h"
#include "hw/svm/vmcb.h"
#include "psp/certs/cert_io.h"
#include "psp/certs/sim_chain.h"
#include "psp/digest/ovmf.h"
#include "psp/digest/vcpu_types.h"
#include "psp/report/attestation_report.h"
#include "psp/snp/cert_table.h"
#include "psp/snp/guest_msg.h"
#include "psp/snp/secrets_page.h"
#include "sw/guest/sev_guest.h"
#include "sw/host/psp_sev_snp.h"
#include "sw/hv/snp_cc_blob.h"
#include "sw/owner/snp_expected_measurement.h"

namespace cbit::demo {

namespace {

hw::MachineConfig platform_machine(const SnpPlatformOptions& opt) {
  if (!opt.cpu.fn8000_001f.has(hw::SevFeature::SevSnp))
    throw InputError(
        fmt::format("the attestation platform needs SEV-SNP (CPUID Fn8000_001F "
                    "EAX[4]), which {} does not have",
                    opt.cpu.name));
  hw::MachineConfig c;
  c.cpu = opt.cpu;
  c.dram_bytes = 256ull << 20;  // the host, and a few 16 MiB guests
  c.seed = opt.seed;
  c.firmware.sme = true;
  c.firmware.snp = true;  // the BIOS reserves the RMP
  return c;
}

Bytes read_ovmf(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw InputError(path + ": no OVMF image (Debian's ovmf package) to launch SNP guests from");
  return read_file(path, inputs::kFirmware);
}

psp::PkeyPtr kds_key(const SnpPlatformOptions& opt, const char* role) {
  return opt.rsa_key ? opt.rsa_key(role) : psp::generate_rsa4096();
}

}  // namespace

SnpPlatform::SnpPlatform(const SnpPlatformOptions& opt)
    : opt_(opt),
      m_(platform_machine(opt)),
      k_(m_, sw::host::KernelConfig{"mem_encrypt=on", false, 0}),
      dev_((k_.boot(), k_), m_),
      kvm_(dev_),
      kds_(hw::psp::sev::sim_kds_chip(opt.seed, m_.cpu_model(), kds_key(opt, "ark"),
                                      kds_key(opt, "ask"))),
      ovmf_(read_ovmf(opt.ovmf_path)) {
  if (!kds_) throw InputError("the KDS stand-in has no product for " + opt.cpu.name);
  committed_ = reported_tcb();  // nobody ran SNP_CONFIG yet: REPORTED_TCB is the committed TCB
}

SnpPlatform::~SnpPlatform() = default;

psp::digest::LaunchConfig SnpPlatform::launch_config() {
  psp::digest::LaunchConfig c;
  c.mode = psp::digest::SevMode::Snp;
  c.vcpu_sig = *psp::digest::vcpu_sig_by_name("EPYC-v4");
  return c;
}

std::array<uint8_t, 48> SnpPlatform::expected_measurement(const Bytes& image) {
  const psp::digest::Ovmf ovmf(image, "OVMF.fd");
  return sw::owner::expected_snp_measurement(psp::digest::plan_launch(ovmf, launch_config()));
}

Bytes SnpPlatform::cert_table(const psp::TcbVersion& tcb) const {
  return psp::snp::cert_table_build(
      {{psp::snp::cert_guid_vcek(), psp::certificate_der(kds_->vcek_cert(tcb).get())},
       {psp::snp::cert_guid_ask(), psp::certificate_der(kds_->ask())},
       {psp::snp::cert_guid_ark(), psp::certificate_der(kds_->ark())}});
}

psp::TcbVersion SnpPlatform::reported_tcb() {
  sw::host::sev_user_data_snp_status st{};
  int err = 0;
  if (dev_.snp_platform_status(&st, &err) != 0)
    throw std::runtime_error(fmt::format("SNP_PLATFORM_STATUS failed ({:#x})", err));
  return psp::TcbVersion::decode(st.reported_tcb_version, kds_->product().layout);
}

psp::TcbVersion SnpPlatform::committed_tcb() const { return committed_; }

int SnpPlatform::set_reported_tcb(const std::optional<psp::TcbVersion>& tcb) {
  Bytes cmd(hw::psp::sev::kSnpConfigLen, 0);
  if (tcb) store_le<uint64_t>(cmd.data(), tcb->encode(kds_->product().layout));
  int err = 0;
  const int rc = dev_.sev_do_cmd(hw::psp::sev::SevCmd::SnpConfig, cmd, &err);
  return rc != 0 && err == 0 ? rc : err;
}

LiveSnpGuest::LiveSnpGuest(SnpPlatform& platform, Bytes image, Bytes disk)
    : p_(platform),
      ovmf_(
          std::make_unique<psp::digest::Ovmf>(image.empty() ? platform.ovmf() : image, "OVMF.fd")),
      plan_(psp::digest::plan_launch(*ovmf_, SnpPlatform::launch_config())) {
  sw::hv::VmConfig cfg;
  cfg.mode = sw::hv::SevMode::Snp;
  cfg.ram_bytes = platform.options().guest_ram;
  cfg.firmware = image.empty() ? platform.ovmf() : std::move(image);
  cfg.disk = std::move(disk);
  // What the host hands KVM for extended reports: the chain of the TCB the firmware reports.
  cfg.snp_certs = platform.cert_table(platform.reported_tcb());
  vm_ = std::make_unique<sw::hv::Vm>(platform.machine(), platform.host_kernel(), &platform.kvm(),
                                     cfg);
  const auto r = vm_->launch(nullptr, &plan_);
  if (r.rc != 0)
    throw InputError(fmt::format("SNP launch of OVMF failed at {} (rc {}, firmware status {:#x})",
                                 r.step, r.rc, r.fw_error));
  sw::guest::GuestKernelConfig kc;
  kc.ram_bytes = cfg.ram_bytes;
  sw::hv::apply_cc_blob(vm_->snp_cc_blob(), kc);
  k_ = std::make_unique<sw::guest::GuestKernel>(kc);
}

LiveSnpGuest::~LiveSnpGuest() {
  devices_.clear();  // the drivers before the kernel they belong to
}

void LiveSnpGuest::in_guest(sw::guest::GuestKernel::Task task) {
  k_->queue([this, t = std::move(task)](sw::guest::GuestKernel& k) {
    inside_ = true;
    t(k);
    inside_ = false;
  });
  const auto exit = vm_->run(*k_);
  inside_ = false;
  if (exit.code != hw::svm::exit_code::kHlt) {
    std::string log;
    for (const auto& l : k_->dmesg()) log += "\n  " + l;
    throw std::runtime_error(
        fmt::format("the SNP guest stopped with exit code {:#x}:{}", exit.code, log));
  }
}

sw::guest::SevGuestDevice* LiveSnpGuest::device(unsigned vmpck) {
  if (vmpck == 0) return k_->sev_guest();  // the kernel's own (vmpck_id -1: VMPL 0)
  auto it = devices_.find(vmpck);
  if (it != devices_.end()) return it->second.get();
  int err = 0;
  auto d = sw::guest::SevGuestDevice::probe(*k_, static_cast<int>(vmpck), &err);
  if (!d) return nullptr;
  return devices_.emplace(vmpck, std::move(d)).first->second.get();
}

sw::guest::ReportRequestOutcome LiveSnpGuest::request_report(
    const sw::attest::ReportData& report_data, unsigned vmpck, uint32_t vmpl) {
  sw::guest::ReportRequestOutcome out;
  auto ask = [&](sw::guest::GuestKernel&) {
    sw::guest::SevGuestDevice* d = device(vmpck);
    if (!d) {
      out.rc = -19;  // -ENODEV: the driver did not probe (no such key, or it is zero)
      return;
    }
    // struct snp_report_req: user_data[64], vmpl, rsvd.
    Bytes req(sw::guest::kSnpReportReqSize, 0);
    std::copy(report_data.begin(), report_data.end(), req.begin());
    store_le<uint32_t>(req.data() + 64, vmpl);
    uint32_t certs_len = sw::guest::SEV_FW_BLOB_MAX_SIZE;
    Bytes certs, resp;
    out.rc = d->get_ext_report(1, req, &certs_len, &certs, &resp, &out.exitinfo2);
    if (out.rc != 0 || resp.size() < psp::snp::kMsgReportRspHeaderSize) return;
    // MSG_REPORT_RSP: STATUS, REPORT_SIZE, reserved, then the report (SNP ABI Table 25).
    out.status = load_le<uint32_t>(resp.data());
    const size_t at = psp::snp::kMsgReportRspHeaderSize;
    if (out.status != psp::snp::kMsgStatusSuccess || resp.size() < at + psp::kReportSize) return;
    out.report = sw::guest::ReportResponse{
        Bytes(resp.begin() + at, resp.begin() + at + psp::kReportSize), std::move(certs)};
  };
  if (inside_) {
    ask(*k_);
  } else {
    in_guest(ask);
  }
  return out;
}

sw::guest::GetReportFn LiveSnpGuest::report_source(unsigned vmpck, uint32_t vmpl) {
  return [this, vmpck, vmpl](const sw::attest::ReportData& rd) {
    return request_report(rd, vmpck, vmpl).report;
  };
}

bool LiveSnpGuest::vmpck_zero(unsigned vmpck) {
  bool zero = false;
  auto look = [&](sw::guest::GuestKernel&) {
    sw::guest::SevGuestDevice* d = device(vmpck);  // the probe refuses a zero key
    zero = !d || d->vmpck_disabled();
  };
  if (inside_) {
    look(*k_);
  } else {
    in_guest(look);
  }
  return zero;
}

void LiveSnpGuest::zero_vmpck(unsigned vmpck) {
  in_guest([&](sw::guest::GuestKernel& k) {
    const Bytes zero(psp::snp::kVmpckSize, 0);
    k.memcpy_to(k.__va(*k.config().snp_secrets_page) + psp::snp::secrets_off::kVmpck0 +
                    vmpck * psp::snp::kVmpckSize,
                zero);
  });
}

std::array<uint8_t, 48> LiveSnpGuest::launch_digest() {
  std::array<uint8_t, 48> d{};
  const auto ld = p_.machine().sev_firmware().snp_launch_digest(vm_->snp()->gctx_paddr());
  if (ld) std::copy(ld->begin(), ld->end(), d.begin());
  return d;
}

}  // namespace cbit::demo
