// The working directory of `cbit demo` and `cbit run` (NVDIMM files, guest dumps): always one
// the command makes, inside --workdir or the temporary directory, so it removes only what it
// made, and removes it on every way out: the destructor on success and on an error or a section
// that throws, the signal cleanup on Ctrl-C or SIGTERM (common/cleanup.h).
#pragma once
#include <fmt/format.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "common/cleanup.h"
#include "common/error.h"

namespace cbit::cli {

class DemoWorkdir {
 public:
  // `command` names the directory ("cbit-demo-XXXXXX") and the error ("demo: cannot create").
  explicit DemoWorkdir(const std::string& parent, const std::string& command = "demo") {
    std::error_code ec;
    const std::string base =
        parent.empty() ? std::filesystem::temp_directory_path(ec).string() : parent;
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
      throw InputError("--workdir: " + parent + " is not a directory");
    std::string tmpl = (base.empty() ? std::string("/tmp") : base) + "/cbit-" + command + "-XXXXXX";
    SignalBlock block;  // made and registered as one step
    if (!::mkdtemp(tmpl.data()))
      throw InputError(fmt::format("{}: cannot create a working directory in {}: {}", command,
                                   base.empty() ? "/tmp" : base, std::strerror(errno)));
    path_ = tmpl;
    cleanup_ = CleanupRegistration(path_, CleanupKind::Directory);
  }
  ~DemoWorkdir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  DemoWorkdir(const DemoWorkdir&) = delete;
  DemoWorkdir& operator=(const DemoWorkdir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  CleanupRegistration cleanup_;
};

}  // namespace cbit::cli
