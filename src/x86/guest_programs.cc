#include "x86/guest_programs.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include "common/error.h"

namespace cbit::x86 {

std::string find_guest_program(const std::string& name) {
  namespace fs = std::filesystem;
  const std::string file = name + ".elf";
  std::vector<fs::path> places;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path dir = exe.parent_path();
    places.push_back(dir / "examples" / "guest" / file);
    places.push_back(dir / file);
    places.push_back(dir.parent_path() / "examples" / "guest" / file);
  }
#ifdef CBIT_GUEST_PROGRAM_DIR
  places.push_back(fs::path(CBIT_GUEST_PROGRAM_DIR) / file);
#endif
  std::string tried;
  for (const fs::path& p : places) {
    if (fs::is_regular_file(p, ec)) return p.string();
    tried += (tried.empty() ? "" : ", ") + p.string();
  }
  throw InputError("guest program " + file + " not found (looked in: " + tried + ")");
}

}  // namespace cbit::x86
