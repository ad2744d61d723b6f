// Scenario actions for guest pages and the two views of them (seed 002; docs/scenarios.md
// "Guest memory"):
//   guest-page   the guest allocates a page, private (C-bit set in its page tables: the guest's
//                key) or shared with the hypervisor (set_memory_decrypted() and
//                KVM_HC_MAP_GPA_RANGE; under SEV-SNP the page-state change too), optionally
//                writing text into it;
//   guest-write, guest-read   the guest's accesses, through its own mapping of the page;
//   hv-write, hv-read         the hypervisor's (QEMU's view of guest RAM, sw/hv/vm_memory.h):
//                plaintext on a shared page; on a private one what the host key makes of the
//                guest's ciphertext, and what the guest reads back of a hypervisor's write is
//                garbage. An SNP guest's private page is not mapped into the host at all
//                (guest_memfd): hv-write is refused, hv-read gives zeros.
#include <fmt/format.h>

#include "common/error.h"
#include "scenario/actions/guest_world.h"
#include "scenario/run.h"

namespace cbit::scenario {

namespace {

GuestPage& page_of(const Args& a, Run& run) {
  return run.get<GuestPage>(a, "page", "a guest page");
}

// [gpa + at, + len) inside the page.
GuestPhysAddr at_of(const Args& a, const GuestPage& p, uint64_t len) {
  const uint64_t at = a.u64("at", 0);
  if (at >= kPageSize || len > kPageSize - at)
    throw InputError(
        fmt::format("{}: {} bytes at offset {} do not fit in one page", a.where("at"), len, at));
  return GuestPhysAddr(p.gpa.value + at);
}

uint64_t length_of(const Args& a) {
  const uint64_t n = a.u64("length");
  if (n == 0 || n > kPageSize) throw InputError(a.where("length") + ": from 1 to 4096 bytes");
  return n;
}

const char* kind(const GuestPage& p) { return p.shared ? "shared" : "private"; }

nlohmann::json guest_page(const Args& a, Run& run) {
  auto& g = guest_of(a, run);
  const bool shared = a.flag("shared", false);
  const std::string text = a.str("text");
  if (text.size() > kPageSize) throw InputError(a.where("text") + ": more than a page");
  GuestPhysAddr gpa{};
  g.run([&](sw::guest::GuestKernel& k) {
    if (shared) {
      gpa = k.share_page();  // set_memory_decrypted + KVM_HC_MAP_GPA_RANGE
      if (!text.empty()) k.write_shared(gpa, as_bytes(text));
    } else {
      const auto p = k.alloc_pages(0);
      if (!p) return;
      if (!text.empty()) k.memcpy_to(*p, as_bytes(text));
      gpa = k.__pa(*p);
    }
  });
  if (!shared && gpa.value == 0)
    throw InputError(a.where("guest") + ": the guest is out of memory");
  auto& p = run.keep(std::make_shared<GuestPage>(GuestPage{&g, gpa, shared}));
  const bool kvm_knows = g.vm().shared_gfns().count(gpa.value >> kPageShift) > 0;
  run.say(shared ? fmt::format("guest: shared page at GPA {:#x} (told KVM with "
                               "KVM_HC_MAP_GPA_RANGE: {})",
                               gpa.value, kvm_knows ? "KVM knows it" : "KVM does NOT know it")
                 : fmt::format("guest: private page at GPA {:#x}", gpa.value));
  if (!text.empty()) run.say(fmt::format("guest writes \"{}\" into its {} page", text, kind(p)));
  return {{"gpa", gpa.value}, {"shared", shared}, {"kvm_knows", kvm_knows}};
}

nlohmann::json guest_write(const Args& a, Run& run) {
  auto& p = page_of(a, run);
  const std::string text = a.str("text");
  const GuestPhysAddr at = at_of(a, p, text.size());
  p.guest->run([&](sw::guest::GuestKernel& k) {
    if (p.shared)
      k.write_shared(at, as_bytes(text));
    else
      k.memcpy_to(k.__va(at), as_bytes(text));
  });
  run.say(fmt::format("guest writes \"{}\" into its {} page (GPA {:#x})", text, kind(p), at.value));
  return {{"gpa", at.value}, {"bytes", text.size()}};
}

nlohmann::json guest_read(const Args& a, Run& run) {
  auto& p = page_of(a, run);
  const uint64_t n = length_of(a);
  const GuestPhysAddr at = at_of(a, p, n);
  Bytes got(n);
  p.guest->run([&](sw::guest::GuestKernel& k) {
    if (p.shared)
      got = k.read_shared(at, n);
    else
      k.memcpy_from(k.__va(at), got);
  });
  const std::string text = printable(got);
  run.say(fmt::format("guest reads from its {} page: {}", kind(p), text));
  return {{"text", text}, {"hex", to_hex(got)}};
}

nlohmann::json hv_write(const Args& a, Run& run) {
  auto& p = page_of(a, run);
  const std::string text = a.str("text");
  const GuestPhysAddr at = at_of(a, p, text.size());
  try {
    p.guest->vm().memory().write(at, as_bytes(text));
  } catch (const InputError& e) {  // an SNP guest's private page: guest_memfd, not mapped
    run.say(fmt::format("hypervisor cannot write into the {} page: {}", kind(p), e.what()));
    return {{"written", false}, {"refused", e.what()}};
  }
  run.say(fmt::format("hypervisor writes \"{}\" into the {} page (GPA {:#x})", text, kind(p),
                      at.value));
  return {{"written", true}, {"refused", ""}};
}

nlohmann::json hv_read(const Args& a, Run& run) {
  auto& p = page_of(a, run);
  const uint64_t n = length_of(a);
  const GuestPhysAddr at = at_of(a, p, n);
  Bytes got(n);
  p.guest->vm().memory().read(at, got);
  const std::string text = printable(got);
  run.say(fmt::format("hypervisor reads from the {} page: {}", kind(p), text));
  return {{"text", text}, {"hex", to_hex(got)}};
}

}  // namespace

void add_guest_memory_actions(std::vector<Action>& out) {
  using K = KeyType;
  const Key page{"page", K::String, true, "", "the guest-page step"};
  const Key at{"at", K::Integer, false, "0", "the byte offset in the page"};
  const Key length{"length", K::Integer, true, "", "bytes to read (1 to 4096, within the page)"};
  out.push_back(
      {"guest-page",
       "The guest allocates a page, private or shared with the hypervisor, and may write text "
       "into it",
       {{"guest", K::String, false, "the latest guest", "the guest step"},
        {"shared", K::Bool, false, "false",
         "share it: set_memory_decrypted() and KVM_HC_MAP_GPA_RANGE"},
        {"text", K::String, false, "", "what the guest writes at the page's start"}},
       guest_page});
  out.push_back({"guest-write",
                 "The guest writes text into one of its pages",
                 {page, at, {"text", K::String, true, "", "the bytes (UTF-8)"}},
                 guest_write});
  out.push_back({"guest-read",
                 "The guest reads from one of its pages (result: text, '.' for non-printing)",
                 {page, at, length},
                 guest_read});
  out.push_back({"hv-write",
                 "The hypervisor writes text into a guest page through its own mapping",
                 {page, at, {"text", K::String, true, "", "the bytes (UTF-8)"}},
                 hv_write});
  out.push_back({"hv-read",
                 "The hypervisor reads a guest page through its own mapping",
                 {page, at, length},
                 hv_read});
}

}  // namespace cbit::scenario
