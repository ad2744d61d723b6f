// Runs a parsed Scenario (scenario/parse.h): each step in order (the step list once per
// [[case]]), its action with the step's keys as JsonArgs, its result kept under its full id,
// its `expect` checked into one check line; after the last step, each [[expect]]. The
// transcript interleaves the steps' lines (run.say) with their check lines, as printed.
//
// Errors: any exception out of a step (an action's InputError naming the step's key, or what
// the simulation refused: "KVM_SEV_INIT2: -EINVAL") ends the run as a StepError: its message
// is "FILE:LINE:COL: step ID (do = \"X\"): message" (kept as it is when it already starts with
// the file's name), and it carries what ran before (the transcript, steps and checks so far),
// which `cbit run` prints before the error. A failed check does not stop the run.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "scenario/parse.h"
#include "scenario/run.h"

namespace cbit::scenario {

struct CheckResult {
  std::string check;  // the text
  bool ok = false;
  std::string saw;   // for a failure: "found = 2"
  std::string step;  // the step's full id; "" for a top-level [[expect]]
};

struct RunResult {
  std::string id, title, about, file;
  std::vector<std::string> transcript;  // step lines and check lines, in order, as printed
  std::vector<std::string> lines;       // the step lines only (run.say)
  std::vector<CheckResult> checks;
  nlohmann::json steps = nlohmann::json::array();     // [{id, do, case, result}]
  nlohmann::json results = nlohmann::json::object();  // full step id -> result
  bool ok() const;
  // {scenario, title, steps, checks: [{check, ok, saw}], transcript, ok}
  nlohmann::json to_json() const;
};

// "  [ ok ] text" or "  [FAIL] text — saw found = 2" (the demo's format).
std::string check_line(const CheckResult& c);

// Exit codes of `cbit run` and `cbit demo`: every check holds, a check failed, a scenario or
// input error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 3;
inline constexpr int kExitScenarioError = 1;

// A run-time error out of a step, with the run so far.
class StepError : public InputError {
 public:
  StepError(const std::string& what, RunResult partial)
      : InputError(what), partial_(std::make_shared<const RunResult>(std::move(partial))) {}
  const RunResult& partial() const { return *partial_; }

 private:
  std::shared_ptr<const RunResult> partial_;  // shared: exceptions are copied
};

RunResult run_scenario(const Scenario& sc, RunOptions opt);

}  // namespace cbit::scenario
