#include "scenario/embedded.h"

namespace cbit::scenario {

const EmbeddedScenario* embedded_scenario(std::string_view id) {
  constexpr std::string_view ext = ".toml";
  for (const auto& f : embedded_scenarios()) {
    std::string_view name = f.path.substr(f.path.rfind('/') + 1);  // npos + 1 = 0
    if (name.size() == id.size() + ext.size() && name.substr(0, id.size()) == id &&
        name.substr(id.size()) == ext)
      return &f;
  }
  return nullptr;
}

}  // namespace cbit::scenario
