// Fuzz target: the scenario parser (scenario/parse.h) on arbitrary bytes as a scenario file:
// TOML syntax, the tables and keys, ${var} substitution, [[case]] expansion, every action's
// declared keys and parse-time checks, and the expectations. Nothing runs (no machine is built).
// Properties: the input is refused with an InputError that starts with the file name, or parses
// into a Scenario whose steps all name a known action, stay within kMaxSteps, and whose
// [[expect]] conditions all name a step of the scenario.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/error.h"
#include "scenario/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit::scenario;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Scenario sc = parse_scenario(text, "fuzz.toml");
    if (sc.steps.size() > kMaxSteps) std::abort();
    for (const auto& s : sc.steps)
      if (!s.action || find_action(s.action->name) != s.action) std::abort();
    for (const auto& x : sc.expects)
      for (const auto& c : x.that) {
        bool named = false;
        for (const auto& s : sc.steps) named = named || (!s.full_id.empty() && s.full_id == c.step);
        if (!named) std::abort();
      }
  } catch (const cbit::InputError& e) {
    const std::string m = e.what();
    if (m.rfind("fuzz.toml", 0) != 0) std::abort();
  }
  return 0;
}
