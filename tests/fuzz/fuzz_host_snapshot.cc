// Fuzzes the host-snapshot JSON loader (`cbit host --from`) and the checks that read what it
// loads: any input is rejected with an InputError, or it loads, survives a save/load round trip
// unchanged, and the checklist and its renderings are produced without a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/error.h"
#include "tools/host/checks.h"
#include "tools/host/render.h"
#include "tools/host/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit::tools::host;
  try {
    const HostSnapshot s =
        snapshot_from_json(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    const std::string saved = snapshot_to_json(s);
    HostSnapshot again;
    try {
      again = snapshot_from_json(saved, "again");
    } catch (const cbit::InputError&) {
      // Invalid UTF-8 in a string is replaced when saving; anything else must load back.
      if (saved.find("\xEF\xBF\xBD") == std::string::npos) std::abort();
      return 0;
    }
    if (saved.find("\xEF\xBF\xBD") == std::string::npos && !(again == s)) std::abort();
    const Checklist c = run_checks(s);
    (void)render_text(c);
    (void)render_json(c);
    (void)render_raw(s);
  } catch (const cbit::InputError&) {
  }
  return 0;
}
