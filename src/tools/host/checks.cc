#include "tools/host/checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

#include "tools/host/bits.h"
#include "tools/host/cpu_identity.h"

namespace cbit::tools::host {

namespace {

struct Outcome {
  Status status;
  std::string detail;
  std::string hint;
};
Outcome pass(std::string detail) { return {Status::Pass, std::move(detail), ""}; }
Outcome fail(std::string detail, std::string hint) {
  return {Status::Fail, std::move(detail), std::move(hint)};
}
Outcome skip(std::string why) { return {Status::Skip, "", std::move(why)}; }

struct Test {
  std::string name;
  std::function<Outcome()> run;
  std::vector<Test> sub;
};

void skip_tree(const std::vector<Test>& tests, int depth, const std::string& why,
               std::vector<CheckRow>& out) {
  for (const auto& t : tests) {
    out.push_back({t.name, Status::Skip, "", why, depth});
    skip_tree(t.sub, depth + 1, why, out);
  }
}

// sevctl's rule: a row's children run only when it passed.
void run_tree(const std::vector<Test>& tests, int depth, std::vector<CheckRow>& out) {
  for (const auto& t : tests) {
    const Outcome o = t.run();
    out.push_back({t.name, o.status, o.detail, o.hint, depth});
    if (o.status == Status::Pass)
      run_tree(t.sub, depth + 1, out);
    else
      skip_tree(t.sub, depth + 1,
                o.status == Status::Fail ? "needs a PASS of \"" + t.name + "\"" : o.hint, out);
  }
}

// What the kernel log says. Linux prints "Memory Encryption Features active: AMD SME" (older
// kernels "AMD Memory Encryption Features active: SME"), with SEV, SEV-ES, SEV-SNP in a guest.
struct KernelLog {
  bool readable = false;
  std::string why_unreadable;
  std::vector<std::string> lines;

  const std::string* find(std::string_view needle) const {
    for (const auto& l : lines)
      if (l.find(needle) != std::string::npos) return &l;
    return nullptr;
  }
  std::set<std::string> active_features() const {
    std::set<std::string> out;
    const std::string key = "Memory Encryption Features active:";
    for (const auto& l : lines) {
      const size_t at = l.find(key);
      if (at == std::string::npos) continue;
      std::istringstream words(l.substr(at + key.size()));
      for (std::string w; words >> w;) out.insert(w);
    }
    return out;
  }
};

std::string yn(bool b) { return b ? "1" : "0"; }

// CPUID Fn8000_001F, or zeros when it lies beyond the maximum extended leaf: there the
// registers mean nothing (AMD reads zero, Intel repeats its highest basic leaf).
CpuidRegs mem_encrypt_leaf(const HostSnapshot& s) {
  return s.leaf(0x80000000).eax >= 0x8000001F ? s.leaf(0x8000001F) : CpuidRegs{};
}

std::string param(const HostSnapshot& s, const std::string& name) {
  if (!s.kvm_amd) return "";
  auto it = s.kvm_amd->find(name);
  return it == s.kvm_amd->end() ? "" : it->second;
}
bool param_on(const std::string& v) { return v == "Y" || v == "1" || v == "y"; }

std::string leaf_note(const CpuIdentity& id, const CpuidRegs& f) {
  if (f.eax == 0 && f.ebx == 0 && f.ecx == 0 && f.edx == 0)
    return id.hypervisor ? " (the whole leaf reads zero: the hypervisor does not expose it)"
                         : " (the whole leaf reads zero)";
  return "";
}

// The kvm_amd parameter row: KVM can run this kind of guest.
Outcome kvm_param_row(const HostSnapshot& s, const char* p, const char* what) {
  if (!s.kvm_amd)
    return fail("kvm_amd is not loaded",
                fmt::format("modprobe kvm_amd {}=1 (and check `dmesg | grep -i sev`)", p));
  const std::string v = param(s, p);
  if (v.empty())
    return fail(fmt::format("kvm_amd has no '{}' parameter (kernel too old for {})", p, what),
                fmt::format("use a kernel whose kvm_amd supports {}", what));
  if (param_on(v)) return pass(fmt::format("/sys/module/kvm_amd/parameters/{} = {}", p, v));
  return fail(fmt::format("/sys/module/kvm_amd/parameters/{} = {}", p, v),
              fmt::format("reload with `modprobe -r kvm_amd; modprobe kvm_amd {}=1`; if it stays "
                          "N, `dmesg | grep -i -e sev -e ccp` says why (firmware, BIOS, ASIDs)",
                          p));
}

Outcome dev_row(const HostSnapshot& s, const char* path, bool write) {
  const NodeAccess a = s.device(path);
  const bool ok = write ? (a == NodeAccess::Write || a == NodeAccess::ReadWrite)
                        : (a == NodeAccess::Read || a == NodeAccess::ReadWrite);
  if (ok) return pass(fmt::format("{} {}", path, write ? "writable" : "readable"));
  if (a == NodeAccess::Absent)
    return fail(fmt::format("{} does not exist", path),
                std::string_view(path) == "/dev/kvm"
                    ? "modprobe kvm_amd (CONFIG_KVM_AMD); inside a virtual machine /dev/kvm "
                      "exists only if the hypervisor offers nested virtualization (SVM)"
                    : "load the ccp module (the PSP driver); it creates /dev/sev once the SEV "
                      "firmware initialises");
  return fail(fmt::format("{} not {}", path, write ? "writable" : "readable"),
              "run as root or grant access to the device node (e.g. a udev rule or group)");
}

// The tests capture locals by reference, so they run before this function returns.
void run_host_tests(const HostSnapshot& s, const CpuIdentity& id, const KernelLog& log,
                    std::vector<CheckRow>& out) {
  const CpuidRegs f = mem_encrypt_leaf(s);
  const uint32_t max_ext = s.leaf(0x80000000).eax;
  const auto& syscfg = s.syscfg;
  const auto features = log.active_features();
  const std::string* bios_off = log.find("memory encryption not enabled by BIOS");

  auto supported = [&, f](int b, const char* what) -> Outcome {
    if (bit(f.eax, b)) return pass(fmt::format("CPUID Fn8000_001F EAX[{}] = 1", b));
    if (max_ext < 0x8000001F)
      return fail(fmt::format("CPUID maximum extended leaf is 0x{:08x}: no Fn8000_001F", max_ext),
                  id.hypervisor ? "this is a virtual machine; run cbit host on the host"
                                : "this CPU has no memory-encryption leaf");
    return fail(
        fmt::format("CPUID Fn8000_001F EAX[{}] = 0{}", b, leaf_note(id, f)),
        id.hypervisor
            ? fmt::format("a virtual machine sees only what its hypervisor shows; run "
                          "cbit host on the bare-metal host to check {}",
                          what)
            : fmt::format("this CPU does not report {}; check the model supports it", what));
  };

  // MemEncryptionModEn (SYSCFG[23]) is set by the BIOS. Without a readable SYSCFG, Linux's
  // view stands in: it clears the sme/sev CPU flags when the bit is off (arch/x86 amd.c) and
  // the ccp driver logs "SEV: memory encryption not enabled by BIOS".
  auto enabled_by_firmware = [&](const char* flag, const char* what) -> Outcome {
    const std::string hint = fmt::format(
        "turn on SMEE (Secure Memory Encryption Enable, AMD CBS > CPU Common Options) in the "
        "BIOS setup{}; the OS cannot set SYSCFG[23] MemEncryptionModEn, only the BIOS can",
        std::string_view(what) == "SEV" ? ", and give SEV ASIDs (\"SEV ASID Count\")" : "");
    if (syscfg.value) {
      const bool on = bit(*syscfg.value, kSyscfgMemEncryptionModEn);
      const std::string d = fmt::format("SYSCFG[23] MemEncryptionModEn = {}", yn(on));
      return on ? pass(d) : fail(d, hint);
    }
    if (bios_off) return fail("kernel log: " + *bios_off, hint);
    if (s.cpu_flags) {
      if (s.has_flag(flag))
        return pass(
            fmt::format("SYSCFG unreadable ({}); Linux kept the '{}' CPU flag, which it "
                        "clears when SYSCFG[23] is 0",
                        syscfg.unreadable, flag));
      return fail(fmt::format("SYSCFG unreadable ({}); Linux cleared the '{}' CPU flag (it does "
                              "so when SYSCFG[23] MemEncryptionModEn is 0)",
                              syscfg.unreadable, flag),
                  hint);
    }
    return skip(
        fmt::format("cannot tell: SYSCFG unreadable ({}) and no CPU flags recorded; "
                    "modprobe msr and run as root",
                    syscfg.unreadable));
  };

  // SEV-ES and SNP need SEV enabled by the firmware first: without it their kernel rows are
  // SKIPped (the cause is the BIOS, reported once), not FAILed again.
  const Outcome sev_fw = enabled_by_firmware("sev", "SEV");
  auto needs_sev_fw = [&](std::function<Outcome()> row) {
    return [&, row]() -> Outcome {
      if (sev_fw.status != Status::Pass) return skip("needs a PASS of \"SEV enabled by firmware\"");
      return row();
    };
  };

  auto sme_active = [&]() -> Outcome {
    if (!log.readable) return skip("kernel log unreadable (" + log.why_unreadable + ")");
    if (features.count("SME"))
      return pass("kernel log: Memory Encryption Features active: ... SME");
    const bool off = s.cmdline.find("mem_encrypt=off") != std::string::npos;
    return fail(
        off ? "kernel command line has mem_encrypt=off"
            : "no \"Memory Encryption Features "
              "active: ... SME\" in the kernel log",
        "boot with mem_encrypt=on (kernel built with CONFIG_AMD_MEM_ENCRYPT); if the BIOS enables "
        "TSME instead, all memory is encrypted but Linux does not report it as SME");
  };

  auto snp_firmware = [&]() -> Outcome {
    if (sev_fw.status != Status::Pass) return skip("needs a PASS of \"SEV enabled by firmware\"");
    if (const std::string* l = log.find("RMP table physical range"))
      return pass("kernel log: " + *l);
    if (const std::string* l = log.find("has not been reserved by BIOS"))
      return fail("kernel log: " + *l,
                  "enable SEV-SNP in the BIOS (AMD CBS: \"SEV-SNP Support\", and \"SNP Memory "
                  "Coverage\"), which reserves the RMP table");
    if (s.has_flag("sev_snp"))
      return pass(
          "Linux kept the 'sev_snp' CPU flag (it clears it when the BIOS did not reserve "
          "the RMP table)");
    if (s.cpu_flags)
      return fail("Linux cleared the 'sev_snp' CPU flag and the kernel log has no RMP table line",
                  "enable SEV-SNP in the BIOS (AMD CBS: \"SEV-SNP Support\"), which reserves the "
                  "RMP table");
    return skip("cannot tell: no RMP table line in the kernel log and no CPU flags recorded");
  };

  auto snp_active = [&]() -> Outcome {
    Outcome o = kvm_param_row(s, "sev_snp", "SEV-SNP");
    if (syscfg.value)
      o.detail += fmt::format("; SYSCFG[24] SNP_EN = {}", yn(bit(*syscfg.value, kSyscfgSnpEn)));
    return o;
  };

  auto gen_gate = [&](bool can, const char* feature, int b, const char* what) {
    return [&, can, feature, b, what]() -> Outcome {
      if (!can) return skip(fmt::format("{} has no {}", generation_name(id.generation), feature));
      return supported(b, what);
    };
  };

  const unsigned cbit = f.ebx & 0x3F, reduction = (f.ebx >> 6) & 0x3F, vmpls = (f.ebx >> 12) & 0xF;

  Test sme{"Secure Memory Encryption (SME)",
           [=] { return supported(kFeatSme, "SME"); },
           {{"SME enabled by firmware",
             [=] { return enabled_by_firmware("sme", "SME"); },
             {{"SME active in the kernel", sme_active, {}}}}}};

  Test sev_es{"Encrypted State (SEV-ES)",
              gen_gate(id.can_sev_es(), "SEV-ES", kFeatSevEs, "SEV-ES"),
              {{"SEV-ES active in the kernel (KVM)",
                needs_sev_fw([&] { return kvm_param_row(s, "sev_es", "SEV-ES"); }),
                {}}}};

  Test vmpl{"VM Permission Levels",
            [=]() -> Outcome {
              if (!bit(f.eax, kFeatVmpl))
                return fail("CPUID Fn8000_001F EAX[5] = 0", "this part reports no VMPLs");
              std::string d = "CPUID Fn8000_001F EAX[5] = 1";
              if (syscfg.value)
                d += fmt::format("; SYSCFG[25] SNP_VMPL_EN = {}",
                                 yn(bit(*syscfg.value, kSyscfgSnpVmplEn)));
              return pass(d);
            },
            {{"Number of VMPLs", [=] { return pass(std::to_string(vmpls)); }, {}}}};

  Test snp{"Secure Nested Paging (SEV-SNP)",
           gen_gate(id.can_snp(), "SEV-SNP", kFeatSnp, "SEV-SNP"),
           {{"SEV-SNP enabled by firmware (RMP table reserved)",
             snp_firmware,
             {{"SEV-SNP active in the kernel (KVM)", snp_active, {}}}},
            vmpl}};

  Test sev{"Secure Encrypted Virtualization (SEV)",
           [=] { return supported(kFeatSev, "SEV"); },
           {{"SEV enabled by firmware",
             [=] { return sev_fw; },
             {{"SEV active in the kernel (KVM)",
               [=] { return kvm_param_row(s, "sev", "SEV"); },
               {{"Reading /dev/sev", [=] { return dev_row(s, "/dev/sev", false); }, {}},
                {"Writing /dev/sev", [=] { return dev_row(s, "/dev/sev", true); }, {}}}}}},
            sev_es,
            snp,
            {"C-bit location", [=] { return pass(std::to_string(cbit)); }, {}},
            {"Physical address bit reduction", [=] { return pass(std::to_string(reduction)); }, {}},
            {"Number of encrypted guests supported simultaneously",
             [=] { return pass(std::to_string(f.ecx)); },
             {}},
            {"Minimum ASID value for SEV-enabled, SEV-ES disabled guest",
             [=] { return pass(std::to_string(f.edx)); },
             {}}}};

  Test cpu{"AMD CPU",
           [=]() -> Outcome {
             std::string d = fmt::format("{} (family 0x{:x}, model 0x{:x}, stepping {}: {})",
                                         id.brand.empty() ? id.vendor : id.brand, id.family,
                                         id.model, id.stepping, generation_name(id.generation));
             if (!id.is_amd())
               return fail(fmt::format("vendor {}: {}", id.vendor, id.describe()),
                           "SME/SEV are AMD features; this CPU is not an AMD processor");
             return pass(d);
           },
           {{"Bare metal (not a virtual machine)",
             [=]() -> Outcome {
               if (!id.hypervisor) return pass("CPUID Fn0000_0001 ECX[31] (hypervisor) = 0");
               return fail(
                   "CPUID Fn0000_0001 ECX[31] = 1: running under a hypervisor, not in an SEV "
                   "guest",
                   "host checks describe the machine the hypervisor shows, not the hardware: run "
                   "cbit host on the bare-metal host (inside an SEV guest it runs guest checks)");
             },
             {}},
            sme,
            sev,
            {"Page flush MSR",
             [=] {
               return pass(bit(f.eax, kFeatPageFlushMsr)
                               ? "ENABLED (CPUID Fn8000_001F EAX[2] = 1)"
                               : "DISABLED (CPUID Fn8000_001F EAX[2] = 0)");
             },
             {}}}};

  Test kvm{"KVM supported", [=] { return dev_row(s, "/dev/kvm", true); }, {}};
  run_tree({cpu, kvm}, 0, out);
}

// Inside a guest, SEV_STATUS (MSR 0xC0010131) says what is active; the kernel log is the
// fallback when the MSR cannot be read.
void run_guest_tests(const HostSnapshot& s, const CpuIdentity& id, const KernelLog& log,
                     std::vector<CheckRow>& out) {
  const auto features = log.active_features();
  const auto& st = s.sev_status;
  auto feature = [&](int b, const char* token, const char* name, const char* hint) {
    return [&, b, token, name, hint]() -> Outcome {
      if (st.value) {
        const std::string d = fmt::format("SEV_STATUS[{}] {} = {}", b, name, yn(bit(*st.value, b)));
        return bit(*st.value, b) ? pass(d) : fail(d, hint);
      }
      if (!log.readable)
        return skip(fmt::format("SEV_STATUS unreadable ({}) and kernel log unreadable ({})",
                                st.unreadable, log.why_unreadable));
      if (features.count(token))
        return pass(
            fmt::format("kernel log: Memory Encryption Features active: ... {} "
                        "(SEV_STATUS unreadable: {})",
                        token, st.unreadable));
      return fail(fmt::format("kernel log does not list {} as active (SEV_STATUS unreadable: {})",
                              token, st.unreadable),
                  hint);
    };
  };
  const CpuidRegs f = mem_encrypt_leaf(s);

  Test snp{
      "Secure Nested Paging (SEV-SNP)",
      feature(kSevStatusSnp, "SEV-SNP", "SNP",
              "the VM was launched without SNP: its memory has no integrity protection; "
              "launch it as an SEV-SNP guest (QEMU sev-snp-guest object)"),
      {{"/dev/sev-guest present (attestation reports)",
        [=]() -> Outcome {
          if (s.device("/dev/sev-guest") != NodeAccess::Absent)
            return pass(std::string("/dev/sev-guest ") + to_string(s.device("/dev/sev-guest")));
          return fail("/dev/sev-guest does not exist",
                      "modprobe sev-guest (CONFIG_SEV_GUEST); without it no attestation "
                      "report can be requested (snpguest#54)");
        },
        {}}}};
  Test sev{"Secure Encrypted Virtualization (SEV) guest",
           feature(kSevStatusSev, "SEV", "SEV",
                   "this VM's memory is not encrypted: launch it with an SEV policy"),
           {{"Encrypted State (SEV-ES)",
             feature(kSevStatusSevEs, "SEV-ES", "SEV-ES",
                     "launched as plain SEV: the hypervisor can read and change the vCPU "
                     "registers; launch with SEV-ES or SEV-SNP"),
             {}},
            snp,
            {"C-bit location", [=] { return pass(std::to_string(f.ebx & 0x3F)); }, {}},
            {"DMA through bounce buffers (swiotlb)",
             [&]() -> Outcome {
               if (const std::string* l = log.find("bounce buffers"))
                 return pass("kernel log: " + *l);
               return skip(log.readable ? "no bounce-buffer line in the kernel log"
                                        : "kernel log unreadable");
             },
             {}}}};
  Test cpu{
      "AMD CPU",
      [=]() -> Outcome {
        if (!id.is_amd())
          return fail(fmt::format("vendor {}: {}", id.vendor, id.describe()),
                      "SEV guests run on AMD processors only");
        return pass(fmt::format("{} (family 0x{:x}, model 0x{:x})",
                                id.brand.empty() ? id.vendor : id.brand, id.family, id.model));
      },
      {{"Running under a hypervisor", [=] { return pass("CPUID Fn0000_0001 ECX[31] = 1"); }, {}},
       sev}};
  run_tree({cpu}, 0, out);
}

bool looks_like_sev_guest(const HostSnapshot& s, const CpuIdentity& id, const KernelLog& log) {
  if (!id.hypervisor) return false;
  if (s.sev_status.value) return bit(*s.sev_status.value, kSevStatusSev);
  const auto features = log.active_features();
  return features.count("SEV") || s.device("/dev/sev-guest") != NodeAccess::Absent ||
         bit(mem_encrypt_leaf(s).eax, kFeatSev);
}

}  // namespace

const char* to_string(Status s) {
  switch (s) {
    case Status::Pass:
      return "PASS";
    case Status::Fail:
      return "FAIL";
    case Status::Skip:
      return "SKIP";
  }
  return "SKIP";
}

int Checklist::count(Status s) const {
  return static_cast<int>(
      std::count_if(rows.begin(), rows.end(), [s](const CheckRow& r) { return r.status == s; }));
}

Checklist run_checks(const HostSnapshot& s) {
  const CpuIdentity id = identify_cpu(s);
  KernelLog log;
  log.readable = s.kernel_log.has_value();
  log.why_unreadable = s.kernel_log_unreadable;
  if (s.kernel_log) log.lines = *s.kernel_log;

  Checklist c;
  const bool guest = looks_like_sev_guest(s, id, log);
  c.mode = guest ? "guest" : "host";
  c.headline = fmt::format(
      "{}, {}; {} checks{}", id.brand.empty() ? id.vendor : id.brand,
      id.is_amd() ? generation_name(id.generation) : id.vendor + " (not an AMD processor)", c.mode,
      guest           ? " (SEV guest detected)"
      : id.hypervisor ? " (running in a VM that is not an SEV guest)"
                      : "");
  if (guest)
    run_guest_tests(s, id, log, c.rows);
  else
    run_host_tests(s, id, log, c.rows);

  if (!id.is_amd()) {
    c.syscfg_lines.push_back("SYSCFG (MSR 0xC0010010): an AMD register, not decoded on " +
                             id.vendor);
  } else if (s.syscfg.value) {
    c.syscfg_lines.push_back(fmt::format("SYSCFG (MSR 0xC0010010) = 0x{:016x}", *s.syscfg.value));
    for (auto& l : decode_bits(*s.syscfg.value, syscfg_bits(), 64)) c.syscfg_lines.push_back(l);
  } else {
    c.syscfg_lines.push_back("SYSCFG (MSR 0xC0010010) unreadable: " + s.syscfg.unreadable);
  }
  if (s.sev_status.value) {
    c.sev_status_lines.push_back(
        fmt::format("SEV_STATUS (MSR 0xC0010131) = 0x{:016x}", *s.sev_status.value));
    for (auto& l : decode_bits(*s.sev_status.value, sev_status_bits(), 64))
      c.sev_status_lines.push_back(l);
  } else {
    c.sev_status_lines.push_back("SEV_STATUS (MSR 0xC0010131) unreadable: " +
                                 s.sev_status.unreadable);
  }
  return c;
}

}  // namespace cbit::tools::host
