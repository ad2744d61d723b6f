// The action a test drives, from the same list `cbit run` uses (scenario/actions.cc), so a test
// of an action cannot pass against a list the engine does not have.
#pragma once
#include <stdexcept>
#include <string>
#include <utility>

#include "scenario/action.h"
#include "scenario/json_args.h"
#include "scenario/run.h"

namespace cbit::scenario::testing {

inline const Action& action(const std::string& name) {
  const Action* a = find_action(name);
  if (!a) throw std::logic_error("no action " + name);
  return *a;
}

// One step as the engine runs it: the action's before-anything-runs check, then its run as
// step `id`, its result kept where later steps and expectations find it.
inline nlohmann::json step(Run& run, const std::string& name, const std::string& id,
                           nlohmann::json keys) {
  const Action& a = action(name);
  const JsonArgs args(std::move(keys), "t.toml:1:1 (step " + id + ")");
  if (a.check) a.check(args);
  run.begin_step("", id, "t.toml:1:1");
  nlohmann::json r = a.run(args, run);
  run.results()[id] = r;
  return r;
}

}  // namespace cbit::scenario::testing
