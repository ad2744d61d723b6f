#include "demo/demo.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/error.h"

namespace cbit::demo {

bool Section::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.ok; });
}

std::string make_new_file(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  const size_t x = name.find("XXXXXX");
  const int fd =
      x == std::string::npos
          ? ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
          : ::mkostemps(path.data(), static_cast<int>(name.size() - x - 6), O_CLOEXEC);
  if (fd < 0)
    throw InputError(fmt::format("{}: cannot create{}: {}", path,
                                 errno == EEXIST ? " (the demo does not replace a file it did not "
                                                   "make)"
                                                 : "",
                                 std::strerror(errno)));
  ::close(fd);
  return path;
}

hw::MachineConfig machine_config(const DemoOptions& opt, uint64_t dram_bytes) {
  hw::MachineConfig cfg;
  cfg.cpu = hw::cpu_model_by_name(opt.cpu);
  for (const auto& o : opt.overrides) hw::apply_cpu_override(cfg.cpu, o);
  cfg.dram_bytes = dram_bytes;
  cfg.seed = opt.seed;
  return cfg;
}

const std::vector<std::string>& section_names() {
  static const std::vector<std::string> names = {"sme-full",  "sme-partial", "smetest",    "dma",
                                                 "sev-guest", "sev-shared",  "sev-attacks"};
  return names;
}

Section run_section(const std::string& name, const DemoOptions& opt) {
  if (name == "sme-full") return run_sme_full(opt);
  if (name == "sme-partial") return run_sme_partial(opt);
  if (name == "smetest") return run_smetest(opt);
  if (name == "dma") return run_dma(opt);
  if (name == "sev-guest") return run_sev_guest(opt);
  if (name == "sev-shared") return run_sev_shared(opt);
  if (name == "sev-attacks") return run_sev_attacks(opt);
  throw InputError("demo: unknown section '" + name + "'");
}

}  // namespace cbit::demo
