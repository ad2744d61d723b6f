// The action a test drives, from the same list `cbit run` uses (scenario/actions.cc), so a test
// of an action cannot pass against a list the engine does not have.
#pragma once
#include <stdexcept>
#include <string>

#include "scenario/action.h"

namespace cbit::scenario::testing {

inline const Action& action(const std::string& name) {
  const Action* a = find_action(name);
  if (!a) throw std::logic_error("no action " + name);
  return *a;
}

}  // namespace cbit::scenario::testing
