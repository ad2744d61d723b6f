// The scenario files of examples/scenarios/, compiled into the binary (CMakeLists.txt runs
// cmake/embed_scenarios.cmake over them at build time), so `cbit demo` runs them wherever the
// binary is, and names them by their repository path ("examples/scenarios/sme-full.toml").
#pragma once
#include <string_view>
#include <vector>

namespace cbit::scenario {

struct EmbeddedScenario {
  std::string_view path;  // "examples/scenarios/sme-full.toml"
  std::string_view text;
};

// In file-name order.
const std::vector<EmbeddedScenario>& embedded_scenarios();

// The file whose name is `<id>.toml`, or nullptr.
const EmbeddedScenario* embedded_scenario(std::string_view id);

}  // namespace cbit::scenario
