// The attestation report layout, its signature, the simulated chain and the verifier.
// RSA-4096 key generation takes seconds, so one simulated chain serves the whole binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "psp/certs/cert_io.h"
#include "psp/certs/chain_check.h"
#include "psp/certs/sim_chain.h"
#include "psp/certs/sim_chip.h"
#include "psp/certs/vcek_extensions.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"
#include "tools/report/display.h"
#include "tools/report/sample.h"

namespace cbit::psp {
namespace {

// ctest runs every test in its own process, so the keys are cached on disk as well: in this
// build's directory (written atomically), never under a fixed /tmp name another run shares.
std::string key_path(const char* name) {
  return (std::filesystem::path(CBIT_TEST_CACHE_DIR) / "rsa4096" / name).string();
}
struct SharedChain {
  PkeyPtr ark_key = load_or_generate_rsa4096(key_path("ark.pem"));
  PkeyPtr ask_key = load_or_generate_rsa4096(key_path("ask.pem"));
  const ChipProduct& milan = chip_product("milan");
  X509Ptr ark = make_ark_cert(ark_key.get(), milan);
  X509Ptr ask = make_ask_cert(ask_key.get(), ark.get(), ark_key.get(), milan);
};
SharedChain& shared() {
  static SharedChain c;
  return c;
}

PkeyPtr vcek_key(uint8_t fill) {
  std::array<uint8_t, 48> seed;
  seed.fill(fill);
  return p384_key_from_seed(seed);
}

AttestationReport milan_report() {
  AttestationReport r;
  r.version = 2;
  r.policy = 0x30000;
  r.signature_algo = 1;
  TcbVersion t{.fmc = std::nullopt, .bootloader = 2, .tee = 0, .snp = 5, .microcode = 0x44};
  r.current_tcb = r.reported_tcb = r.committed_tcb = r.launch_tcb = t.encode(TcbLayout::MilanGenoa);
  for (size_t i = 0; i < 64; ++i) r.chip_id[i] = static_cast<uint8_t>(0x3A + i);
  r.report_data[0] = 1;
  return r;
}

TEST(TcbVersion, MilanAndTurinByteOrders) {
  // SPEC-FACTS.md: Milan/Genoa [bl, tee, 0, 0, 0, 0, snp, ucode]; Turin [fmc, bl, tee, snp, 0,0,0,
  // ucode]. 0x4405000000000002 is a real Milan REPORTED_TCB (bl 2, tee 0, snp 5, ucode 0x44).
  const TcbVersion m = TcbVersion::decode(0x4405000000000002ull, TcbLayout::MilanGenoa);
  EXPECT_EQ(m.bootloader, 2);
  EXPECT_EQ(m.tee, 0);
  EXPECT_EQ(m.snp, 5);
  EXPECT_EQ(m.microcode, 0x44);
  EXPECT_FALSE(m.fmc.has_value());
  EXPECT_EQ(m.encode(TcbLayout::MilanGenoa), 0x4405000000000002ull);
  const TcbVersion t = TcbVersion::decode(0x4500000004030201ull, TcbLayout::Turin);
  EXPECT_EQ(t.fmc, 1);
  EXPECT_EQ(t.bootloader, 2);
  EXPECT_EQ(t.tee, 3);
  EXPECT_EQ(t.snp, 4);
  EXPECT_EQ(t.microcode, 0x45);
  EXPECT_EQ(t.encode(TcbLayout::Turin), 0x4500000004030201ull);
  // Control: the same bytes read with the other layout give different values.
  EXPECT_NE(TcbVersion::decode(0x4500000004030201ull, TcbLayout::MilanGenoa).snp, 4);
}

TEST(AttestationReport, OffsetsFromTheSpec) {
  AttestationReport r = milan_report();
  r.version = 3;
  r.vmpl = 2;
  r.cpuid_fam_id = 0x19;
  r.cpuid_mod_id = 0x01;
  r.cpuid_step = 0x01;
  r.current_major = 1;
  r.current_minor = 55;
  r.current_build = 21;
  r.signature_r[0] = 0xAA;
  r.signature_s[71] = 0xBB;
  const Bytes b = r.serialize();
  ASSERT_EQ(b.size(), 0x4A0u);
  EXPECT_EQ(b[0x00], 3);
  EXPECT_EQ(b[0x30], 2);
  EXPECT_EQ(b[0x34], 1);
  EXPECT_EQ(b[0x0A], 0x03);   // policy 0x30000 -> byte 2 of the u64 at 0x08
  EXPECT_EQ(b[0x50], 1);      // report_data
  EXPECT_EQ(b[0x180], 2);     // reported_tcb.bootloader
  EXPECT_EQ(b[0x186], 5);     // reported_tcb.snp
  EXPECT_EQ(b[0x187], 0x44);  // reported_tcb.microcode
  EXPECT_EQ(b[0x188], 0x19);
  EXPECT_EQ(b[0x189], 0x01);
  EXPECT_EQ(b[0x1A0], 0x3A);  // chip_id
  EXPECT_EQ(b[0x1E8], 21);    // current build, minor, major
  EXPECT_EQ(b[0x1E9], 55);
  EXPECT_EQ(b[0x1EA], 1);
  EXPECT_EQ(b[0x2A0], 0xAA);
  EXPECT_EQ(b[0x2E8 + 71], 0xBB);
  EXPECT_EQ(AttestationReport::parse(b, "r"), r);
}

TEST(AttestationReport, RejectsWrongSizesAndVersionsNamingTheInput) {
  const Bytes good = milan_report().serialize();
  for (size_t n : {size_t(0), size_t(0x49F), size_t(0x4A1), size_t(0x1000)}) {
    Bytes b = good;
    b.resize(n);
    try {
      AttestationReport::parse(b, "my.bin");
      FAIL() << n;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("my.bin"), std::string::npos);
      EXPECT_NE(std::string(e.what()).find("1184"), std::string::npos);
    }
  }
  Bytes v1 = good;
  v1[0] = 1;
  EXPECT_THROW(AttestationReport::parse(v1, "v1.bin"), InputError);
  EXPECT_NO_THROW(AttestationReport::parse(good, "ok.bin"));
}

TEST(AttestationReport, TurinLayoutDetection) {
  AttestationReport r = milan_report();
  EXPECT_EQ(r.tcb_layout(), TcbLayout::MilanGenoa);
  std::fill(r.chip_id.begin() + 8, r.chip_id.end(), 0);  // v2 with an 8-byte chip id: Turin
  EXPECT_EQ(r.tcb_layout(), TcbLayout::Turin);
  r.version = 3;
  r.cpuid_fam_id = 0x19;  // v3: the CPUID family decides
  EXPECT_EQ(r.tcb_layout(), TcbLayout::MilanGenoa);
  r.cpuid_fam_id = 0x1A;
  EXPECT_EQ(r.tcb_layout(), TcbLayout::Turin);
}

TEST(ReportSignature, SignVerifyAndTamper) {
  Bytes b = milan_report().serialize();
  PkeyPtr key = vcek_key(7);
  sign_report(b, key.get());
  std::string why;
  EXPECT_TRUE(verify_report_signature(b, key.get(), &why)) << why;
  // Every signed byte matters; the reserved tail after S does not exist in the signed range.
  for (size_t off : {size_t(0), size_t(0x50), size_t(0x1A0), size_t(0x29F)}) {
    Bytes t = b;
    t[off] ^= 1;
    EXPECT_FALSE(verify_report_signature(t, key.get())) << off;
  }
  PkeyPtr other = vcek_key(8);
  EXPECT_FALSE(verify_report_signature(b, other.get(), &why));
  Bytes unsigned_report = milan_report().serialize();
  EXPECT_FALSE(verify_report_signature(unsigned_report, key.get(), &why));
  EXPECT_NE(why.find("zero"), std::string::npos);
  // The DER form holds the same R and S.
  const Bytes der = report_signature_der(b);
  EXPECT_EQ(der[0], 0x30);
}

TEST(ReportSignature, P384KeyFromSeedIsDeterministic) {
  PkeyPtr a = vcek_key(1), b = vcek_key(1), c = vcek_key(2);
  EXPECT_EQ(public_key_pem(a.get()), public_key_pem(b.get()));
  EXPECT_NE(public_key_pem(a.get()), public_key_pem(c.get()));
}

TEST(SimChain, ShapeMatchesAmdAndSaysNotAmd) {
  auto& c = shared();
  PkeyPtr key = vcek_key(3);
  const AttestationReport r = milan_report();
  const auto ext = vcek_extensions_for(c.milan, r.tcb(r.reported_tcb), r.chip_id);
  X509Ptr vcek = make_vcek_cert(key.get(), c.ask.get(), c.ask_key.get(), ext, c.milan);
  EXPECT_TRUE(cert_signed_by(c.ark.get(), c.ark.get()));
  EXPECT_TRUE(cert_signed_by(c.ask.get(), c.ark.get()));
  EXPECT_TRUE(cert_signed_by(vcek.get(), c.ask.get()));
  EXPECT_FALSE(cert_signed_by(vcek.get(), c.ark.get()));  // control
  for (const X509* cert : {c.ark.get(), c.ask.get(), vcek.get()}) {
    EXPECT_EQ(amd_signature_params_problem(cert), std::nullopt);
    EXPECT_NE(subject_line(cert).find("not AMD"), std::string::npos);
  }
  EXPECT_EQ(path_validation_problem(c.ark.get(), c.ask.get(), vcek.get()), std::nullopt);
  const auto back = read_vcek_extensions(vcek.get(), "vcek");
  EXPECT_EQ(back.tcb(), r.tcb(r.reported_tcb));
  ASSERT_TRUE(back.hwid.has_value());
  EXPECT_TRUE(std::equal(back.hwid->begin(), back.hwid->end(), r.chip_id.begin()));
  EXPECT_EQ(back.product_name, "Milan-B0");
  // PEM and DER load to the same certificate.
  const X509Ptr from_pem = parse_certificate(as_bytes(certificate_pem(vcek.get())), "p");
  const Bytes der = certificate_der(vcek.get());
  const X509Ptr from_der = parse_certificate(der, "d");
  EXPECT_EQ(certificate_der(from_pem.get()), der);
  EXPECT_EQ(certificate_der(from_der.get()), der);
}

TEST(SimChain, PathValidationCatchesAForeignArk) {
  auto& c = shared();
  // An ASK signed by a different ARK key: the same subject names, a different signature.
  PkeyPtr rogue_rsa = load_or_generate_rsa4096(key_path("rogue-ark.pem"));
  X509Ptr rogue_ark = make_ark_cert(rogue_rsa.get(), c.milan);
  PkeyPtr key = vcek_key(4);
  const AttestationReport r = milan_report();
  X509Ptr vcek =
      make_vcek_cert(key.get(), c.ask.get(), c.ask_key.get(),
                     vcek_extensions_for(c.milan, r.tcb(r.reported_tcb), r.chip_id), c.milan);
  EXPECT_FALSE(cert_signed_by(c.ask.get(), rogue_ark.get()));
  EXPECT_TRUE(path_validation_problem(rogue_ark.get(), c.ask.get(), vcek.get()).has_value());
  EXPECT_EQ(path_validation_problem(c.ark.get(), c.ask.get(), vcek.get()), std::nullopt);
}

TEST(VcekExtensions, MalformedValuesAreInputErrors) {
  auto& c = shared();
  X509Ptr cert(X509_new());
  X509_set_pubkey(cert.get(), X509_get0_pubkey(c.ask.get()));
  VcekExtensions e;
  e.product_name = "Milan-B0";
  add_vcek_extensions(cert.get(), e);
  EXPECT_NO_THROW(read_vcek_extensions(cert.get(), "ok"));
  // A hwID that is neither 64 raw bytes nor an OCTET STRING.
  VcekExtensions bad;
  bad.hwid = Bytes{0x30, 0x01};
  X509Ptr cert2(X509_new());
  add_vcek_extensions(cert2.get(), bad);
  EXPECT_THROW(read_vcek_extensions(cert2.get(), "bad.pem"), InputError);
}

TEST(Sample, TurinSampleUsesTurinTcbAndVerifies) {
  tools::report::SampleOptions opt;
  opt.seed = 5;
  opt.product = "turin";
  opt.key_cache = key_path("sample");  // RSA-4096 generation is slow: cached across runs
  const auto s = tools::report::make_sample(opt);
  const auto r = AttestationReport::parse(s.report, "turin");
  EXPECT_EQ(r.tcb_layout(), TcbLayout::Turin);
  EXPECT_TRUE(r.tcb(r.reported_tcb).fmc.has_value());
  EXPECT_TRUE(verify_report_signature(s.report, X509_get0_pubkey(s.vcek.get())));
  const auto ext = read_vcek_extensions(s.vcek.get(), "vcek");
  EXPECT_EQ(ext.fmc_spl, r.tcb(r.reported_tcb).fmc);
  EXPECT_NE(tools::report::display_report(r).find("FMC:         1"), std::string::npos);
}

}  // namespace
}  // namespace cbit::psp

namespace cbit::psp {
namespace {

// snpguest#32 / go-sev-guest#72: the VCEK follows REPORTED_TCB. A VCEK fetched for another TCB
// (e.g. CURRENT_TCB after a firmware update) is another key and does not verify the report.
TEST(SimulatedChip, VcekIsVersionedByTcb) {
  auto& c = shared();
  std::array<uint8_t, 64> chip_id{};
  chip_id.fill(0x5A);
  std::array<uint8_t, 48> secret{};
  secret.fill(0x11);
  const SimulatedChip chip(c.milan, chip_id, secret, load_or_generate_rsa4096(key_path("ark.pem")),
                           load_or_generate_rsa4096(key_path("ask.pem")));
  const TcbVersion reported{
      .fmc = std::nullopt, .bootloader = 3, .tee = 0, .snp = 8, .microcode = 115};
  TcbVersion newer = reported;
  newer.snp = 9;
  EXPECT_EQ(public_key_pem(chip.vcek_key(reported).get()),
            public_key_pem(chip.vcek_key(reported).get()));
  EXPECT_NE(public_key_pem(chip.vcek_key(reported).get()),
            public_key_pem(chip.vcek_key(newer).get()));

  AttestationReport r = milan_report();
  r.chip_id = chip_id;
  r.reported_tcb = reported.encode(TcbLayout::MilanGenoa);
  Bytes b = r.serialize();
  sign_report(b, chip.vcek_key(reported).get());
  const X509Ptr right = chip.vcek_cert(reported);
  const X509Ptr wrong = chip.vcek_cert(newer);
  EXPECT_TRUE(verify_report_signature(b, X509_get0_pubkey(right.get())));
  EXPECT_FALSE(verify_report_signature(b, X509_get0_pubkey(wrong.get())));
  EXPECT_TRUE(cert_signed_by(right.get(), chip.ask()));
  EXPECT_EQ(read_vcek_extensions(right.get(), "v").tcb(), reported);
  EXPECT_EQ(read_vcek_extensions(wrong.get(), "v").tcb(), newer);
}

}  // namespace
}  // namespace cbit::psp

namespace cbit::psp {
namespace {

// The labels and layout of snpguest's `display report` (virtee/sev AttestationReport Display).
TEST(ReportDisplay, SnpguestLayout) {
  AttestationReport r = milan_report();
  r.current_major = 1;
  r.current_minor = 49;
  r.current_build = 3;
  const std::string s = tools::report::display_report(r);
  for (const char* line :
       {"Attestation Report:\n\nVersion:                      2\n",
        "Guest Policy (0x30000):\n  ABI Major:     0\n", "  SMT Allowed:   true\n",
        "Current TCB:\n\nTCB Version:\n  Microcode:   68\n  SNP:         5\n  TEE:         0\n"
        "  Boot Loader: 2\n  FMC:         None\n",
        "Report Data:\n01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n",
        "CPUID Family ID:              None\n", "Current Version:              1.49.3\n",
        "Key Information:\n    author key enabled: false\n", "    signing key:        vcek\n",
        "Signature:\n  R:\n00 00", "cbit: TCB byte order Milan/Genoa"}) {
    EXPECT_NE(s.find(line), std::string::npos) << line;
  }
  // Hex: 16 bytes a line, upper case.
  EXPECT_NE(s.find("Chip ID:\n3A 3B 3C 3D 3E 3F 40 41 42 43 44 45 46 47 48 49\n4A"),
            std::string::npos);
}

}  // namespace
}  // namespace cbit::psp
