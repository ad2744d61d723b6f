// SNP guest keys never leave the Secure Processor and the key slots: after QEMU's SNP launch of
// Debian's OVMF (KVM, the ccp driver, the simulated SNP firmware), no 8-byte piece of the guest's
// VEK, VMPCK0-3 or VMRK is in DRAM as stored, in DRAM as the host key reads it, in the
// hypervisor's dump-guest-memory, in the kernel's and the ccp driver's logs (raw or as hex), or in
// the trace of the launch (raw, hex or base64).
// The VMPCKs do belong in guest memory, in the secrets page: there they are encrypted with the
// guest's VEK, and only the guest's key reads them.
//
// The keys are re-derived from the machine's seed and the SNP firmware's RNG labels
// (SevFirmware::kSnp*Label). Controls: the same scan finds the VMPCKs in the secrets page read
// with the guest's key (so the re-derived VMPCKs are the firmware's), the re-derived VEK
// decrypts the secrets page's DRAM bytes (so it is the key in the slot), and a VMRK planted into
// a copy of the dump is found.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <unordered_set>

#include "crypto/drbg.h"
#include "hw/memctrl/aes_engine.h"
#include "psp/snp/secrets_page.h"
#include "sw/hv/dump.h"
#include "sw/hv/kvm_sev_snp.h"
#include "sw/hv/snp_launch.h"
#include "unit/security/key_search.h"
#include "unit/sw/hv_sev_rig.h"
#include "unit/temp_dir.h"
#include "unit/trace_util.h"

namespace cbit::sw::hv::test {
namespace {

using hw::psp::sev::SevFirmware;
namespace digest = psp::digest;

constexpr uint64_t kSeed = 31;

struct SnpKeys {
  Bytes vek;  // data key, tweak key
  std::array<Bytes, 4> vmpck;
  Bytes vmrk;
  std::vector<const Bytes*> all() const {
    return {&vek, &vmpck[0], &vmpck[1], &vmpck[2], &vmpck[3], &vmrk};
  }
};

// The first guest's keys: one GCTX_CREATE (VEK), one LAUNCH_START (VMPCK0-3, VMRK).
SnpKeys rederive() {
  crypto::Drbg sp(kSeed);
  SnpKeys k;
  k.vek.resize(32);
  sp.generate(SevFirmware::kSnpVekLabel, k.vek);
  for (auto& v : k.vmpck) {
    v.resize(32);
    sp.generate(SevFirmware::kSnpVmpckLabel, v);
  }
  k.vmrk.resize(32);
  sp.generate(SevFirmware::kSnpVmrkLabel, k.vmrk);
  return k;
}

// Every 8-byte piece of the keys, and their hex spellings (a log would print hex).
struct Needles {
  std::unordered_set<uint64_t> pieces;
  std::vector<std::string> hex;
  explicit Needles(const std::vector<const Bytes*>& keys) {
    for (const Bytes* k : keys)
      for (size_t off = 0; off + 8 <= k->size(); off += 8) {
        pieces.insert(load_le<uint64_t>(k->data() + off));
        std::string h;
        for (size_t i = 0; i < 8; ++i) h += fmt::format("{:02x}", (*k)[off + i]);
        hex.push_back(h);
      }
  }
  // Occurrences of any piece at any byte offset.
  size_t in(ByteSpan hay) const {
    size_t n = 0;
    for (size_t i = 0; i + 8 <= hay.size(); ++i)
      n += pieces.count(load_le<uint64_t>(hay.data() + i));
    return n;
  }
  size_t in_text(const std::string& text) const {
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t n = in(ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    for (const auto& h : hex)
      for (size_t p = lower.find(h); p != std::string::npos; p = lower.find(h, p + 1)) ++n;
    return n;
  }
};

struct Launched {
  Launched() {
    const testutil::Recording rec;  // what `cbit launch --mode snp --trace` records
    hw::MachineConfig cfg;
    cfg.cpu = hw::cpu_model_by_name("genoa");
    cfg.dram_bytes = 128ull << 20;
    cfg.firmware.snp = true;
    cfg.seed = kSeed;
    m = std::make_unique<hw::Machine>(cfg);
    k = std::make_unique<host::HostKernel>(*m, host::KernelConfig{});
    k->boot();
    dev = std::make_unique<host::SevDev>(*k, *m);
    kvm = std::make_unique<KvmSev>(*dev);
    image = ovmf_image();
    ovmf = std::make_unique<digest::Ovmf>(image, nullptr, "OVMF.fd");
    digest::LaunchConfig c;
    c.mode = digest::SevMode::Snp;
    c.vcpus = 2;
    c.vcpu_sig = *digest::vcpu_sig_by_name("EPYC-v4");
    plan = digest::plan_launch(*ovmf, c);
    launch = std::make_unique<SnpGuestLaunch>(*kvm, SnpGuestConfig{}, plan, image,
                                              GuestPhysAddr(ovmf->gpa()), "OVMF.fd");
    launch->launch();
    for (unsigned c2 = 0; c2 < m->cores(); ++c2) m->core_cache_control(c2).wbinvd();
    for (const auto& s : plan.steps)
      if (s.page_type == digest::PageType::Secrets) secrets_gpa = s.gpa;
    trace_doc = trace::document();
  }
  std::string trace_doc;
  std::unique_ptr<hw::Machine> m;
  std::unique_ptr<host::HostKernel> k;
  std::unique_ptr<host::SevDev> dev;
  std::unique_ptr<KvmSev> kvm;
  Bytes image;
  std::unique_ptr<digest::Ovmf> ovmf;
  digest::LaunchPlan plan;
  std::unique_ptr<SnpGuestLaunch> launch;
  std::optional<uint64_t> secrets_gpa;

  SysPhysAddr secrets_spa() {
    const auto spa = launch->memory().gpa_to_spa(GuestPhysAddr(*secrets_gpa));
    EXPECT_TRUE(spa);
    return spa ? *spa : SysPhysAddr(0);
  }
  std::string logs() const {
    std::string t;
    for (const auto& l : k->dmesg()) t += l + "\n";
    for (const auto& l : dev->log()) t += l + "\n";
    return t;
  }
};

TEST(SnpKeysNeverLeave, NotInDramHostViewDumpOrLogs) {
  if (!std::filesystem::exists(kOvmf)) GTEST_FAIL() << kOvmf << " is missing";
  Launched l;
  ASSERT_TRUE(l.secrets_gpa) << "OVMF's SNP metadata has a secrets page";
  const SnpKeys keys = rederive();
  const Needles n(keys.all());
  // DRAM as stored, and as the host key reads it, page by page.
  size_t raw_hits = 0, host_hits = 0, pages = 0;
  Bytes host(kPageSize);
  l.m->dram().for_each_touched([&](Pfn pfn, const uint8_t* p) {
    ++pages;
    raw_hits += n.in(ByteSpan(p, kPageSize));
    l.m->cache().read(pfn.addr(), host, hw::MemAttr::host_encrypted());
    host_hits += n.in(host);
  });
  EXPECT_GT(pages, 1000u);  // the launch really wrote memory
  EXPECT_EQ(raw_hits, 0u);
  EXPECT_EQ(host_hits, 0u);
  // The hypervisor's dump-guest-memory.
  const testutil::UniqueTempDir tmp("cbit-snp-keys");
  const std::string core = (tmp.path() / "snp.core").string();
  dump_guest_memory(l.launch->memory(), core);
  const Bytes dump = read_file(core, 1ull << 30);
  EXPECT_GT(dump.size(), 16ull << 20);
  EXPECT_EQ(n.in(dump), 0u);
  // The kernel's and the ccp driver's logs.
  const std::string logs = l.logs();
  EXPECT_FALSE(logs.empty());
  EXPECT_EQ(n.in_text(logs), 0u);
  // The trace of the launch.
  std::vector<Bytes> all;
  for (const Bytes* k : keys.all()) all.push_back(*k);
  const testutil::KeyNeedles needles(all);
  EXPECT_NE(l.trace_doc.find("SNP_LAUNCH_UPDATE"), std::string::npos);
  EXPECT_EQ(needles.in(l.trace_doc), 0u);
  EXPECT_EQ(n.in_text(l.trace_doc), 0u);
  EXPECT_GE(needles.in(l.trace_doc + testutil::spelled(keys.vmrk)), 3u);  // control
}

TEST(SnpKeysNeverLeave, ControlTheScanFindsKeysWhereTheyAre) {
  if (!std::filesystem::exists(kOvmf)) GTEST_FAIL() << kOvmf << " is missing";
  Launched l;
  ASSERT_TRUE(l.secrets_gpa);
  const SnpKeys keys = rederive();
  const Needles n(keys.all());
  // The secrets page through the guest's key: VMPCK0-3 at their offsets, all four pieces each.
  const SysPhysAddr spa = l.secrets_spa();
  Bytes guest(kPageSize);
  l.m->cache().read(spa, guest, hw::MemAttr{true, Asid(l.launch->vm().asid())});
  EXPECT_EQ(n.in(guest), 16u);
  for (unsigned i = 0; i < 4; ++i) {
    const ByteSpan v = psp::snp::vmpck(guest, i);
    EXPECT_TRUE(std::equal(v.begin(), v.end(), keys.vmpck[i].begin())) << "VMPCK" << i;
  }
  // The re-derived VEK is the slot's key: it turns the page's DRAM bytes into the guest's view.
  Bytes raw(kPageSize), plain(kPageSize);
  l.m->dram().read(spa, raw);
  const ByteSpan vek(keys.vek);
  hw::AesEngine eng(l.m->cpu_model().cipher,
                    hw::KeyMaterial(hw::KeyLength::Aes128, vek.first(16), vek.subspan(16)));
  eng.decrypt(spa, raw, plain);
  EXPECT_EQ(plain, guest);
  // A VMRK planted into a copy of the dump is found, as bytes and as hex in a log line.
  const testutil::UniqueTempDir tmp("cbit-snp-keys");
  const std::string core = (tmp.path() / "snp.core").string();
  dump_guest_memory(l.launch->memory(), core);
  Bytes dump = read_file(core, 1ull << 30);
  std::copy(keys.vmrk.begin(), keys.vmrk.end(), dump.begin() + 5000);
  EXPECT_EQ(n.in(dump), 4u);
  std::string hex;
  for (uint8_t b : keys.vmrk) hex += fmt::format("{:02X}", b);
  EXPECT_GE(n.in_text(l.logs() + "vmrk=" + hex + "\n"), 4u);
}

}  // namespace
}  // namespace cbit::sw::hv::test
