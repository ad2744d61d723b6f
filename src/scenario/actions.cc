// Every action a scenario file can name, group by group in the order docs/scenarios.md lists
// them. A new group of actions is one line here (its file exports add_<group>_actions).
#include <algorithm>

#include "scenario/action.h"

namespace cbit::scenario {

void add_say_actions(std::vector<Action>& out);
void add_machine_actions(std::vector<Action>& out);
void add_physical_actions(std::vector<Action>& out);

const std::vector<Action>& all_actions() {
  static const std::vector<Action> actions = [] {
    std::vector<Action> a;
    add_say_actions(a);
    add_machine_actions(a);
    add_physical_actions(a);
    return a;
  }();
  return actions;
}

const Action* find_action(std::string_view name) {
  const auto& a = all_actions();
  const auto it = std::find_if(a.begin(), a.end(), [&](const Action& x) { return x.name == name; });
  return it == a.end() ? nullptr : &*it;
}

}  // namespace cbit::scenario
