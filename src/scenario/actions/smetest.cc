// Seed 004's smetest kernel module as two actions, on a host a `host-boot` step booted:
//   smetest-insmod  insmod smetest.ko: a page of the direct map (encrypted under SME) holds
//                   SECRET_DATA ("my secret"); the module logs "secret is my secret"
//   smetest-ioctl   ioctl(f, cmd) on /dev/smetest: cmd 0 reads the page with the C-bit (the
//                   secret), cmd 1 calls set_memory_decrypted() first, so the same bytes are
//                   read without the memory controller's AES engine (the ciphertext in DRAM),
//                   then set_memory_encrypted() restores the mapping. It logs
//                   "Secret data is: %s" of what it read, as printk shows signed chars.
// As smetest.c, the ioctl refuses with -ENXIO when !mem_encrypt_active() (mem_encrypt=off, or
// a part without SME: CPUID Fn8000_001F EAX[0], docs/SPEC-FACTS.md), and with -EINVAL for any
// other cmd. These are the module's return values, not input errors.
#include <fmt/format.h>

#include <memory>

#include "common/bytes.h"
#include "common/error.h"
#include "scenario/action.h"
#include "scenario/objects.h"
#include "scenario/run.h"
#include "sw/host/kernel.h"

namespace cbit::scenario {

namespace {

constexpr int kEnxio = 6;    // ENXIO
constexpr int kEinval = 22;  // EINVAL

struct SmetestModule {
  sw::host::HostKernel* k = nullptr;
  VirtAddr page;
  std::string secret;  // SECRET_DATA, written with its terminating NUL
};

// How printk("%s") shows a buffer of signed chars in the seed's transcript.
std::string printk_string(ByteSpan buf) {
  std::string out;
  for (uint8_t b : buf) {
    if (b == 0) break;
    if (b >= 0x80)
      out += fmt::format("\\xffffff{:02x}", b);
    else if (b < 0x20 || b == 0x7f)
      out += fmt::format("\\x{:x}", b);
    else
      out += static_cast<char>(b);
  }
  return out;
}

void check_insmod(const Args& a) {
  const std::string secret = a.str("secret", "my secret");
  if (secret.empty() || secret.size() >= kPageSize || secret.find('\0') != std::string::npos)
    throw InputError(a.where("secret") + ": must be 1 to 4095 bytes without a NUL");
}

nlohmann::json insmod(const Args& a, Run& run) {
  check_insmod(a);
  auto& k = *host_arg(a, run).kernel;
  auto mod = std::make_shared<SmetestModule>();
  mod->k = &k;
  mod->secret = a.str("secret", "my secret");
  const auto page = k.alloc_pages(0);
  if (!page) throw InputError(a.where("host") + ": the host is out of memory");
  mod->page = *page;
  const ByteSpan s = as_bytes(mod->secret);
  Bytes with_nul(s.begin(), s.end());
  with_nul.push_back(0);
  k.memcpy_to(mod->page, with_nul);
  k.pr_info("secret is " + printk_string(with_nul));
  const uint64_t pa = k.__pa(mod->page).value;
  run.say(line_tag(run) + "$ insmod smetest.ko");
  run.say(fmt::format("    dmesg: secret is {}   (page at physical {:#x})", printk_string(with_nul),
                      pa));
  run.keep(std::move(mod));
  return {{"page", pa}, {"secret", printk_string(with_nul)}};
}

nlohmann::json ioctl(const Args& a, Run& run) {
  SmetestModule* mod = nullptr;
  if (a.has("module"))
    mod = &run.get<SmetestModule>(a, "module", "the smetest module (do = \"smetest-insmod\")");
  else if (!(mod = run.latest<SmetestModule>()))
    throw InputError(a.where("module") + ": no earlier step loaded smetest (smetest-insmod)");
  auto& k = *mod->k;
  const uint64_t cmd = a.u64("cmd");
  nlohmann::json r{
      {"cmd", cmd}, {"read", ""}, {"hex", ""}, {"reads_secret", false}, {"same_as_dram", false}};
  const auto refuse = [&](int ret, const char* name) {
    run.say(fmt::format("{}$ ./a.out   # ioctl(f, {}) = {} ({})", line_tag(run), cmd, ret, name));
    r["ret"] = ret;
    return r;
  };
  if (!k.cc_platform_has(sw::CcAttr::MemEncrypt)) return refuse(-kEnxio, "-ENXIO");
  if (cmd > 1) return refuse(-kEinval, "-EINVAL");
  int ret = 0;
  if (cmd == 1) ret = k.set_memory_decrypted(mod->page, 1);
  if (ret) return refuse(ret, "set_memory_decrypted failed");
  Bytes buf(mod->secret.size() + 1);
  k.memcpy_from(mod->page, buf);
  if (cmd == 1) {
    ret = k.set_memory_encrypted(mod->page, 1);  // re-encrypt memory
    buf.back() = 0;                              // make sure the string is terminated
  }
  const std::string seen = printk_string(buf);
  k.pr_info("Secret data is: " + seen);
  // What the DIMMs hold at the page, the caches written back first (a write-back changes
  // nothing software sees): equal to what cmd 1 read when the engine was bypassed.
  k.machine().cache().wbinvd();
  Bytes dram(mod->secret.size());
  k.machine().raw_view().read(k.__pa(mod->page), dram);
  run.say(fmt::format("{}$ ./a.out   # ioctl(f, {}){}", line_tag(run), cmd,
                      cmd == 1 ? ": set_memory_decrypted(), read, set_memory_encrypted()" : ""));
  run.say("    dmesg: Secret data is: " + seen);
  r["ret"] = ret;
  r["read"] = seen;
  r["hex"] = to_hex(ByteSpan(buf).first(mod->secret.size()));
  r["reads_secret"] = std::string(buf.begin(), buf.end() - 1) == mod->secret;
  r["same_as_dram"] = std::equal(dram.begin(), dram.end(), buf.begin());
  return r;
}

}  // namespace

void add_smetest_actions(std::vector<Action>& out) {
  out.push_back({"smetest-insmod",
                 "seed 004's smetest.ko: the module puts its secret into a page of the host's "
                 "direct map (encrypted under SME) and logs \"secret is ...\"",
                 {{"host",
                   KeyType::String,
                   false,
                   "the latest host",
                   "the host-boot step whose kernel loads the module",
                   {}},
                  {"secret",
                   KeyType::String,
                   false,
                   "my secret",
                   "SECRET_DATA, the string the module writes (1 to 4095 bytes)",
                   {}}},
                 insmod,
                 check_insmod});
  out.push_back(
      {"smetest-ioctl",
       "ioctl(f, cmd) on the smetest module: cmd 0 reads the page with the C-bit, cmd 1 after "
       "set_memory_decrypted() (the ciphertext), then set_memory_encrypted(); -ENXIO without "
       "SME",
       {{"module",
         KeyType::String,
         false,
         "the latest smetest-insmod",
         "the smetest-insmod step",
         {}},
        {"cmd",
         KeyType::Integer,
         true,
         "",
         "0: read with the C-bit; 1: read decrypted-mapped "
         "(any other: -EINVAL)",
         {}}},
       ioctl,
       {}});
}

}  // namespace cbit::scenario
