// "Keys never leave the Secure Processor and the memory controller's key slots." A seeded run
// lets the test re-derive the host key bytes exactly as the Secure Processor draws them (same
// generator, same label); then it looks for them everywhere an attacker or a user could look:
// DRAM, the NVDIMM file, a cold-boot image file, the kernel log, the demo's JSON and transcript,
// the memory map, and the trace of every demo section (--trace: raw, hex and base64). The
// controls write the key into DRAM, and into a copy of the trace, on purpose and must find it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "attacks/cold_boot.h"
#include "common/file.h"
#include "crypto/drbg.h"
#include "demo/demo.h"
#include "demo/scenarios.h"
#include "hw/psp/secure_processor.h"
#include "tools/map/classify.h"
#include "tools/map/render_png.h"
#include "unit/security/key_search.h"
#include "unit/temp_dir.h"
#include "unit/trace_util.h"

namespace cbit {
namespace {

constexpr uint64_t kSeed = 77;
constexpr uint64_t kMaxImage = uint64_t(1) << 30;

// The host keys of the first `resets` resets: data key and tweak key, AES-128.
std::vector<Bytes> host_keys(uint64_t seed, int resets) {
  crypto::Drbg rng(seed);
  std::vector<Bytes> keys;
  for (int i = 0; i < resets; ++i) {
    Bytes both(32);
    rng.generate(hw::psp::SecureProcessor::kHostKeyLabel, both);
    keys.emplace_back(both.begin(), both.begin() + 16);
    keys.emplace_back(both.begin() + 16, both.end());
  }
  return keys;
}

// Any 8-byte window of any key, as bytes or as the hex that outputs print bytes in (smetest's
// `hex`, the demo's data): stricter than looking for whole keys.
size_t key_fragments_in(ByteSpan haystack, const std::vector<Bytes>& keys) {
  size_t n = 0;
  for (const auto& k : keys)
    for (size_t off = 0; off + 8 <= k.size(); off += 4) {
      const ByteSpan window(k.data() + off, 8);
      n += count_occurrences(haystack, window);
      n += count_occurrences(haystack, as_bytes(to_hex(window)));
    }
  return n;
}

// The key of a machine booted with this seed really is the re-derived one: encrypting a block
// with it (by hand, through OpenSSL via the AES engine) gives what the machine stores.
TEST(KeysNeverLeave, ReDerivedKeyIsTheMachinesKey) {
  hw::MachineConfig cfg;
  cfg.cpu = hw::cpu_model_by_name("rome");
  cfg.dram_bytes = 16ull << 20;
  cfg.seed = kSeed;
  hw::Machine m(cfg);
  const Bytes block(64, 0x42);
  m.memctrl().write(SysPhysAddr(0x10000), block,
                    m.memctrl().resolve(hw::MemAttr::host_encrypted()));
  const auto keys = host_keys(kSeed, 1);
  hw::KeyMaterial km(hw::KeyLength::Aes128, keys[0], keys[1]);
  hw::AesEngine eng(hw::CipherMode::Xex, km);
  Bytes expect(64);
  eng.encrypt(SysPhysAddr(0x10000), block, expect);
  Bytes stored(64);
  m.raw_view().read(SysPhysAddr(0x10000), stored);
  EXPECT_EQ(stored, expect);
}

TEST(KeysNeverLeave, NotInDramNvdimmImagesLogsOrOutputs) {
  const testutil::UniqueTempDir tmp("cbit-keyleak-test");
  const auto& dir = tmp.path();
  demo::DemoOptions opt;
  opt.seed = kSeed;
  opt.workdir = dir.string();
  // Every machine the demo builds draws its keys from the same seeded stream: several resets'
  // worth of keys are searched.
  const auto keys = host_keys(kSeed, 4);

  std::string outputs, trace_doc;
  {
    const testutil::Recording rec;  // what `cbit demo --trace` writes
    for (const auto& name : demo::section_names()) {
      const auto s = demo::run_section(name, opt);
      outputs += s.data.dump();
      for (const auto& l : s.lines) outputs += l;
    }
    trace_doc = trace::document();
  }
  EXPECT_EQ(key_fragments_in(as_bytes(outputs), keys), 0u);
  const testutil::KeyNeedles needles(keys);
  EXPECT_GT(trace_doc.size(), 100000u);  // the trace saw the runs
  EXPECT_EQ(needles.in(trace_doc), 0u);
  // Control: a key spelled raw, in hex and in base64 inside the trace is found each way.
  EXPECT_GE(needles.in(trace_doc + testutil::spelled(keys[0])), 3u);
  EXPECT_GE(needles.in(trace_doc + testutil::spelled(keys[0]).substr(17, 32)), 1u);  // hex alone
  for (const auto& f : std::filesystem::directory_iterator(dir))  // the NVDIMM files
    EXPECT_EQ(key_fragments_in(read_file(f.path().string(), kMaxImage), keys), 0u) << f.path();

  auto w = demo::build_scenario("sme-full", opt);
  std::string log;
  for (const auto& l : w.kernel->dmesg()) log += l;
  EXPECT_EQ(key_fragments_in(as_bytes(log), keys), 0u);
  const std::string image = (dir / "coldboot.img").string();
  attacks::write_cold_boot_image(w.machine->raw_view(), image);
  const Bytes img = read_file(image, kMaxImage);
  EXPECT_EQ(key_fragments_in(img, keys), 0u);
  const std::string png = (dir / "map.png").string();
  tools::map::render_png(tools::map::classify_machine(*w.machine, "t"), png);
  EXPECT_EQ(key_fragments_in(read_file(png, kMaxImage), keys), 0u);

  // Controls: the same search finds a key printed in hex, and a key that is put into DRAM.
  EXPECT_GE(key_fragments_in(as_bytes("hex: " + to_hex(keys[0])), keys), 1u);
  w.machine->dram().write(SysPhysAddr(0x200000), keys[0]);
  attacks::write_cold_boot_image(w.machine->raw_view(), image);
  EXPECT_GE(key_fragments_in(read_file(image, kMaxImage), keys), 1u);
}

}  // namespace
}  // namespace cbit
