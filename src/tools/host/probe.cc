#include "tools/host/probe.h"

#include <cpuid.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/klog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tools/host/bits.h"

namespace cbit::tools::host {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

MsrReading read_msr(int cpu, uint32_t msr) {
  MsrReading m;
  const std::string path = fmt::format("/dev/cpu/{}/msr", cpu);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    m.unreadable = errno == ENOENT
                       ? fmt::format("{}: no such file (load the msr module: modprobe msr)", path)
                       : fmt::format("{}: {}", path, std::strerror(errno));
    return m;
  }
  uint64_t v = 0;
  const ssize_t n = ::pread(fd, &v, sizeof(v), msr);
  const int err = errno;
  ::close(fd);
  if (n == sizeof(v))
    m.value = v;
  else  // EIO: the MSR does not exist here (e.g. SEV_STATUS outside a guest, or a hypervisor)
    m.unreadable =
        fmt::format("{} at 0x{:x}: {}", path, msr, n < 0 ? std::strerror(err) : "short read");
  return m;
}

NodeAccess probe_node(const std::string& path) {
  if (!std::filesystem::exists(path)) return NodeAccess::Absent;
  auto can = [&](int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return false;
    ::close(fd);
    return true;
  };
  const bool r = can(O_RDONLY), w = can(O_WRONLY);
  return r && w ? NodeAccess::ReadWrite
         : r    ? NodeAccess::Read
         : w    ? NodeAccess::Write
                : NodeAccess::Present;
}

void probe_kernel_log(HostSnapshot& s) {
  constexpr int kSyslogActionReadAll = 3, kSyslogActionSizeBuffer = 10;
  const int size = klogctl(kSyslogActionSizeBuffer, nullptr, 0);
  if (size <= 0) {
    s.kernel_log_unreadable =
        fmt::format("syslog(2): {} (see kernel.dmesg_restrict)", std::strerror(errno));
    return;
  }
  std::string buf(static_cast<size_t>(size), '\0');
  const int n = klogctl(kSyslogActionReadAll, buf.data(), size);
  if (n < 0) {
    s.kernel_log_unreadable =
        fmt::format("syslog(2): {} (see kernel.dmesg_restrict)", std::strerror(errno));
    return;
  }
  buf.resize(static_cast<size_t>(n));
  std::vector<std::string> lines;
  std::istringstream in(buf);
  for (std::string line; std::getline(in, line);) {
    // Strip the "<6>" priority prefix syslog(2) returns; keep the "[ 1.234]" time stamp.
    if (line.size() > 3 && line[0] == '<' && line.find('>') != std::string::npos)
      line.erase(0, line.find('>') + 1);
    if (is_memory_encryption_log_line(line)) lines.push_back(line);
  }
  s.kernel_log = std::move(lines);
  s.kernel_log_unreadable.clear();
}

void probe_cpu_flags(HostSnapshot& s) {
  std::ifstream in("/proc/cpuinfo");
  if (!in) return;
  s.cpu_flags.emplace();
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;)
      if (w == "sme" || w == "sev" || w == "sev_es" || w == "sev_snp" || w == "hypervisor")
        s.cpu_flags->push_back(w);
    break;  // the first CPU's flags
  }
}

}  // namespace

const std::vector<uint32_t>& probed_cpuid_leaves() {
  static const std::vector<uint32_t> leaves = {
      0x0, 0x1, 0x80000000, 0x80000001, 0x80000002, 0x80000003, 0x80000004, 0x80000008, 0x8000001F};
  return leaves;
}

CpuidRegs read_cpuid(uint32_t leaf, uint32_t subleaf) {
  CpuidRegs r;
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
}

int probe_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) return cpu;
  return 0;
}

ScopedCpuPin::ScopedCpuPin(int cpu) {
  if (::sched_getaffinity(0, sizeof(old_), &old_) != 0) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  pinned_ = ::sched_setaffinity(0, sizeof(one), &one) == 0;
}

ScopedCpuPin::~ScopedCpuPin() {
  if (pinned_) ::sched_setaffinity(0, sizeof(old_), &old_);
}

bool is_memory_encryption_log_line(const std::string& line) {
  static const std::regex re(
      R"(Memory Encryption|\bSME\b|\bSEV\b|SEV-ES|SEV-SNP|\bsev\b|RMP|mem_encrypt|kvm_amd|)"
      R"(bounce buffers|ccp .*(SEV|psp)|\bTSME\b)",
      std::regex::ECMAScript);
  return std::regex_search(line, re);
}

HostSnapshot probe_host() {
  HostSnapshot s;
  s.description = "probed live by cbit host";
  const int cpu = probe_cpu();
  const ScopedCpuPin pin(cpu);
  // Leaves are read directly, as the `cpuid` tool does, even beyond the maximum leaf.
  for (uint32_t leaf : probed_cpuid_leaves()) s.cpuid[leaf] = read_cpuid(leaf);
  s.syscfg = read_msr(cpu, kMsrSyscfg);
  s.sev_status = read_msr(cpu, kMsrSevStatus);
  const std::filesystem::path params = "/sys/module/kvm_amd/parameters";
  std::error_code ec;
  if (std::filesystem::is_directory(params, ec)) {
    s.kvm_amd.emplace();
    for (const auto& e : std::filesystem::directory_iterator(params, ec))
      (*s.kvm_amd)[e.path().filename().string()] = read_text(e.path().string());
  }
  for (const char* dev : {"/dev/sev", "/dev/sev-guest", "/dev/kvm"})
    s.devices[dev] = probe_node(dev);
  probe_kernel_log(s);
  probe_cpu_flags(s);
  s.cmdline = read_text("/proc/cmdline");
  return s;
}

}  // namespace cbit::tools::host
