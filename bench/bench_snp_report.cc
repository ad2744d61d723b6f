// The cost of an SEV-SNP attestation report request (issue 10 §5), broken down. A real x86-64
// guest program (examples/guest/snp_report.elf) asks for a report through /dev/sev-guest: the
// guest driver seals MSG_REPORT_REQ under VMPCK0 (AES-256-GCM), the GHCB guest-request NAE event
// exits to KVM, KVM copies the ciphertext into a page of its own, hands the firmware a response
// page it made Firmware-owned (RMPUPDATE), SNP_GUEST_REQUEST goes through the PSP mailbox, the
// firmware checks the header, opens the message, builds the report and signs it with the VCEK
// (ECDSA P-384), seals the response; KVM reclaims the page (SNP_PAGE_RECLAIM), copies it back and
// resumes the guest, whose driver opens the response and copies the report to the program.
// SNP ABI "SNP_GUEST_REQUEST", "MSG_REPORT_REQ"; GHCB spec 2.x "SNP Guest Request"; Linux
// sev-guest.c and kvm/svm/sev.c snp_handle_guest_req; SNP-FACTS.md §3, §4.
//
// One VM is launched and booted before timing (launch excluded) and asked repeatedly. Each
// iteration runs the program twice, `repeat HEX 1+kRepeat` (the timed one) and `repeat HEX 1`.
// One request as the program sees it (ioctl to ioctl, without the exec and the printing, which
// `program_fixed_us` reports apart) is the span from one request's arrival at KVM to the next's
// in the repeat loop (req_us); req_by_difference_us, (run of 1+kRepeat - run of 1) / kRepeat,
// is the cross-check. Every time is the thread's
// CPU time (the machine is shared; wall time is not the cost). In the same run it records:
//   hooks in the real path, per request: KVM's copy of the request (Vm::on_guest_request), the
//     begin and end of the firmware's SNP_GUEST_REQUEST and the end of SNP_PAGE_RECLAIM
//     (PspCommandObserver), KVM's response page before it is written back (on_guest_response);
//   untimed by Google Benchmark (PauseTiming): kRepeat of the same requests from a guest kernel
//     task (the driver's get_report / get_ext_report call alone), and, kRepeat times each, the
//     firmware's and driver's pieces run on their own at the request's sizes: seal/open of the
//     96-byte request and the 0x4C0-byte response, the report's serialization, the ECDSA P-384
//     signature, and the VCEK derivation (hashstick chain + key; the firmware derives it once per
//     REPORTED_TCB and keeps it, so a request pays none of it).
// Counters, microseconds of CPU per request and each part's share of req_us (the parts add up
// to req_us; those marked "difference" are what is left of a measured span):
//   req_us      one request from the program (ioctl to ioctl: consecutive KVM copy-ins);
//   user_us     syscall, ioctl argument copies (req_us - the driver call; difference);
//   drv_gcm_us  the guest driver's seal of the request and open of the response;
//   ghcb_us     GHCB setup, VMGEXIT/VMRUN, KVM's exit handling, its read of the guest's request
//               page and write of the response (and, ext, the certificates); difference;
//   kvm_in_us   KVM's request page, the firmware page (RMPUPDATE), the mailbox up to the
//               firmware (copy-in hook to the command's begin);
//   fw_checks_us SNP_GUEST_REQUEST's RMP, page-state and header checks and its DMA reads and
//               writes (the command, fw_us, minus the three pieces below; difference);
//   fw_gcm_us   the firmware's open of the request and seal of the response;
//   fw_build_us the report's fields and serialization;
//   sign_us     ECDSA P-384 over the report;
//   reclaim_us  SNP_PAGE_RECLAIM of the response page (mailbox, firmware, RMPUPDATE);
//   kvm_out_us  KVM's read of the reclaimed response page;
//   program_fixed_us  exec of the ELF, its output (the report as hex on the serial console: one
//               #VC and GHCB IOIO exit per byte, as an SEV-ES/SNP guest's 8250 console does) and
//               exit, paid once per program, not per request;
//   vcek_once_us the VCEK derivation, paid once per TCB, not per request.
// ext:1 asks for the extended report (SNP_GET_EXT_REPORT with a 3-certificate table, ~5 KiB,
// that KVM writes into the guest's pages).
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/file.h"
#include "hw/machine.h"
#include "hw/psp/sev/sev_firmware.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"
#include "psp/snp/cert_table.h"
#include "psp/snp/guest_msg.h"
#include "psp/snp/vcek.h"
#include "sw/guest/kernel.h"
#include "sw/guest/sev_guest.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/devices.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/snp_cc_blob.h"
#include "sw/hv/vm.h"
#include "x86/guest_programs.h"

namespace {

using namespace cbit;
namespace snp = psp::snp;
using hw::psp::sev::SevCmd;
using hw::psp::sev::SevStatus;

constexpr uint64_t kRam = 32ull << 20;

// The calling thread's CPU time in microseconds.
double cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

// Stand-in certificates of a real chain's sizes (VCEK ~1.3 KiB, ASK and ARK ~1.6 KiB).
Bytes host_certs() {
  return snp::cert_table_build({{snp::cert_guid_vcek(), Bytes(1360, 0x11)},
                                {snp::cert_guid_ask(), Bytes(1650, 0x22)},
                                {snp::cert_guid_ark(), Bytes(1650, 0x33)}});
}

// Per-request spans of the requests passing KVM and the firmware, summed: KVM's copy of the
// request (req), SNP_GUEST_REQUEST's begin and end (fw0, fw1), SNP_PAGE_RECLAIM's end (rc1), the
// response page before KVM writes it back (rsp).
struct PathClock : hw::psp::sev::PspCommandObserver {
  double req = 0, fw0 = 0, fw1 = 0, rc1 = 0;  // the request in flight
  double kvm_in = 0, fw = 0, reclaim = 0, kvm_out = 0;
  unsigned requests = 0;
  // With `cycles` on: the spans from one request's copy-in to the next one's (a program's
  // request, ioctl to ioctl, as the repeat loop makes them back to back), summed.
  bool cycles = false;
  double last_req = 0, cycle_sum = 0;
  unsigned cycle_count = 0;
  static bool is(uint32_t cmd, SevCmd c) { return cmd == static_cast<uint32_t>(c); }
  void on_psp_command_begin(uint32_t cmd, uint64_t) override {
    if (req > 0 && is(cmd, SevCmd::SnpGuestRequest)) fw0 = cpu_us();
  }
  void on_psp_command(uint32_t cmd, uint64_t, SevStatus) override {
    if (req > 0 && fw0 > 0 && is(cmd, SevCmd::SnpGuestRequest)) fw1 = cpu_us();
    if (fw1 > 0 && rc1 == 0 && is(cmd, SevCmd::SnpPageReclaim)) rc1 = cpu_us();
  }
  void request() {
    req = cpu_us(), fw0 = fw1 = rc1 = 0;
    if (cycles && last_req > 0) cycle_sum += req - last_req, ++cycle_count;
    last_req = cycles ? req : 0;
  }
  void track_cycles(bool on) { cycles = on, last_req = 0; }
  void response() {
    const double t = cpu_us();
    if (req > 0 && fw0 >= req && fw1 >= fw0 && rc1 >= fw1) {
      kvm_in += fw0 - req;
      fw += fw1 - fw0;
      reclaim += rc1 - fw1;
      kvm_out += t - rc1;
      ++requests;
    }
    req = 0;
  }
  void reset() { *this = PathClock(); }
};

// A seeded Milan SNP host with a launched, booted guest whose disk holds snp_report.elf.
struct ReportGuest {
  ReportGuest()
      : m([] {
          hw::MachineConfig c;
          c.cpu = hw::cpu_model_by_name("milan");
          c.dram_bytes = 128ull << 20;
          c.seed = 5;
          c.firmware.sme = true;
          c.firmware.snp = true;
          return c;
        }()),
        k(m, sw::host::KernelConfig{"mem_encrypt=on", false, 0}),
        dev((k.boot(), k), m),
        kvm(dev) {
    sw::hv::VmConfig cfg;
    cfg.mode = sw::hv::SevMode::Snp;
    cfg.ram_bytes = kRam;
    cfg.policy = 0;
    const Bytes elf = read_file(x86::find_guest_program("snp_report"), uint64_t(64) << 20);
    cfg.disk = sw::hv::make_cbit_disk(elf, "snp_report.elf");
    cfg.snp_certs = host_certs();
    vm = std::make_unique<sw::hv::Vm>(m, k, &kvm, cfg);
    if (vm->launch(nullptr).rc != 0) throw std::runtime_error("launch failed");
    sw::guest::GuestKernelConfig gc;
    gc.ram_bytes = kRam;
    sw::hv::apply_cc_blob(vm->snp_cc_blob(), gc);
    guest = std::make_unique<sw::guest::GuestKernel>(gc);
    vm->run(*guest);
    if (!guest->booted()) throw std::runtime_error("guest did not boot");
    m.sev_firmware().add_observer(&clock);
    vm->on_guest_request = [this](MutByteSpan) { clock.request(); };
    vm->on_guest_response = [this](MutByteSpan) { clock.response(); };
  }
  ~ReportGuest() {
    vm->on_guest_request = nullptr;
    vm->on_guest_response = nullptr;
  }
  // `n` requests from one run of the program; its CPU microseconds, or -1 when it did not
  // print a report.
  double program_requests(bool ext, unsigned n) {
    guest->queue_program({"snp_report.elf", ext ? "repeat-ext" : "repeat", std::string(128, 'a'),
                          std::to_string(n)});
    const size_t count = guest->programs().size();
    const double t0 = cpu_us();
    vm->run(*guest);
    const double t = cpu_us() - t0;
    if (guest->programs().size() != count + 1) return -1;
    const auto& p = guest->programs().back();
    const bool ok = p.state == sw::guest::ProgramRun::State::Exited && p.exit_code == 0 &&
                    p.output.find("-----BEGIN SNP REPORT-----") != std::string::npos &&
                    (!ext || p.output.find("-----BEGIN SNP CERT TABLE-----") != std::string::npos);
    return ok ? t : -1;
  }
  // `n` of the same requests from a kernel task: the CPU microseconds of the driver's calls
  // (get_report / get_ext_report alone), summed, or -1.
  double task_requests(bool ext, unsigned n) {
    double t = 0;
    bool ok = false;
    guest->queue([&](sw::guest::GuestKernel& gk) {
      sw::guest::SevGuestDevice* d = gk.sev_guest();
      if (!d) return;
      // struct snp_report_req: REPORT_DATA as the program sends it, VMPL 0, reserved zero.
      Bytes req(sw::guest::kSnpReportReqSize, 0);
      std::fill_n(req.begin(), 64, uint8_t{0xAA});
      for (unsigned i = 0; i < n; ++i) {
        Bytes resp, certs;
        uint64_t info2 = 0;
        uint32_t len = uint32_t(sw::guest::SEV_FW_BLOB_MAX_SIZE);
        const double t0 = cpu_us();
        const int rc = ext ? d->get_ext_report(1, req, &len, &certs, &resp, &info2)
                           : d->get_report(1, req, &resp, &info2);
        t += cpu_us() - t0;
        // MSG_REPORT_RSP: STATUS 0 and a report (a refused request would skip the work).
        if (rc != 0 || resp.size() < 0x20 + psp::kReportSize || load_le<uint32_t>(resp.data()) != 0)
          return;
      }
      ok = true;
    });
    vm->run(*guest);
    return ok ? t : -1;
  }
  PathClock clock;  // before m: the firmware's observer outlives nothing it watches
  hw::Machine m;
  sw::host::HostKernel k;
  sw::host::SevDev dev;
  sw::hv::KvmSev kvm;
  std::unique_ptr<sw::hv::Vm> vm;
  std::unique_ptr<sw::guest::GuestKernel> guest;
};

// The pieces the driver and the firmware compute, on their own, with a request's sizes.
struct Pieces {
  Pieces() {
    key.assign(32, 0x5C);
    std::array<uint8_t, snp::kChipSecretSize> secret{};
    secret.fill(0x3D);
    const auto sticks = snp::VcekHashsticks::from_chip_secret(secret, kTcb);
    vcek = snp::snp_key_from_hashstick(*sticks.derive(kTcb));
  }
  static constexpr uint64_t kTcb = 0x7300000000000803ull;  // Milan: ucode 0x73, SNP 8, BL 3
  // Seal of MSG_REPORT_REQ (96 bytes) and open of MSG_REPORT_RSP (0x20 + 0x4A0 bytes): what the
  // driver does per request; the firmware does the mirror image (open, seal) at the same sizes.
  double gcm_pair_us(uint64_t seqno) {
    const double t0 = cpu_us();
    snp::GuestMsgHeader h;
    h.msg_type = static_cast<uint8_t>(snp::SnpMsgType::ReportReq);
    h.msg_seqno = seqno;
    const Bytes req = snp::snp_guest_msg_seal(key, h, Bytes(96, 0xAA));
    snp::GuestMsgError err{};
    const auto opened = snp::snp_guest_msg_open(key, req, nullptr, &err);
    snp::GuestMsgHeader r;
    r.msg_type = static_cast<uint8_t>(snp::SnpMsgType::ReportRsp);
    r.msg_seqno = seqno + 1;
    const Bytes rsp = snp::snp_guest_msg_seal(
        key, r, Bytes(snp::kMsgReportRspHeaderSize + psp::kReportSize, 0x55));
    const auto back = snp::snp_guest_msg_open(key, rsp, nullptr, &err);
    if (!opened || !back) throw std::runtime_error("seal/open failed");
    // Four AES-256-GCM operations: two are the driver's, two the firmware's.
    return (cpu_us() - t0) / 2;
  }
  double build_us(Bytes* out) {
    const double t0 = cpu_us();
    psp::AttestationReport rep;
    rep.version = 3;
    rep.signature_algo = psp::kSigAlgoEcdsaP384Sha384;
    rep.report_data.fill(0xAA);
    rep.current_tcb = rep.reported_tcb = rep.committed_tcb = rep.launch_tcb = kTcb;
    *out = rep.serialize();
    return cpu_us() - t0;
  }
  double sign_us(Bytes& report) {
    const double t0 = cpu_us();
    psp::sign_report(report, vcek.get());
    return cpu_us() - t0;
  }
  double vcek_derive_us() {
    std::array<uint8_t, snp::kChipSecretSize> secret{};
    secret.fill(0x3E);
    const double t0 = cpu_us();
    const auto sticks = snp::VcekHashsticks::from_chip_secret(secret, kTcb);
    auto stick = sticks.derive(kTcb);
    const auto key_pair = snp::snp_key_from_hashstick(*stick);
    benchmark::DoNotOptimize(key_pair.get());
    return cpu_us() - t0;
  }
  Bytes key;
  psp::PkeyPtr vcek;
};

constexpr unsigned kRepeat = 40;

void BM_SnpReportRequest(benchmark::State& st) {
  const bool ext = st.range(0) == 1;
  std::unique_ptr<ReportGuest> g;
  try {
    g = std::make_unique<ReportGuest>();
  } catch (const std::exception& e) {
    st.SkipWithError(e.what());
    return;
  }
  Pieces pc;
  // Warm up: the first request probes the driver (sev_guest_probe) and derives the VCEK.
  if (g->program_requests(ext, 1) < 0 || g->task_requests(ext, 1) < 0) {
    st.SkipWithError("the warm-up request failed");
    return;
  }
  double many = 0, one = 0, call = 0, gcm = 0, build = 0, sign = 0, vcek = 0;
  g->clock.reset();
  uint64_t seqno = 1;
  for (auto _ : st) {
    g->clock.track_cycles(true);
    const double t = g->program_requests(ext, 1 + kRepeat);
    g->clock.track_cycles(false);
    st.PauseTiming();
    const double t1 = g->program_requests(ext, 1);
    const double tc = g->task_requests(ext, kRepeat);
    if (t < 0 || t1 < 0 || tc < 0) {
      st.SkipWithError("a report request failed");
      break;
    }
    many += t, one += t1, call += tc;
    // The pieces as often as the requests, interleaved with them (the machine is shared).
    for (unsigned i = 0; i < kRepeat; ++i) {
      gcm += pc.gcm_pair_us(seqno);
      seqno += 2;
      Bytes rep;
      build += pc.build_us(&rep);
      sign += pc.sign_us(rep);
    }
    vcek += pc.vcek_derive_us();
    st.ResumeTiming();
  }
  const double n = double(st.iterations());
  const auto& c = g->clock;
  // The hooks saw every request: 1 + kRepeat, 1 and kRepeat per iteration.
  if (n == 0 || c.requests != unsigned(n) * (2 * kRepeat + 2)) {
    if (n > 0) st.SkipWithError("the hooks did not see every request");
    return;
  }
  const double samples = n * kRepeat;
  // One request as the program sees it: the mean span between consecutive requests of the
  // repeat loop, measured directly (kRepeat per iteration); (many - one) / kRepeat would say the
  // same, but as the difference of two runs dominated by the console output it is noisier.
  if (c.cycle_count != unsigned(samples)) {
    st.SkipWithError("the repeat loop's requests were not all seen");
    return;
  }
  const double req = c.cycle_sum / c.cycle_count;
  st.counters["req_by_difference_us"] = (many - one) / samples;
  call /= samples, gcm /= samples, build /= samples, sign /= samples, vcek /= n;
  const double kvm_in = c.kvm_in / c.requests, fw = c.fw / c.requests,
               reclaim = c.reclaim / c.requests, kvm_out = c.kvm_out / c.requests;
  const std::pair<const char*, double> parts[] = {
      {"user", req - call},
      {"drv_gcm", gcm},
      {"ghcb", call - gcm - kvm_in - fw - reclaim - kvm_out},
      {"kvm_in", kvm_in},
      {"fw_checks", fw - gcm - build - sign},
      {"fw_gcm", gcm},
      {"fw_build", build},
      {"sign", sign},
      {"reclaim", reclaim},
      {"kvm_out", kvm_out},
  };
  st.counters["req_us"] = req;
  st.counters["fw_us"] = fw;
  for (const auto& [name, us] : parts) {
    st.counters[std::string(name) + "_us"] = us;
    st.counters[std::string(name) + "_pct"] = 100.0 * us / req;
  }
  st.counters["program_fixed_us"] = one / n - req;
  st.counters["vcek_once_us"] = vcek;
  st.SetItemsProcessed(int64_t(n) * (1 + kRepeat));
}
BENCHMARK(BM_SnpReportRequest)
    ->ArgName("ext")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(10)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
