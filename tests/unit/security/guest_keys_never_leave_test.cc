// Guest keys never leave the Secure Processor and the memory controller's key slots: after the
// seed-004 runs of examples/scenarios/sev-guest.toml (launch, a guest kernel and a real x86-64
// program, the hypervisor's dump-guest-memory), no 8-byte piece of the guests' VEKs or of the host
// key is in the dump files, the transcript, the JSON or the run's trace (raw, hex, base64). The
// keys are re-derived from the seed and the Secure Processor's labels; the controls plant one
// into a copy of a dump and of the trace and find it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/file.h"
#include "crypto/drbg.h"
#include "demo/demo.h"
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "unit/security/key_search.h"
#include "unit/temp_dir.h"
#include "unit/trace_util.h"

namespace cbit::demo {
namespace {

constexpr uint64_t kSeed = 99;
constexpr uint64_t kMaxDump = uint64_t(1) << 30;

// The host key and the first VEK every seeded host draws (each run of the section builds a
// fresh host with the same seed, so each guest's VEK is this one; the SNP guest's VEK comes
// from the SNP firmware's own label).
std::vector<Bytes> rederived_keys() {
  crypto::Drbg sp(kSeed);
  Bytes host(32), vek(32), snp_vek(32);
  sp.generate(hw::psp::SecureProcessor::kHostKeyLabel, host);
  sp.generate(hw::psp::sev::SevFirmware::kVekLabel, vek);
  crypto::Drbg snp(kSeed);
  snp.generate(hw::psp::sev::SevFirmware::kSnpVekLabel, snp_vek);
  std::vector<Bytes> keys{host, vek, snp_vek};
  for (int i = 0; i < 4; ++i) {  // VMPCK0-3 (in the secrets page, guest-private memory)
    Bytes vmpck(32);
    snp.generate(hw::psp::sev::SevFirmware::kSnpVmpckLabel, vmpck);
    keys.push_back(vmpck);
  }
  return keys;
}

uint64_t pieces_found(ByteSpan hay, const std::vector<Bytes>& keys) {
  uint64_t n = 0;
  for (const auto& k : keys)
    for (size_t off = 0; off + 8 <= k.size(); off += 8)
      n += count_occurrences(hay, ByteSpan(k.data() + off, 8));
  return n;
}

TEST(GuestKeysNeverLeave, NotInDumpsTranscriptOrJson) {
  const testutil::UniqueTempDir tmp("cbit-guest-keys");
  const auto& dir = tmp.path();
  DemoOptions opt;
  opt.cpu = "milan";
  opt.seed = kSeed;
  opt.workdir = dir.string();
  std::string trace_doc;
  Section s;
  {
    const testutil::Recording rec;
    s = run_section("sev-guest", opt);  // examples/scenarios/sev-guest.toml
    trace_doc = trace::document();
  }
  ASSERT_TRUE(s.ok());
  const auto keys = rederived_keys();
  std::vector<std::string> dumps;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".core") dumps.push_back(e.path().string());
  ASSERT_EQ(dumps.size(), 4u);  // off, SEV, SEV-ES, SEV-SNP
  for (const auto& d : dumps) EXPECT_EQ(pieces_found(read_file(d, kMaxDump), keys), 0u) << d;
  std::string text;
  for (const auto& l : s.lines) text += l + "\n";
  text += s.data.dump();
  EXPECT_EQ(
      pieces_found(ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()), keys), 0u);

  // The trace: the launches' commands, VMRUNs, #VCs and VMGEXITs, and no key in any spelling.
  const testutil::KeyNeedles needles(keys);
  EXPECT_NE(trace_doc.find("LAUNCH_UPDATE_VMSA"), std::string::npos);
  EXPECT_NE(trace_doc.find("SNP_LAUNCH_FINISH"), std::string::npos);
  EXPECT_EQ(needles.in(trace_doc), 0u);
  EXPECT_GE(needles.in(trace_doc + testutil::spelled(keys[1])), 3u);  // control

  // Control: the same search finds a key that is there.
  Bytes planted = read_file(dumps.front(), kMaxDump);
  std::copy(keys[1].begin(), keys[1].end(), planted.begin() + 4096);
  EXPECT_GE(pieces_found(planted, keys), 4u);
}

}  // namespace
}  // namespace cbit::demo
