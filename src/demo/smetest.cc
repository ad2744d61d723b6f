// Seed 004's smetest kernel module on a simulated naples host:
//   insmod smetest.ko    -> a page holds "my secret" (written through the encrypted direct map)
//   ioctl(f, 0)          -> read with the C-bit set: "Secret data is: my secret"
//   ioctl(f, 1)          -> set_memory_decrypted(): the same bytes read without the engine are
//                           the ciphertext; then set_memory_encrypted() restores the mapping
// The control case boots with mem_encrypt=off: the module refuses (-ENXIO, as smetest.c does
// when !mem_encrypt_active()) and the secret sits in DRAM in the clear.
#include <fmt/format.h>

#include <cstring>

#include "attacks/cold_boot.h"
#include "demo/demo.h"
#include "sw/host/kernel.h"
#include "testbed/physical_access.h"

namespace cbit::demo {

namespace {

constexpr char SECRET_DATA[] = "my secret";
constexpr int kEnxio = 6;  // ENXIO

// How the seed's transcript shows printk("%s") of a buffer of signed chars.
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

struct Smetest {
  sw::host::HostKernel& k;
  VirtAddr secret;
  std::vector<std::string>& log;

  // smetest_ioctl(): cmd 0 reads with the C-bit, cmd 1 reads after set_memory_decrypted().
  int ioctl(unsigned cmd, Bytes* seen) {
    if (!k.cc_platform_has(sw::CcAttr::MemEncrypt)) return -kEnxio;  // !mem_encrypt_active()
    int ret = 0;
    switch (cmd) {
      case 1:
        ret = k.set_memory_decrypted(secret, 1);
        break;
      case 0:
        break;
      default:
        return -22;
    }
    if (ret) return ret;
    Bytes buf(sizeof SECRET_DATA);
    k.memcpy_from(secret, buf);
    if (cmd == 1) {
      ret = k.set_memory_encrypted(secret, 1);  // re-encrypt memory
      buf[std::strlen(SECRET_DATA)] = 0;        // make sure the string is terminated
    }
    log.push_back("  dmesg: Secret data is: " + printk_string(buf));
    *seen = buf;
    return ret;
  }
};

}  // namespace

Section run_smetest(const DemoOptions& opt) {
  Section s{"smetest", "smetest: reading a page with and without the C-bit (seed 004)", {}, {}, {}};
  const ByteSpan secret_bytes(reinterpret_cast<const uint8_t*>(SECRET_DATA), sizeof SECRET_DATA);

  // --- SME on ---
  hw::Machine m(machine_config(opt, 64ull << 20));
  sw::host::HostKernel k(m, {"mem_encrypt=on", false, 1ull << 20});
  k.boot();
  s.lines.push_back(fmt::format("host: {} with mem_encrypt=on, sme_me_mask={:#x}",
                                m.cpu_model().name, k.sme_me_mask()));
  for (const auto& l : k.dmesg())
    if (l.find("Memory Encryption") != std::string::npos)
      s.lines.push_back("  dmesg: " + l.substr(15));
  const VirtAddr secret = *k.alloc_pages(0);
  k.memcpy_to(secret, secret_bytes);
  s.lines.push_back("  dmesg: secret is " + std::string(SECRET_DATA) +
                    fmt::format("   (page at physical {:#x})", k.__pa(secret).value));
  Smetest mod{k, secret, s.lines};
  Bytes with_c, without_c, again;
  s.lines.push_back("$ ./a.out   # ioctl(f, 0) then ioctl(f, 1)");
  const int r0 = mod.ioctl(0, &with_c);
  const int r1 = mod.ioctl(1, &without_c);
  const int r2 = mod.ioctl(0, &again);
  s.lines.push_back("  (ioctl(f, 0) once more after re-encryption)");
  s.check("ioctl 0 (C-bit set) reads \"my secret\"",
          r0 == 0 && Bytes(secret_bytes.begin(), secret_bytes.end()) == with_c);
  s.check("ioctl 1 (after set_memory_decrypted) reads the ciphertext, not the secret",
          r1 == 0 && std::memcmp(without_c.data(), SECRET_DATA, std::strlen(SECRET_DATA)) != 0);
  // What ioctl 1 saw is exactly what the DRAM chips hold.
  Bytes dram(std::strlen(SECRET_DATA));
  m.raw_view().read(k.__pa(secret), dram);
  // A refused ioctl 1 leaves without_c empty: compare only what was read.
  s.check(
      "the bytes read without the C-bit equal the DRAM contents",
      without_c.size() >= dram.size() && std::equal(dram.begin(), dram.end(), without_c.begin()));
  s.check("after set_memory_encrypted() the secret reads back", r2 == 0 && again == with_c);
  m.cache().wbinvd();  // everything reaches the DIMMs before the attacker looks
  testbed::PhysicalAccess attacker(m, "evil-nic");
  auto boot_image = attacks::cold_boot(attacker.raw(), {SECRET_DATA});
  s.check("a cold-boot image holds \"my secret\" 0 times", boot_image.count(SECRET_DATA) == 0);
  s.lines.push_back(fmt::format("attacker: cold-boot image finds \"{}\" {} time(s)", SECRET_DATA,
                                boot_image.count(SECRET_DATA)));

  // --- control: mem_encrypt=off ---
  hw::Machine c(machine_config(opt, 64ull << 20));
  sw::host::HostKernel ck(c, {"mem_encrypt=off", false, 1ull << 20});
  ck.boot();
  const VirtAddr csecret = *ck.alloc_pages(0);
  ck.memcpy_to(csecret, secret_bytes);
  c.cache().wbinvd();
  std::vector<std::string> clog;
  Smetest cmod{ck, csecret, clog};
  Bytes dummy;
  const int cr = cmod.ioctl(0, &dummy);
  testbed::PhysicalAccess cattacker(c, "evil-nic");
  auto cimage = attacks::cold_boot(cattacker.raw(), {SECRET_DATA});
  s.lines.push_back(
      fmt::format("control, mem_encrypt=off: ioctl returns {} (-ENXIO); cold-boot "
                  "image finds \"{}\" {} time(s)",
                  cr, SECRET_DATA, cimage.count(SECRET_DATA)));
  s.check("control: without SME the module refuses with -ENXIO", cr == -kEnxio);
  s.check("control: without SME the cold-boot image holds the secret",
          cimage.count(SECRET_DATA) >= 1);

  s.data = {{"cpu", m.cpu_model().name},
            {"sme_me_mask", k.sme_me_mask()},
            {"with_cbit", to_hex(with_c)},
            {"without_cbit", to_hex(without_c)},
            {"after_reencrypt", to_hex(again)},
            {"cold_boot_hits", boot_image.count(SECRET_DATA)},
            {"control_ioctl", cr},
            {"control_cold_boot_hits", cimage.count(SECRET_DATA)}};
  return s;
}

}  // namespace cbit::demo
