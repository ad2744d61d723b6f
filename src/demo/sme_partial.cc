// Seed 000, "Partial Memory Encryption": the C-bit per page lets the OS encrypt only what it
// chooses. Here the host keeps eight "VM" pages encrypted and shares eight pages in the clear
// (set_memory_decrypted(), as Linux does for buffers it hands to devices). The attacker's
// cold-boot image shows exactly which pages are plaintext; the encrypted pages' secrets are not
// found. Control: the same with encryption off.
#include <fmt/format.h>

#include "attacks/cold_boot.h"
#include "demo/demo.h"
#include "sw/host/kernel.h"
#include "testbed/physical_access.h"
#include "tools/scan/page_classifier.h"

namespace cbit::demo {

namespace {

constexpr int kPages = 8;

struct PartialRun {
  std::vector<std::pair<SysPhysAddr, bool>> pages;  // (page, meant to be encrypted)
  size_t vm_hits = 0, shared_hits = 0;
  size_t pages_seen_plain = 0, pages_seen_cipher = 0;
  std::vector<std::string> table;
};

PartialRun run(const DemoOptions& opt, bool sme) {
  hw::Machine m(machine_config(opt, 64ull << 20));
  sw::host::HostKernel k(m, {sme ? "mem_encrypt=on" : "mem_encrypt=off", false, 1ull << 20});
  k.boot();
  PartialRun r;
  for (int i = 0; i < kPages; ++i) {
    // A page of VM memory: stays encrypted.
    const VirtAddr vm = *k.alloc_pages(0);
    std::string text;
    while (text.size() < kPageSize) text += fmt::format("VM-SECRET #{} customer record; ", i);
    k.memcpy_to(vm, as_bytes(std::string_view(text).substr(0, kPageSize)));
    r.pages.push_back({k.__pa(vm), true});
    // A shared page: decrypted first, then filled.
    const VirtAddr shared = *k.alloc_pages(0);
    k.set_memory_decrypted(shared, 1);
    std::string pub;
    while (pub.size() < kPageSize) pub += fmt::format("public data #{}, fine to leak; ", i);
    k.memcpy_to(shared, as_bytes(std::string_view(pub).substr(0, kPageSize)));
    r.pages.push_back({k.__pa(shared), false});
  }
  m.cache().wbinvd();
  testbed::PhysicalAccess attacker(m, "evil-nic");
  const auto cb = attacks::cold_boot(attacker.raw(), {"VM-SECRET", "public data"});
  r.vm_hits = cb.count("VM-SECRET");
  r.shared_hits = cb.count("public data");
  Bytes page(kPageSize);
  for (const auto& [pa, enc] : r.pages) {
    attacker.raw().read(pa, page);
    // The attacker's eye: `cbit scan`'s classifier (entropy and printable fraction).
    tools::scan::PageStats st;
    const bool plain = tools::scan::classify_page(page, &st) == tools::scan::PageClass::Plaintext;
    const double h = st.entropy;
    (plain ? r.pages_seen_plain : r.pages_seen_cipher)++;
    std::string peek;
    for (size_t i = 0; i < 24; ++i)
      peek += (page[i] >= 0x20 && page[i] < 0x7f) ? char(page[i]) : '.';
    r.table.push_back(fmt::format("    {:#010x}  {:<10}  entropy {:.2f} bits/byte  \"{}\"",
                                  pa.value, plain ? "PLAINTEXT" : "ciphertext", h, peek));
  }
  return r;
}

}  // namespace

Section run_sme_partial(const DemoOptions& opt) {
  Section s{"sme-partial",
            "Partial memory encryption: only chosen pages encrypted (seed 000)",
            {},
            {},
            {}};
  const PartialRun on = run(opt, true);
  const PartialRun off = run(opt, false);
  s.lines.push_back(fmt::format(
      "host with SME: {} VM pages encrypted, {} pages shared in the clear", kPages, kPages));
  s.lines.push_back(
      "  the attacker's cold-boot image, page by page (VM and shared pages alternate):");
  for (const auto& l : on.table) s.lines.push_back(l);
  s.lines.push_back(
      fmt::format("  cold boot finds \"VM-SECRET\" {} times and \"public data\" {} times",
                  on.vm_hits, on.shared_hits));
  s.lines.push_back(
      fmt::format("control, no encryption: \"VM-SECRET\" {} times, \"public data\" {} times; "
                  "{} of {} pages readable",
                  off.vm_hits, off.shared_hits, off.pages_seen_plain, off.pages.size()));
  s.check("SME partial: no VM secret in the cold-boot image", on.vm_hits == 0);
  s.check("SME partial: the shared pages are plaintext in the image", on.shared_hits > 0);
  s.check("SME partial: the attacker sees exactly the shared pages as plaintext",
          on.pages_seen_plain == static_cast<size_t>(kPages) &&
              on.pages_seen_cipher == static_cast<size_t>(kPages));
  s.check("control: without encryption every page is plaintext and the VM secrets are found",
          off.vm_hits > 0 && off.pages_seen_plain == off.pages.size());
  s.data = {{"vm_hits", on.vm_hits},
            {"shared_hits", on.shared_hits},
            {"pages_plaintext", on.pages_seen_plain},
            {"pages_ciphertext", on.pages_seen_cipher},
            {"control_vm_hits", off.vm_hits},
            {"control_pages_plaintext", off.pages_seen_plain}};
  return s;
}

}  // namespace cbit::demo
