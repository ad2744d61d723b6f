// Every action a scenario file can name, group by group in the order docs/scenarios.md lists
// them. A new group of actions is one line here (its file exports add_<group>_actions).
#include <algorithm>

#include "scenario/action.h"

namespace cbit::scenario {

void add_say_actions(std::vector<Action>& out);
void add_machine_actions(std::vector<Action>& out);
void add_physical_actions(std::vector<Action>& out);
void add_sme_actions(std::vector<Action>& out);
void add_smetest_actions(std::vector<Action>& out);
void add_dma_actions(std::vector<Action>& out);
void add_guest_actions(std::vector<Action>& out);
void add_guest_memory_actions(std::vector<Action>& out);
void add_dump_actions(std::vector<Action>& out);
void add_attack_actions(std::vector<Action>& out);
void add_attest_actions(std::vector<Action>& out);

const std::vector<Action>& all_actions() {
  static const std::vector<Action> actions = [] {
    std::vector<Action> a;
    add_say_actions(a);
    add_machine_actions(a);
    add_physical_actions(a);
    add_sme_actions(a);
    add_smetest_actions(a);
    add_dma_actions(a);
    add_guest_actions(a);
    add_guest_memory_actions(a);
    add_dump_actions(a);
    add_attack_actions(a);
    add_attest_actions(a);
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
