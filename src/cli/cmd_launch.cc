// `cbit launch`: an SEV / SEV-ES / SEV-SNP launch of a firmware image on a simulated machine,
// end to end (one launch sequence for every mode, sw/hv/launch_sequence.h),
// with cbit playing host kernel (PSP driver, KVM), VMM (QEMU) and guest owner. The owner opens
// the session for LAUNCH_START and checks LAUNCH_MEASURE against the digest `cbit measure`
// predicts for the same inputs (psp/digest); only a verified guest is finished. docs/launch.md.
//
// SEV-SNP: after the verified launch the VM runs: cbit's guest kernel model takes over in it, as
// if OVMF had booted Linux, and runs a program from the VM's disk (sw/hv/guest_run.h).
//
// Exit codes: 0 verified and finished (SNP: and the guest ran its program); 1 bad input or a
// failed launch (KVM / firmware error); 2 bad usage (the flags `cbit measure` would refuse);
// 3 the owner refused the measurement; 4 the guest did not run its program to its end (it
// terminated, e.g. after a #VC 0x404, or its kernel panicked).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <bit>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/launch_report.h"
#include "cli/options.h"
#include "common/error.h"
#include "common/file.h"
#include "common/trace.h"
#include "hw/machine.h"
#include "hw/psp/sev/sev_api.h"
#include "hw/rmp/rmp.h"
#include "hw/rmp/rmp_check.h"
#include "hw/svm/vmcb.h"
#include "psp/digest/launch_plan.h"
#include "psp/digest/ovmf.h"
#include "psp/digest/vcpu_types.h"
#include "sw/guest/kernel.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/dump.h"
#include "sw/hv/guest_run.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/sev_launch.h"
#include "sw/hv/snp_launch.h"
#include "sw/hv/vm.h"
#include "sw/owner/sev_owner.h"
#include "tools/measure/mapped_file.h"
#include "tools/measure/measure.h"
#include "tools/measure/py_int.h"
#include "tools/measure/request.h"
#include "x86/engine_prewarm.h"

namespace cbit::cli {
namespace {

namespace digest = psp::digest;

constexpr const char* kDefaultRun = "secret 123";
constexpr const char* kDefaultGuestCmdline = "console=ttyS0";  // GuestKernelConfig's

struct LaunchCli {
  std::string firmware, mode = "sev", cpu = "milan";
  std::optional<std::string> policy, vcpu_type, vcpu_sig, vmm_type, kernel, initrd, append, expect,
      dump, id_block, id_auth, host_data, trace;
  std::string vcpus = "1";
  uint64_t memory_mib = 16;
  std::optional<uint64_t> seed;
  bool json = false;
  std::string run = kDefaultRun;  // SNP: the guest program and its arguments
  bool no_run = false;            // SNP: stop after the launch
  // SNP: the guest kernel's command line (GuestKernelConfig::cmdline; e.g. accept_memory=eager).
  std::string guest_cmdline = kDefaultGuestCmdline;
  std::string host_cmdline;  // Debian's kernel: SME not active unless mem_encrypt=on
  // SNP: the attestation report from inside the guest (cli/launch_report.h).
  std::optional<std::string> report_data, report_out;
};

uint32_t parse_policy(const std::string& s) {
  const auto v = parse_unsigned(s);
  if (!v || *v > 0xffffffffull)
    throw InputError(fmt::format("--policy '{}': not a 32-bit number (decimal or 0x...)", s));
  return static_cast<uint32_t>(*v);
}

// Host DRAM for a launch. VmMemory backs each memslot with one naturally aligned power-of-two
// block from the host's buddy-style allocator (sw/hv/vm_memory.cc): a slot of S bytes takes
// B = bit_ceil(S) bytes starting at a multiple of B, so it ends by K + 2B, K being what the host
// used before; the flash slot follows the same way. The host kernel, swiotlb, the PSP driver and
// the VMSA pages fit in 64 MiB. (The old size, RAM + firmware + 64 MiB, had no aligned block
// left for 33..62 MiB or for 65 MiB and more.) DRAM is sparse: untouched pages cost nothing.
uint64_t host_dram_bytes(uint64_t ram_bytes, uint64_t firmware_bytes) {
  const uint64_t flash = (firmware_bytes + kPageSize - 1) & ~(kPageSize - 1);
  const uint64_t bytes =
      2 * std::bit_ceil(ram_bytes) + 2 * std::bit_ceil(std::max(flash, kPageSize)) + (64ull << 20);
  return (bytes + (2ull << 20) - 1) & ~((2ull << 20) - 1);
}

// The report goes to stdout, or to stderr when the dump does (--dump -).
void write_stdout(const std::string& s, bool dump_on_stdout) {
  std::FILE* f = dump_on_stdout ? stderr : stdout;
  std::fwrite(s.data(), 1, s.size(), f);
  std::fflush(f);
}

// A guest program's output for the terminal: bytes that are not printable ASCII as '.', every
// line indented by `indent` after the first, ending with a newline ("(none)" when empty).
std::string printable_lines(const std::string& bytes, const std::string& indent) {
  if (bytes.empty()) return "(none)\n";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(bytes[i]);
    if (ch == '\n') {
      out += '\n';
      if (i + 1 < bytes.size()) out += indent;
    } else {
      out += (ch >= 0x20 && ch < 0x7f) || ch == '\t' ? static_cast<char>(ch) : '.';
    }
  }
  if (out.back() != '\n') out += '\n';
  return out;
}

// `--mode snp`: QEMU's SEV-SNP launch of the firmware over KVM's SNP VM and the host's SNP
// support (sw/hv/snp_launch.h, the launch sequence Vm::launch uses too); the launch digest the
// simulated firmware computed beside the one the owner expects (`--expect`, else what
// `cbit measure --mode snp` predicts; a mismatch is exit 3). An ID block is checked by the
// firmware at LAUNCH_FINISH: a mismatch is its BAD_MEASUREMENT, reported in KVM's words (exit 1).
// After the launch: the guest's state from SNP_GUEST_STATUS; then, for a verified guest, the VM
// runs (sw/hv/guest_run.h): cbit's guest kernel model boots on vCPU 0 of the same VM — its ASID,
// the launched VMSA, guest_memfd memory, the CPUID and secrets pages the launch placed, as if
// OVMF (which is not executed) had booted Linux — and runs `--run` (default seed 004's
// `secret.elf 123`); its SNP dmesg lines and the program's output are printed. A guest that
// does not run the program to its end is exit 4 with one line. `--no-run`: the launch alone
// (SnpGuestLaunch, no vCPUs), and "runs" is the hardware's check of the BSP's VMSA for the first
// VMRUN (APM Table 15-41: Guest-Owned by the ASID with RMP.VMSA). `--dump` writes KVM's
// guest_memfd view (after the run): zeros where pages are private.
// The host kernel that runs QEMU: a distribution kernel's defaults (Debian's is built without
// CONFIG_AMD_MEM_ENCRYPT_ACTIVE_BY_DEFAULT, so SME is off until the command line says
// mem_encrypt=on; SEV, SEV-ES and SEV-SNP guests need SYSCFG.MemEncryptionModEn, not an SME
// host), with --host-cmdline's words.
sw::host::KernelConfig host_config(const LaunchCli& c) {
  sw::host::KernelConfig k;
  k.cmdline = c.host_cmdline;
  return k;
}

void run_launch_snp(const LaunchCli& c, Context& ctx) {
  ctx.exit_code = 1;
  refuse_same_file({{"--firmware", c.firmware, false},
                    {"--kernel", c.kernel.value_or(""), false},
                    {"--initrd", c.initrd.value_or(""), false},
                    {"--id-block", c.id_block.value_or(""), false},
                    {"--id-auth", c.id_auth.value_or(""), false},
                    {"--dump", c.dump.value_or(""), true},
                    {"--trace", c.trace.value_or(""), true}});
  std::optional<Bytes> given;
  if (c.expect) {
    given = from_hex(*c.expect, "--expect");
    if (given->size() != 48)
      throw InputError(
          fmt::format("--expect: {} bytes, want a 48-byte SHA-384 digest", given->size()));
  }
  if (bool(c.id_block) != bool(c.id_auth))
    throw InputError("--id-block and --id-auth: give both or neither");
  const uint64_t policy =
      c.policy ? parse_unsigned_in(*c.policy, "--policy", 0, kU64Max) : 0x30000ull;
  sw::hv::SnpGuestConfig cfg;
  cfg.policy = policy;
  cfg.ram_bytes = c.memory_mib << 20;
  if (c.id_block) {
    Bytes blk = read_file(*c.id_block, 4096);
    Bytes auth = read_file(*c.id_auth, 8192);
    if (blk.size() != sw::hv::KVM_SEV_SNP_ID_BLOCK_SIZE)
      throw InputError(fmt::format("--id-block {}: {} bytes, want {}", *c.id_block, blk.size(),
                                   sw::hv::KVM_SEV_SNP_ID_BLOCK_SIZE));
    if (auth.size() != sw::hv::KVM_SEV_SNP_ID_AUTH_SIZE)
      throw InputError(fmt::format("--id-auth {}: {} bytes, want {}", *c.id_auth, auth.size(),
                                   sw::hv::KVM_SEV_SNP_ID_AUTH_SIZE));
    cfg.finish.id_block = std::move(blk);
    cfg.finish.id_auth = std::move(auth);
    cfg.finish.auth_key_en = false;
  }
  if (c.host_data) {
    const Bytes hd = from_hex(*c.host_data, "--host-data");
    if (hd.size() != cfg.finish.host_data.size())
      throw InputError(fmt::format("--host-data: {} bytes, want 32", hd.size()));
    std::copy(hd.begin(), hd.end(), cfg.finish.host_data.begin());
  }
  hw::MachineConfig mc;
  mc.cpu = hw::cpu_model_by_name(c.cpu);
  mc.seed = c.seed;
  mc.firmware.snp = true;  // the BIOS's "SEV-SNP" option: the RMP reserved
  tools::measure::RawArgs raw;
  raw.mode = "snp";
  raw.ovmf = c.firmware;
  raw.vcpus = c.vcpus;
  raw.vcpu_type = c.vcpu_type;
  raw.vcpu_sig = c.vcpu_sig;
  raw.vmm_type = c.vmm_type;
  raw.kernel = c.kernel;
  raw.initrd = c.initrd;
  raw.append = c.append;
  if (!c.vcpu_type && !c.vcpu_sig)
    raw.vcpu_sig =
        fmt::format("{:#x}", digest::cpu_sig(mc.cpu.family, mc.cpu.model, mc.cpu.stepping));
  tools::measure::Request req;
  try {
    req = tools::measure::resolve(raw);
  } catch (const tools::measure::UsageError&) {
    ctx.exit_code = 2;
    throw;
  }
  const auto vcpus_arg = tools::measure::parse_py_int(c.vcpus, 10);
  if ((vcpus_arg && vcpus_arg->negative) || req.cfg.vcpus == 0 ||
      req.cfg.vcpus > sw::hv::kMaxLaunchVcpus)
    throw InputError(fmt::format("--vcpus {}: choose 1 to {}", c.vcpus, sw::hv::kMaxLaunchVcpus));
  const tools::measure::MappedFile fw = tools::measure::map_file(c.firmware, inputs::kFirmware);
  const digest::Ovmf ovmf(fw.data, fw.owner, "--firmware " + c.firmware);
  digest::LaunchConfig plan_cfg = req.cfg;
  if (req.kernel && !req.kernel->empty()) {
    using tools::measure::map_file;
    const tools::measure::MappedFile k = map_file(*req.kernel, inputs::kKernel);
    const tools::measure::MappedFile i = req.initrd && !req.initrd->empty()
                                             ? map_file(*req.initrd, inputs::kInitrd)
                                             : tools::measure::MappedFile{};
    plan_cfg.hashes = digest::SevHashes::from_contents(k.data, i.data, req.append.value_or(""));
  }
  const digest::LaunchPlan plan = digest::plan_launch(ovmf, plan_cfg);
  // The owner computes its expectation on its own (on the second core) while the host boots and
  // launches, as for SEV-ES below. The firmware's SNP_LAUNCH_UPDATE reuses a page's digest the
  // owner has already made (psp/digest/page_memo.h) and hashes any other itself.
  std::future<Bytes> predicted;
  if (!given)
    predicted = std::async(std::launch::async,
                           [&plan] { return tools::measure::measure(plan, false).digest; });

  // The guest program (before the machine: an unknown program is bad input, not a failed run).
  // --report-out: snp_report.elf asks for an extended report with the REPORT_DATA given.
  std::optional<sw::hv::GuestProgram> program;
  if (c.report_data && !c.report_out) throw InputError("--report-data needs --report-out DIR");
  if (c.report_out) {
    if (c.no_run) throw InputError("--report-out: the guest must run (drop --no-run)");
    if (c.run != kDefaultRun)
      throw InputError("--report-out runs snp_report.elf in the guest; drop --run");
    const Bytes rd = parse_report_data(c.report_data.value_or(""));
    prepare_report_out(*c.report_out);
    program = sw::hv::guest_program("snp_report ext " + to_hex(rd));
  } else if (!c.no_run) {
    program = sw::hv::guest_program(c.run);
  } else if (c.guest_cmdline != kDefaultGuestCmdline) {
    throw InputError("--guest-cmdline: the guest does not run with --no-run");
  }

  // The guest will run x86 code: its Unicorn engine is made on the second core meanwhile.
  if (program) x86::prewarm_engine();

  mc.dram_bytes = host_dram_bytes(c.memory_mib << 20, fw.data.size());
  hw::Machine m(mc);
  sw::host::HostKernel kernel(m, host_config(c));
  kernel.boot();
  if (!kernel.cc_platform_has(sw::CcAttr::HostSevSnp))
    throw InputError(fmt::format("--cpu {}: the host kernel has no SEV-SNP support", c.cpu));
  sw::host::SevDev dev(kernel, m);
  sw::hv::KvmSev kvm(dev);
  // --no-run: QEMU's launch alone (SnpGuestLaunch: RAM faulted in on first touch, no vCPUs to
  // run). Otherwise the VM with its vCPUs (sw/hv/vm.h), launched from the same plan, which then
  // runs the guest kernel and the program.
  std::unique_ptr<sw::hv::SnpGuestLaunch> launch;
  std::unique_ptr<sw::hv::Vm> vm;
  const auto report_cpuid = [](const std::vector<std::string>& lines) {
    for (const auto& l : lines) std::fprintf(stderr, "%s\n", l.c_str());
  };
  if (c.no_run) {
    launch = std::make_unique<sw::hv::SnpGuestLaunch>(
        kvm, cfg, plan, fw.data, GuestPhysAddr(ovmf.gpa()), "--firmware " + c.firmware);
    try {
      launch->launch();
    } catch (const sw::hv::KvmError&) {
      report_cpuid(launch->cpuid_report());
      throw;
    }
  } else {
    sw::hv::VmConfig vc;
    vc.mode = sw::hv::SevMode::Snp;
    vc.ram_bytes = cfg.ram_bytes;
    vc.vcpus = static_cast<unsigned>(req.cfg.vcpus);
    vc.snp_policy = cfg.policy;
    vc.snp_finish = cfg.finish;
    vc.firmware_view = fw.data;  // the mapped file outlives the VM
    vc.disk = sw::hv::guest_program_disk(*program);
    // The VMM's certificates for extended guest requests (QEMU's certs, as the host fetched
    // them from "the KDS": this simulated chip's VCEK, ASK and ARK).
    if (c.report_out) vc.snp_certs = host_cert_table(m, dev, c.seed);
    vm = std::make_unique<sw::hv::Vm>(m, kernel, &kvm, std::move(vc));
    const auto r = vm->launch(nullptr, &plan);
    if (r.rc) {
      report_cpuid(r.cpuid_report);
      throw sw::hv::KvmError(r.step, r.rc, r.fw_error);
    }
  }
  sw::hv::KvmSnpVm& snp_vm = vm ? *vm->snp() : launch->vm();
  sw::hv::VmMemory& memory = vm ? vm->memory() : launch->memory();
  const std::optional<VirtAddr> bsp_vmsa =
      vm                             ? vm->vcpu(0).vmsa()
      : launch->vmsa_pages().empty() ? std::nullopt
                                     : std::optional<VirtAddr>(launch->vmsa_pages().front());
  const auto ld = m.sev_firmware().snp_launch_digest(snp_vm.gctx_paddr());
  if (!ld) throw InputError("launch: the firmware has no launch digest for the guest");
  const std::string meas_hex = to_hex(*ld);
  const Bytes expected = given ? *given : predicted.get();
  const bool verified = ByteSpan(*ld).size() == expected.size() &&
                        std::equal(ld->begin(), ld->end(), expected.begin());
  // SNP_GUEST_STATUS: RUNNING after LAUNCH_FINISH.
  uint8_t gstate = 0;
  int error = 0;
  if (int rc = snp_vm.snp_guest_status(nullptr, nullptr, &gstate, &error))
    throw sw::hv::KvmError("SNP_GUEST_STATUS", rc, error);
  const char* guest_state = gstate == 2 ? "RUNNING" : gstate == 1 ? "LAUNCH" : "INIT";
  // The first VMRUN of the BSP: the hardware's check of its VMSA page (APM Table 15-41), and
  // when the guest runs, the VMRUN itself.
  bool vmrun_ok =
      bsp_vmsa && hw::rmp::vmrun_vmsa_ok(m.rmp().table(), kernel.__pa(*bsp_vmsa), snp_vm.asid());
  // Only a verified guest runs (the owner would not provision it otherwise).
  std::optional<sw::hv::GuestProgramResult> ran;
  if (verified && vm) {
    sw::guest::GuestKernelConfig gcfg;
    gcfg.cmdline = c.guest_cmdline;
    ran = sw::hv::run_guest_program(*vm, *program, gcfg);
    vmrun_ok = ran->last_exit.code != hw::svm::exit_code::kInvalid;
  }
  if (verified && c.dump) sw::hv::dump_guest_memory(memory, *c.dump);
  // The report the guest printed, to DIR in snpguest's layout.
  std::vector<std::string> report_files;
  const bool report_failed = ran && !ran->failure && c.report_out && ran->exit_code != 0;
  if (ran && !ran->failure && c.report_out && !report_failed)
    report_files = write_report_out(*c.report_out, parse_guest_report_output(ran->output));
  const std::string vmrun_text =
      !vmrun_ok ? "refused: the BSP's VMSA fails VMRUN's SNP checks (VMEXIT_INVALID)"
      : ran     ? "accepted: VMRUN entered the guest (the BSP's VMSA is Guest-Owned by the ASID "
                  "with RMP.VMSA, APM Table 15-41)"
                : "accepted: the BSP's VMSA is Guest-Owned by the ASID with RMP.VMSA (APM Table "
                  "15-41); --no-run: the guest is not entered";
  const std::string takeover = fmt::format(
      "cbit's guest kernel model, as if OVMF had booted Linux (OVMF's code is not executed), in "
      "this VM: ASID {}, vCPU 0's launched VMSA, guest_memfd memory, the CPUID and secrets pages "
      "the launch placed",
      snp_vm.asid());
  const std::vector<std::string> sev_lines =
      ran ? sw::hv::sev_dmesg_lines(ran->dmesg) : std::vector<std::string>{};
  const std::string program_line =
      program ? fmt::format("{}", fmt::join(program->argv, " ")) : std::string();
  if (c.json) {
    nlohmann::json j{{"mode", "SEV_SNP"},
                     {"cpu", mc.cpu.name},
                     {"firmware", c.firmware},
                     {"vcpus", req.cfg.vcpus},
                     {"policy", fmt::format("{:#x}", policy)},
                     {"api", fmt::format("{}.{}", dev.snp_api_major(), dev.snp_api_minor())},
                     {"build", dev.snp_build()},
                     {"asid", snp_vm.asid()},
                     {"measurement", meas_hex},
                     {"expected_digest", to_hex(expected)},
                     {"verdict", verified ? "verified" : "refused"},
                     {"guest_state", guest_state},
                     {"first_vmrun", vmrun_ok ? "accepted" : "refused"},
                     {"vmm_type", digest::vmm_type_name(req.cfg.vmm)},
                     {"psp_commands", dev.commands()}};
    if (ran) {
      j["guest"] = {{"kernel", takeover},
                    {"sev_status", fmt::format("{:#x}", ran->sev_status)},
                    {"dmesg", sev_lines},
                    {"program", program->argv},
                    {"program_state", sw::guest::to_string(ran->state)},
                    {"program_exit_code", ran->exit_code},
                    {"program_output", ran->output},
                    {"unsupported_syscalls", ran->unsupported_syscalls},
                    {"failure", ran->failure ? nlohmann::json(*ran->failure) : nullptr}};
    }
    if (c.dump && verified) j["dump"] = *c.dump;
    if (!report_files.empty()) j["report_out"] = report_files;
    write_stdout(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                 c.dump && output_fd_alias(*c.dump) == 1);
  } else {
    std::string out = fmt::format(
        "SEV_SNP launch on a simulated {} ({}), {} vCPU{}, firmware {} ({} bytes at GPA {:#x})\n",
        mc.cpu.name, mc.cpu.marketing, req.cfg.vcpus, req.cfg.vcpus == 1 ? "" : "s", c.firmware,
        fw.data.size(), ovmf.gpa());
    out += fmt::format("SEV-SNP API:      {}.{} build {}\n", dev.snp_api_major(),
                       dev.snp_api_minor(), dev.snp_build());
    out += fmt::format("policy:           {:#x}\n", policy);
    out += fmt::format("ASID:             {}\n", snp_vm.asid());
    out += fmt::format("measurement:      {}\n", meas_hex);
    out += fmt::format("expected digest:  {}{}\n", to_hex(expected),
                       c.expect ? " (--expect)" : " (cbit measure)");
    out += fmt::format("guest state:      {}\n", guest_state);
    out += fmt::format("first VMRUN:      {}\n", vmrun_text);
    out += fmt::format("verdict:          {}\n",
                       verified ? "verified: the guest owner accepts the launch digest"
                                : "refused: the launch digest does not match the expected digest");
    if (ran) {
      out += fmt::format("guest kernel:     {}\n", takeover);
      out += fmt::format("SEV_STATUS:       {:#x}\n", ran->sev_status);
      for (size_t i = 0; i < sev_lines.size(); ++i)
        out += fmt::format("{}{}\n", i ? "                  " : "guest dmesg:      ", sev_lines[i]);
      out += fmt::format(
          "program:          {} ({}{})\n", program_line, sw::guest::to_string(ran->state),
          ran->state == sw::guest::ProgramRun::State::Exited ? fmt::format(" {}", ran->exit_code)
                                                             : std::string());
      if (report_files.empty())
        out += "program output:   " + printable_lines(ran->output, "                  ");
      for (size_t i = 0; i < ran->unsupported_syscalls.size(); ++i)
        out += fmt::format("{}{}\n", i ? "                  " : "unsupported:      ",
                           ran->unsupported_syscalls[i]);
      for (size_t i = 0; i < report_files.size(); ++i)
        out +=
            fmt::format("{}{}\n", i ? "                  " : "report written:   ", report_files[i]);
      if (report_files.size() == 1)
        out +=
            "certificates:     none: the KDS stand-in has no record of an unseeded machine's "
            "chip (give --seed N for the VCEK, ASK and ARK)\n";
    }
    if (c.dump && verified) out += fmt::format("dump:             {}\n", *c.dump);
    write_stdout(out, c.dump && output_fd_alias(*c.dump) == 1);
  }
  if (!verified) {
    ctx.exit_code = 3;
    throw InputError(fmt::format(
        "launch: the guest owner refused the SNP launch digest: it does not match the expected "
        "digest {}",
        to_hex(expected)));
  }
  if (!vmrun_ok) throw InputError("launch: the BSP's VMSA fails VMRUN's SNP checks");
  if (ran && ran->failure) {
    ctx.exit_code = 4;
    throw InputError("guest: " + *ran->failure);
  }
  if (report_failed) {
    // The program's own error line (the ioctl's errno, fw_error and vmm_error) says why.
    std::string why = ran->output.substr(0, ran->output.find('\n'));
    ctx.exit_code = 4;
    throw InputError(fmt::format("guest: snp_report.elf exited with {}: {}", ran->exit_code, why));
  }
  ctx.exit_code = 0;
}

void run_launch(const LaunchCli& c, Context& ctx) {
  namespace sev = hw::psp::sev;
  ctx.exit_code = 1;
  if (c.mode == "snp") return run_launch_snp(c, ctx);
  if (c.report_data || c.report_out)
    throw InputError("--report-data / --report-out: attestation reports need --mode snp");
  if (c.guest_cmdline != kDefaultGuestCmdline)
    throw InputError("--guest-cmdline: only an --mode snp launch runs its guest");
  refuse_same_file({{"--firmware", c.firmware, false},
                    {"--kernel", c.kernel.value_or(""), false},
                    {"--initrd", c.initrd.value_or(""), false},
                    {"--dump", c.dump.value_or(""), true},
                    {"--trace", c.trace.value_or(""), true}});
  digest::SevMode mode;
  if (c.mode == "sev")
    mode = digest::SevMode::Sev;
  else if (c.mode == "sev-es" || c.mode == "seves")
    mode = digest::SevMode::SevEs;
  else
    throw InputError(fmt::format("--mode '{}': choose sev, sev-es or snp", c.mode));
  const bool es = mode == digest::SevMode::SevEs;
  const uint32_t es_bit = sev::policy_flag(sev::SevPolicyBit::Es);
  const uint32_t policy = c.policy ? parse_policy(*c.policy) : (es ? 0x5u : 0x1u);
  if (es != bool(policy & es_bit))
    throw InputError(fmt::format("--policy {:#x}: --mode {} {} the ES bit (0x4)", policy, c.mode,
                                 es ? "needs" : "must not have"));
  hw::MachineConfig mc;
  mc.cpu = hw::cpu_model_by_name(c.cpu);
  mc.seed = c.seed;

  // The owner's expectation: `cbit measure` over the same firmware and options. Without a
  // vCPU type the guest gets the host's own signature (QEMU's -cpu host).
  tools::measure::RawArgs raw;
  raw.mode = es ? "seves" : "sev";
  raw.ovmf = c.firmware;
  raw.vcpus = c.vcpus;
  raw.vcpu_type = c.vcpu_type;
  raw.vcpu_sig = c.vcpu_sig;
  raw.vmm_type = c.vmm_type;
  raw.kernel = c.kernel;
  raw.initrd = c.initrd;
  raw.append = c.append;
  if (es && !c.vcpu_type && !c.vcpu_sig)
    raw.vcpu_sig =
        fmt::format("{:#x}", digest::cpu_sig(mc.cpu.family, mc.cpu.model, mc.cpu.stepping));
  tools::measure::Request req;
  try {
    req = tools::measure::resolve(raw);
  } catch (const tools::measure::UsageError&) {
    ctx.exit_code = 2;
    throw;
  }
  // `cbit measure` reads a negative count as no VMSA (sev-snp-measure's reading); a launch
  // has no such reading.
  const auto vcpus_arg = tools::measure::parse_py_int(c.vcpus, 10);
  if ((vcpus_arg && vcpus_arg->negative) || req.cfg.vcpus > sw::hv::kMaxLaunchVcpus)
    throw InputError(fmt::format("--vcpus {}: choose 1 to {}", c.vcpus, sw::hv::kMaxLaunchVcpus));
  // A VM without a vCPU cannot be launched; for SEV-ES the count is also what the owner measures,
  // so the launch and the expectation must agree on it.
  if (es && req.cfg.vcpus == 0) {
    ctx.exit_code = 2;
    throw InputError("--vcpus 0: an SEV-ES guest needs at least one vCPU");
  }
  std::optional<Bytes> given;
  if (c.expect) {
    given = from_hex(*c.expect, "--expect");
    if (given->size() != 32)
      throw InputError(
          fmt::format("--expect: {} bytes, want a 32-byte SHA-256 digest", given->size()));
  }
  // The same steps as `cbit measure` (tools::measure::run), naming this command's flag.
  const tools::measure::MappedFile fw = tools::measure::map_file(c.firmware, inputs::kFirmware);
  const digest::Ovmf ovmf(fw.data, fw.owner, "--firmware " + c.firmware);
  digest::LaunchConfig plan_cfg = req.cfg;
  if (req.kernel && !req.kernel->empty()) {
    using tools::measure::map_file;
    const tools::measure::MappedFile k = map_file(*req.kernel, inputs::kKernel);
    const tools::measure::MappedFile i = req.initrd && !req.initrd->empty()
                                             ? map_file(*req.initrd, inputs::kInitrd)
                                             : tools::measure::MappedFile{};
    plan_cfg.hashes = digest::SevHashes::from_contents(k.data, i.data, req.append.value_or(""));
  }
  const digest::LaunchPlan plan = digest::plan_launch(ovmf, plan_cfg);

  // The owner computes its expectation on its own (on the second core) while the host boots and
  // launches: two parties, no shared state but the read-only image.
  std::future<Bytes> predicted;
  if (!given)
    predicted = std::async(std::launch::async,
                           [&plan] { return tools::measure::measure(plan, false).digest; });

  // The owner's ephemeral DH key (a P-384 scalar multiplication) depends only on the owner:
  // made on another core while the host boots too.
  sw::owner::SevGuestOwner owner(
      c.seed ? std::optional<uint64_t>(*c.seed ^ 0x6f776e6572ull) : std::nullopt, policy);
  std::future<void> owner_key =
      std::async(std::launch::async, [&owner] { owner.prepare_dh_key(); });

  mc.dram_bytes = host_dram_bytes(c.memory_mib << 20, fw.data.size());
  hw::Machine m(mc);
  sw::host::HostKernel kernel(m, host_config(c));
  kernel.boot();
  sw::host::SevDev dev(kernel, m);
  sw::hv::KvmSev kvm(dev);
  if (es && !kvm.sev_es_enabled())
    throw InputError(
        fmt::format("--cpu {}: no SEV-ES ASIDs (CPUID Fn8000_001F EDX min_sev_asid = {})", c.cpu,
                    kvm.min_sev_asid()));

  sw::hv::SevGuestConfig cfg;
  cfg.mode = mode;
  cfg.policy = policy;
  cfg.ram_bytes = c.memory_mib << 20;
  cfg.vcpus = req.cfg.vcpus ? req.cfg.vcpus : 1;
  cfg.vcpu_sig = req.cfg.vcpu_sig;
  cfg.vmm = req.cfg.vmm;
  cfg.hashes = plan_cfg.hashes;
  sw::hv::SevGuestLaunch launch(kvm, cfg, fw.data, "--firmware " + c.firmware);
  const Bytes measure = launch.launch_to_measure([&] {
    // The owner has the platform's PDH (PDH_CERT_EXPORT on a real host; the model's firmware
    // hands over the public key directly).
    if (owner_key.valid()) owner_key.get();
    const auto blobs = owner.start_session(*m.sev_firmware().pdh_public());
    return std::optional<sw::hv::SevSessionBlobs>({blobs.dh_cert, blobs.session});
  });
  const Bytes expected = given ? *given : predicted.get();
  sw::host::sev_user_data_status ps{};
  int error = 0;
  if (int rc = dev.sev_platform_status(&ps, &error))
    throw sw::hv::KvmError("PLATFORM_STATUS", rc, error);
  const bool verified =
      owner.verify_measurement(measure, expected, {ps.api_major, ps.api_minor, ps.build});
  std::string guest_state = "LSECRET";
  if (verified) {
    launch.sev_launch_finish();
    sw::host::sev_data_guest_status gs{};
    if (int rc = launch.vm().sev_guest_status(&gs, &error))
      throw sw::hv::KvmError("KVM_SEV_GUEST_STATUS", rc, error);
    guest_state = std::string(sev::name(static_cast<sev::GuestState>(gs.state)));
    if (c.dump) sw::hv::dump_guest_memory(launch.memory(), *c.dump);
  }

  const std::string mode_name = digest::sev_mode_name(mode);
  const std::string meas_hex = to_hex(ByteSpan(measure).first(32));
  const std::string mnonce_hex = to_hex(ByteSpan(measure).subspan(32, 16));
  const std::string verdict = verified ? "verified" : "refused";
  if (c.json) {
    nlohmann::json j{{"mode", mode_name},
                     {"cpu", mc.cpu.name},
                     {"firmware", c.firmware},
                     {"firmware_gpa", fmt::format("{:#x}", launch.firmware_gpa().value)},
                     {"vcpus", cfg.vcpus},
                     {"policy", fmt::format("{:#x}", policy)},
                     {"api", fmt::format("{}.{}", ps.api_major, ps.api_minor)},
                     {"build", ps.build},
                     {"asid", launch.vm().asid()},
                     {"handle", launch.vm().handle()},
                     {"measurement", meas_hex},
                     {"mnonce", mnonce_hex},
                     {"expected_digest", to_hex(expected)},
                     {"verdict", verdict},
                     {"guest_state", guest_state},
                     {"psp_commands", dev.commands()}};
    if (c.dump && verified) j["dump"] = *c.dump;
    write_stdout(j.dump(2) + "\n", c.dump && output_fd_alias(*c.dump) == 1);
  } else {
    std::string out = fmt::format(
        "{} launch on a simulated {} ({}), {} vCPU{}, firmware {} ({} bytes at GPA {:#x})\n",
        mode_name, mc.cpu.name, mc.cpu.marketing, cfg.vcpus, cfg.vcpus == 1 ? "" : "s", c.firmware,
        fw.data.size(), launch.firmware_gpa().value);
    out += fmt::format("SEV API:          {}.{} build {}\n", ps.api_major, ps.api_minor, ps.build);
    out += fmt::format("policy:           {:#x}\n", policy);
    out += fmt::format("ASID:             {}\n", launch.vm().asid());
    out += fmt::format("handle:           {}\n", launch.vm().handle());
    out += fmt::format("measurement:      {}\n", meas_hex);
    out += fmt::format("mnonce:           {}\n", mnonce_hex);
    out += fmt::format("expected digest:  {}{}\n", to_hex(expected),
                       c.expect ? " (--expect)" : " (cbit measure)");
    out += fmt::format("guest state:      {}\n", guest_state);
    out += fmt::format("verdict:          {}\n",
                       verified ? "verified: the guest owner accepts the measurement"
                                : "refused: the measurement does not match the expected digest");
    if (c.dump && verified) out += fmt::format("dump:             {}\n", *c.dump);
    write_stdout(out, c.dump && output_fd_alias(*c.dump) == 1);
  }
  if (!verified) {
    ctx.exit_code = 3;
    throw InputError(fmt::format(
        "launch: the guest owner refused the measurement: LAUNCH_MEASURE does not match the "
        "expected digest {}",
        to_hex(expected)));
  }
  ctx.exit_code = 0;
}

}  // namespace

void add_launch_command(CLI::App& app, Context& ctx) {
  auto c = std::make_shared<LaunchCli>();
  auto* cmd = app.add_subcommand(
      "launch",
      "Launch a firmware image as an SEV / SEV-ES / SEV-SNP guest on a simulated machine (PSP "
      "driver, KVM, QEMU and guest owner), verify the launch digest against cbit measure's; "
      "SNP: then run a guest program in the VM");
  cmd->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->add_option("--firmware", c->firmware, "Firmware image (e.g. /usr/share/ovmf/OVMF.fd)")
      ->required();
  cmd->add_option("--mode", c->mode, "sev, sev-es or snp")->capture_default_str();
  cmd->add_option("--vcpus", c->vcpus, "Number of vCPUs")->capture_default_str();
  cmd->add_option("--vcpu-type", c->vcpu_type,
                  "Guest vCPU type (EPYC, EPYC-Milan, ...; default: the host CPU's signature)");
  cmd->add_option("--vcpu-sig", c->vcpu_sig, "Guest vCPU signature (CPUID 1 EAX)");
  cmd->add_option("--vmm-type", c->vmm_type, "QEMU (default), ec2, gce");
  cmd->add_option("--kernel", c->kernel, "Kernel (measured direct boot)");
  cmd->add_option("--initrd", c->initrd, "Initrd (with --kernel)");
  cmd->add_option("--append", c->append, "Kernel command line (with --kernel)");
  cmd->add_option("--policy", c->policy,
                  "Guest policy (default 0x1 for sev, 0x5 for sev-es, 0x30000 for snp)");
  cmd->add_option("--id-block", c->id_block, "SNP: the 96-byte ID block (with --id-auth)");
  cmd->add_option("--id-auth", c->id_auth, "SNP: the 4096-byte ID authentication block");
  cmd->add_option("--host-data", c->host_data, "SNP: 32 bytes of HOST_DATA (hex)");
  add_unsigned(cmd, "--memory", c->memory_mib, "Guest RAM in MiB", 1, 1024)->capture_default_str();
  cmd->add_option("--cpu", c->cpu, "CPU model: naples, rome, milan, genoa, turin")
      ->capture_default_str();
  add_unsigned(cmd, "--seed", c->seed, "Seed every key and nonce for a reproducible run", 0,
               kU64Max);
  cmd->add_option("--expect", c->expect,
                  "The owner's expected launch digest (hex; default: computed as cbit measure)");
  cmd->add_option("--dump", c->dump,
                  "After a verified launch, write the guest's memory as QEMU's dump-guest-memory "
                  "ELF core (the hypervisor's view; SNP: zeros where pages are private)");
  cmd->add_option("--run", c->run,
                  "SNP: after the launch, the guest program and its arguments (examples/guest/"
                  "NAME.elf, or a path to an ELF file)")
      ->capture_default_str();
  cmd->add_flag("--no-run", c->no_run, "SNP: stop after the launch (the guest is not entered)");
  cmd->add_option("--host-cmdline", c->host_cmdline,
                  "the host kernel's command line (default empty, as Debian boots: SME not "
                  "active; mem_encrypt=on runs the host with SME)")
      ->capture_default_str();
  cmd->add_option("--guest-cmdline", c->guest_cmdline,
                  "SNP: the guest kernel's command line (accept_memory=eager accepts all guest "
                  "memory at boot; the default, lazy, accepts each 2 MiB on first use)")
      ->capture_default_str();
  cmd->add_option("--report-data", c->report_data,
                  "SNP: REPORT_DATA for the guest's attestation report (hex, at most 64 bytes; "
                  "with --report-out)");
  cmd->add_option("--report-out", c->report_out,
                  "SNP: run snp_report.elf in the guest and write DIR/report.bin and the "
                  "certificate chain (vcek.pem, ask.pem, ark.pem; snpguest's layout)");
  cmd->add_flag("--json", c->json, "JSON output");
  add_trace_option(cmd, c->trace);
  cmd->callback(
      [c, &ctx] { trace::with_trace_file(c->trace.value_or(""), [&] { run_launch(*c, ctx); }); });
}

}  // namespace cbit::cli
