// SNP guest requests end to end (issue 10 §1; SNP-FACTS.md §3, §5.2): a guest program's
// /dev/sev-guest ioctl or configfs-tsm entry, the guest driver's sealed message in a shared
// page, the GHCB NAE event, KVM's copy into a hypervisor page and a Firmware-state response page,
// the firmware's SNP_GUEST_REQUEST, and back. Attacks with their controls: a hypervisor that
// flips a request byte (GCM refuses, the guest wipes its VMPCK), a replayed response (the guest's
// sequence check), and KVM's view holding only ciphertext.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "hw/machine.h"
#include "hw/svm/vmcb.h"
#include "psp/snp/cert_table.h"
#include "psp/snp/guest_msg.h"
#include "sw/ghcb/ghcb.h"
#include "sw/guest/sev_guest.h"
#include "sw/guest/tsm_report.h"
#include "unit/sw/snp_guest_rig.h"

namespace cbit::sw::guest {
namespace {

using hv::SevMode;
using test::SnpGuestVm;
namespace ec = hw::svm::exit_code;
namespace snp = psp::snp;

constexpr size_t kReportDataOff = 0x50, kMeasurementOff = 0x90, kReportSize = 0x4A0;

Bytes snp_report_elf() {
  try {
    return read_file(x86::find_guest_program("snp_report"), uint64_t(64) << 20);
  } catch (const InputError&) {
    return {};
  }
}

// Three stand-in certificates, > 1 page in all (so a one-page buffer is too small).
Bytes host_certs() {
  return snp::cert_table_build({{snp::cert_guid_vcek(), Bytes(1500, 0x11)},
                                {snp::cert_guid_ask(), Bytes(1700, 0x22)},
                                {snp::cert_guid_ark(), Bytes(1700, 0x33)}});
}

Bytes report_data() {
  Bytes d(64);
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(0xA0 + i);
  return d;
}

std::string hex(ByteSpan b) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) s += k[c >> 4], s += k[c & 15];
  return s;
}

// The bytes between "-----BEGIN SNP <what>-----" and "-----END SNP <what>-----".
std::optional<Bytes> section(const std::string& out, const std::string& what) {
  const std::string b = "-----BEGIN SNP " + what + "-----\n", e = "-----END SNP " + what + "-----";
  const auto p = out.find(b), q = out.find(e);
  if (p == std::string::npos || q == std::string::npos || q < p) return std::nullopt;
  Bytes r;
  std::string h;
  for (char c : out.substr(p + b.size(), q - p - b.size()))
    if (c != '\n') h += c;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    r.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return r;
}

bool contains(ByteSpan hay, ByteSpan needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

class SnpGuestReq : public ::testing::Test {
 protected:
  void SetUp() override {
    elf_ = snp_report_elf();
    if (elf_.empty()) GTEST_FAIL() << "examples/guest/snp_report.elf was not built";
  }
  std::unique_ptr<SnpGuestVm> vm(Bytes certs = host_certs()) {
    return std::make_unique<SnpGuestVm>(SevMode::Snp, hv::make_cbit_disk(elf_, "snp_report.elf"), 1,
                                        Bytes{}, test::kSnpRam, "milan", std::move(certs));
  }
  // Runs the queued work; the guest must come back to its idle HLT.
  static void run(SnpGuestVm& g) {
    const auto exit = g.run();
    ASSERT_EQ(exit.code, ec::kHlt) << std::hex << exit.code << "\n" << g.dmesg();
  }
  Bytes measurement(SnpGuestVm& g) {
    const auto ld = g.host.m.sev_firmware().snp_launch_digest(g.vm->snp()->gctx_paddr());
    return ld ? Bytes(ld->begin(), ld->end()) : Bytes{};
  }
  // One report request from a kernel task; the driver's rc and exitinfo2.
  static std::pair<int, uint64_t> kernel_report(SnpGuestVm& g, Bytes* resp) {
    std::pair<int, uint64_t> r{-1, 0};
    g.k->queue([&](GuestKernel& k) {
      SevGuestDevice* d = k.sev_guest();
      if (!d) return;
      Bytes req(kSnpReportReqSize, 0);
      const Bytes rd = report_data();
      std::copy(rd.begin(), rd.end(), req.begin());
      r.first = d->get_report(1, req, resp, &r.second);
    });
    run(g);
    return r;
  }
  // Whether VMPCK0 in the secrets page is zero, read by the guest kernel (in a task).
  static bool vmpck_disabled(SnpGuestVm& g) {
    bool off = false;
    g.k->queue([&](GuestKernel& k) { off = k.sev_guest() && k.sev_guest()->vmpck_disabled(); });
    run(g);
    return off;
  }
  Bytes elf_;
};

TEST(SevGuestUapi, IoctlNumbersAreLinuxs) {
  EXPECT_EQ(SNP_GET_REPORT, 0xC0205300u);
  EXPECT_EQ(SNP_GET_DERIVED_KEY, 0xC0205301u);
  EXPECT_EQ(SNP_GET_EXT_REPORT, 0xC0205302u);
}

TEST_F(SnpGuestReq, X86ProgramGetsAReportWithItsDataAndTheLaunchMeasurement) {
  auto g = vm();
  g->k->queue_program({"snp_report.elf", "ioctl", hex(report_data())});
  run(*g);
  ASSERT_EQ(g->k->programs().size(), 1u);
  const ProgramRun& p = g->k->programs()[0];
  ASSERT_EQ(p.state, ProgramRun::State::Exited) << p.detail << "\n" << g->dmesg();
  ASSERT_EQ(p.exit_code, 0) << p.output << g->vm->console().text();
  const auto rep = section(p.output, "REPORT");
  ASSERT_TRUE(rep);
  ASSERT_EQ(rep->size(), kReportSize);
  EXPECT_EQ(Bytes(rep->begin() + kReportDataOff, rep->begin() + kReportDataOff + 64),
            report_data());
  const Bytes m = measurement(*g);
  ASSERT_EQ(m.size(), 48u);
  EXPECT_EQ(Bytes(rep->begin() + kMeasurementOff, rep->begin() + kMeasurementOff + 48), m);
  EXPECT_TRUE(g->dmesg_has("sev-guest sev-guest: Initialized SEV guest driver (using VMPCK0"));
  EXPECT_EQ(g->vm->vcpu().vmgexits().count(ghcb::vmgexit::kGuestRequest), 1u);
  EXPECT_EQ(g->vm->vcpu().guest_requests(), 1u);
}

TEST_F(SnpGuestReq, ConfigfsTsmGivesTheSameReportAndTheCertificatesAsAuxblob) {
  auto g = vm();
  g->k->queue_program({"snp_report.elf", "tsm", hex(report_data())});
  run(*g);
  const ProgramRun& p = g->k->programs().at(0);
  ASSERT_EQ(p.exit_code, 0) << p.output << g->vm->console().text() << g->dmesg();
  const auto rep = section(p.output, "REPORT");
  ASSERT_TRUE(rep);
  ASSERT_EQ(rep->size(), kReportSize);
  EXPECT_EQ(Bytes(rep->begin() + kReportDataOff, rep->begin() + kReportDataOff + 64),
            report_data());
  const auto aux = section(p.output, "CERT TABLE");
  ASSERT_TRUE(aux);
  const auto t = snp::cert_table_parse(*aux);
  ASSERT_TRUE(t);
  ASSERT_EQ(t->size(), 3u);
  EXPECT_EQ(std::string(snp::cert_guid_name(t->at(0).guid)), "VCEK");
  EXPECT_EQ(t->at(2).data, Bytes(1700, 0x33));
  // The extended request went through KVM's certificate path.
  EXPECT_EQ(g->vm->vcpu().vmgexits().count(ghcb::vmgexit::kExtGuestRequest), 1u);
}

TEST_F(SnpGuestReq, ExtReportIoctlReturnsTheHostsCertificateTable) {
  auto g = vm();
  g->k->queue_program({"snp_report.elf", "ext", hex(report_data())});
  run(*g);
  const ProgramRun& p = g->k->programs().at(0);
  ASSERT_EQ(p.exit_code, 0) << p.output << g->vm->console().text() << g->dmesg();
  const auto t = snp::cert_table_parse(*section(p.output, "CERT TABLE"));
  ASSERT_TRUE(t);
  ASSERT_EQ(t->size(), 3u);
  EXPECT_EQ(std::string(snp::cert_guid_name(t->at(1).guid)), "ASK");
  EXPECT_EQ(std::string(snp::cert_guid_name(t->at(2).guid)), "ARK");
}

TEST_F(SnpGuestReq, TooSmallCertBufferIsInvalidLenWithThePagesNeededAndKeepsTheKey) {
  auto g = vm();
  const uint64_t need = (host_certs().size() + 4095) / 4096;
  ASSERT_GT(need, 1u);
  int rc = 0, rc2 = -1;
  uint32_t len = 4096;
  uint64_t info2 = 0;
  Bytes certs, resp, resp2;
  g->k->queue([&](GuestKernel& k) {
    SevGuestDevice* d = k.sev_guest();
    ASSERT_NE(d, nullptr);
    const Bytes req(kSnpReportReqSize, 0);
    rc = d->get_ext_report(1, req, &len, &certs, &resp, &info2);
    uint64_t i2 = 0;
    rc2 = d->get_report(1, req, &resp2, &i2);  // the key survived: the seqno was consumed
  });
  run(*g);
  EXPECT_EQ(rc, -EIO);
  EXPECT_EQ(info2 >> 32, SNP_GUEST_VMM_ERR_INVALID_LEN);
  EXPECT_EQ(len, need * 4096);
  EXPECT_EQ(rc2, 0) << g->dmesg();
  EXPECT_FALSE(g->dmesg_has("Disabling VMPCK"));
}

TEST_F(SnpGuestReq, DerivedKeyIsStableAndDependsOnGuestFieldSelect) {
  auto g = vm();
  Bytes k1, k2, k3;
  int rc[3] = {-1, -1, -1};
  g->k->queue([&](GuestKernel& k) {
    SevGuestDevice* d = k.sev_guest();
    ASSERT_NE(d, nullptr);
    Bytes req(kSnpDerivedKeyReqSize, 0);
    uint64_t i2 = 0;
    rc[0] = d->get_derived_key(1, req, &k1, &i2);
    rc[1] = d->get_derived_key(1, req, &k2, &i2);
    store_le<uint64_t>(req.data() + 8, 1 | 8);  // policy | measurement
    rc[2] = d->get_derived_key(1, req, &k3, &i2);
  });
  run(*g);
  ASSERT_EQ(rc[0], 0) << g->dmesg();
  ASSERT_EQ(rc[1], 0);
  ASSERT_EQ(rc[2], 0);
  EXPECT_EQ(load_le<uint32_t>(k1.data()), 0u);  // MSG_KEY_RSP status
  EXPECT_NE(Bytes(k1.begin() + 0x20, k1.end()), Bytes(32, 0));
  EXPECT_EQ(k1, k2);
  EXPECT_NE(Bytes(k1.begin() + 0x20, k1.end()), Bytes(k3.begin() + 0x20, k3.end()));
}

TEST_F(SnpGuestReq, KvmSeesOnlyCiphertextWhileTheGuestGetsItsReportData) {
  auto g = vm();
  Bytes seen_req, seen_rsp;
  g->vm->on_guest_request = [&](MutByteSpan r) { seen_req.assign(r.begin(), r.end()); };
  g->vm->on_guest_response = [&](MutByteSpan r) { seen_rsp.assign(r.begin(), r.end()); };
  Bytes resp;
  const auto [rc, info2] = kernel_report(*g, &resp);
  ASSERT_EQ(rc, 0) << g->dmesg();
  EXPECT_EQ(info2, 0u);
  const Bytes rd = report_data();
  const ByteSpan half = ByteSpan(rd).first(16);
  // The hypervisor's copies: the header in the clear (type REPORT_REQ), no REPORT_DATA.
  ASSERT_EQ(seen_req.size(), 4096u);
  EXPECT_EQ(seen_req[snp::guest_msg_off::kMsgType], uint8_t(snp::SnpMsgType::ReportReq));
  EXPECT_FALSE(contains(seen_req, half));
  EXPECT_FALSE(contains(seen_rsp, half));
  // Control: what the guest decrypted holds it.
  EXPECT_TRUE(contains(resp, rd));
}

TEST_F(SnpGuestReq, HypervisorFlippingARequestByteIsRefusedAndTheGuestWipesItsKey) {
  auto g = vm();
  g->vm->on_guest_request = [](MutByteSpan r) { r[snp::kGuestMsgHeaderSize + 5] ^= 1; };
  Bytes resp;
  const auto [rc, info2] = kernel_report(*g, &resp);
  EXPECT_NE(rc, 0);
  EXPECT_NE(info2 & 0xffffffffu, 0u);  // the firmware's error reaches the guest
  EXPECT_TRUE(g->dmesg_has("Detected error from ASP request."));
  EXPECT_TRUE(g->dmesg_has("Disabling VMPCK0 communication key to prevent IV reuse."));
  // The key is gone from the secrets page: later requests fail without reaching the host.
  g->vm->on_guest_request = nullptr;
  const uint64_t before = g->vm->vcpu().guest_requests();
  const auto [rc2, i2] = kernel_report(*g, &resp);
  EXPECT_EQ(rc2, -ENOTTY);
  EXPECT_EQ(g->vm->vcpu().guest_requests(), before);
  EXPECT_TRUE(vmpck_disabled(*g));
}

TEST_F(SnpGuestReq, ControlUntouchedRequestsKeepWorking) {
  auto g = vm();
  Bytes resp;
  EXPECT_EQ(kernel_report(*g, &resp).first, 0) << g->dmesg();
  EXPECT_EQ(kernel_report(*g, &resp).first, 0) << g->dmesg();
  EXPECT_FALSE(g->dmesg_has("Disabling VMPCK"));
  EXPECT_FALSE(vmpck_disabled(*g));
}

TEST_F(SnpGuestReq, ReplayedResponseIsDetectedByTheSequenceNumber) {
  auto g = vm();
  Bytes first;
  int n = 0;
  g->vm->on_guest_response = [&](MutByteSpan r) {
    if (n++ == 0)
      first.assign(r.begin(), r.end());
    else
      std::copy(first.begin(), first.end(), r.begin());  // the old, authentic response
  };
  Bytes resp;
  ASSERT_EQ(kernel_report(*g, &resp).first, 0) << g->dmesg();
  EXPECT_EQ(kernel_report(*g, &resp).first, -EBADMSG);
  EXPECT_TRUE(g->dmesg_has("Detected unexpected decode failure from ASP. rc: -74"));
  EXPECT_TRUE(g->dmesg_has("Disabling VMPCK0"));
}

TEST_F(SnpGuestReq, ConfigfsTsmRefusesBadInputLikeLinux) {
  auto g = vm();
  int rc[8];
  Bytes out;
  g->k->queue([&](GuestKernel& k) {
    TsmReports& t = k.tsm();
    rc[0] = t.mkdir("r");
    rc[1] = t.mkdir("r");
    rc[2] = t.write_attr("r", "inblob", Bytes(65, 1));
    rc[3] = t.write_attr("r", "privlevel", as_bytes("4\n"));
    rc[4] = t.write_attr("r", "inblob", Bytes(32, 1));
    rc[5] = t.read_attr("r", "outblob", &out);  // inblob must be 64 bytes
    rc[6] = t.read_attr("r", "inblob", &out);   // write-only
    rc[7] = t.read_attr("r", "provider", &out);
  });
  run(*g);
  EXPECT_EQ(rc[0], 0);
  EXPECT_EQ(rc[1], -EEXIST);
  EXPECT_EQ(rc[2], -EFBIG);
  EXPECT_EQ(rc[3], -EINVAL);
  EXPECT_EQ(rc[4], 0);
  EXPECT_EQ(rc[5], -EINVAL);
  EXPECT_EQ(rc[6], -EACCES);
  EXPECT_EQ(rc[7], 0);
  EXPECT_EQ(std::string(out.begin(), out.end()), "sev_guest\n");
}

TEST_F(SnpGuestReq, BadReportDataArgumentIsRefusedByTheProgram) {
  auto g = vm();
  g->k->queue_program({"snp_report.elf", "ioctl", std::string(130, 'a')});
  run(*g);
  EXPECT_EQ(g->k->programs().at(0).exit_code, 2);
  EXPECT_EQ(g->vm->vcpu().guest_requests(), 0u);
}

// bench/bench_snp_report.cc's mode: N requests from one process, each answered (a refused one,
// e.g. a reused sequence number, would exit 1), the last report printed. Control: a count of 0
// is refused by the program before anything reaches the device.
TEST_F(SnpGuestReq, RepeatModeSendsNRequestsFromOneProcess) {
  auto g = vm();
  g->k->queue_program({"snp_report.elf", "repeat", hex(report_data()), "3"});
  g->k->queue_program({"snp_report.elf", "repeat-ext", hex(report_data()), "2"});
  run(*g);
  ASSERT_EQ(g->k->programs().size(), 2u);
  const ProgramRun& p = g->k->programs()[0];
  ASSERT_EQ(p.exit_code, 0) << p.output << g->dmesg();
  const auto rep = section(p.output, "REPORT");
  ASSERT_TRUE(rep);
  ASSERT_EQ(rep->size(), kReportSize);
  EXPECT_EQ(Bytes(rep->begin() + kReportDataOff, rep->begin() + kReportDataOff + 64),
            report_data());
  const ProgramRun& e = g->k->programs()[1];
  ASSERT_EQ(e.exit_code, 0) << e.output << g->dmesg();
  const auto t = snp::cert_table_parse(*section(e.output, "CERT TABLE"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->size(), 3u);
  EXPECT_EQ(g->vm->vcpu().vmgexits().at(ghcb::vmgexit::kGuestRequest), 3u);
  EXPECT_EQ(g->vm->vcpu().vmgexits().at(ghcb::vmgexit::kExtGuestRequest), 2u);
  EXPECT_EQ(g->vm->vcpu().guest_requests(), 5u);
  EXPECT_FALSE(vmpck_disabled(*g));

  g->k->queue_program({"snp_report.elf", "repeat", hex(report_data()), "0"});
  run(*g);
  EXPECT_EQ(g->k->programs().at(2).exit_code, 2);
  EXPECT_EQ(g->vm->vcpu().guest_requests(), 5u);
}

TEST_F(SnpGuestReq, VmpckIdOneReportsAtVmplOneAndNotBelow) {
  auto g = vm();
  // A fresh guest kernel in the same VM with sev-guest's vmpck_id=1 (a VMPL1 guest's key).
  GuestKernelConfig kc;
  kc.ram_bytes = test::kSnpRam;
  hv::apply_cc_blob(g->vm->snp_cc_blob(), kc);
  kc.sev_guest_vmpck_id = 1;
  g->k = std::make_unique<GuestKernel>(kc);
  Bytes at0, at1;
  int rc0 = -1, rc1 = -1;
  unsigned floor = 9;
  g->k->queue([&](GuestKernel& k) {
    SevGuestDevice* d = k.sev_guest();
    ASSERT_NE(d, nullptr);
    Bytes req(kSnpReportReqSize, 0);
    uint64_t i2 = 0;
    rc0 = d->get_report(1, req, &at0, &i2);  // VMPL 0 asked with VMPCK1
    store_le<uint32_t>(req.data() + 64, 1);
    rc1 = d->get_report(1, req, &at1, &i2);
    Bytes f;
    k.tsm().mkdir("x");
    if (k.tsm().read_attr("x", "privlevel_floor", &f) == 0) floor = unsigned(f.at(0) - '0');
  });
  run(*g);
  EXPECT_TRUE(g->dmesg_has("(using VMPCK1 communication key)"));
  // The firmware enforces REPORT_REQ.VMPL >= MSG_VMPCK inside a valid message: a status, not an
  // error the driver would wipe the key for.
  ASSERT_EQ(rc0, 0) << g->dmesg();
  EXPECT_EQ(load_le<uint32_t>(at0.data()), snp::kMsgStatusInvalidParam);
  ASSERT_EQ(rc1, 0) << g->dmesg();
  EXPECT_EQ(load_le<uint32_t>(at1.data()), snp::kMsgStatusSuccess);
  EXPECT_EQ(load_le<uint32_t>(at1.data() + 0x20 + 0x30), 1u);  // the report's VMPL field
  EXPECT_EQ(floor, 1u);
  EXPECT_FALSE(g->dmesg_has("Disabling VMPCK"));
}

TEST_F(SnpGuestReq, MisuseFromAProgramGetsLinuxsErrnosNotACrash) {
  auto g = vm();
  g->k->queue_program({"snp_report.elf", "misuse", "-"});
  run(*g);
  const ProgramRun& p = g->k->programs().at(0);
  ASSERT_EQ(p.state, ProgramRun::State::Exited) << p.detail;
  const auto has = [&](const std::string& line) {
    return p.output.find(line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has("open: 0")) << p.output;
  EXPECT_TRUE(has("msg_version0: -22")) << p.output;     // -EINVAL
  EXPECT_TRUE(has("unknown_ioctl: -25")) << p.output;    // -ENOTTY
  EXPECT_TRUE(has("bad_arg: -14")) << p.output;          // -EFAULT
  EXPECT_TRUE(has("null_req: -22")) << p.output;         // -EINVAL
  EXPECT_TRUE(has("read_dev: -22")) << p.output;         // -EINVAL
  EXPECT_TRUE(has("missing: -2")) << p.output;           // -ENOENT
  EXPECT_TRUE(has("outblob_no_entry: -2")) << p.output;  // -ENOENT
  EXPECT_TRUE(has("syscall999: -38")) << p.output;       // -ENOSYS
  EXPECT_TRUE(has("bad_fd: -9")) << p.output;            // -EBADF
  EXPECT_TRUE(g->dmesg_has("guest kernel: unsupported system call 999 from snp_report.elf"));
  // None of it reached the firmware, and the key is intact.
  EXPECT_EQ(g->vm->vcpu().guest_requests(), 0u);
  EXPECT_FALSE(vmpck_disabled(*g));
}

}  // namespace
}  // namespace cbit::sw::guest
