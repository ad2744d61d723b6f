// A scenario file (docs/scenarios.md, issue 11 §1) read and checked before anything runs.
//
// parse_scenario() turns the TOML text into a Scenario whose every step names a known action
// with its declared keys, of the declared types and choices, every ${var} substituted and
// every [[case]] expanded (the step list once per case, in order), and every expectation
// parsed (scenario/expect.h). Everything knowable from the file is checked here, so a
// scenario that parses fails at run time only on what the simulation itself finds.
//
// Every error is one InputError line: "FILE:LINE:COL: key 'KEY': what is wrong" (the position
// of the key or value at fault; a TOML syntax error names no key), with "did you mean" for
// misspelled tables, keys, actions and operators.
//
// The file is a user's input and may be hostile: its size, the number of steps (after case
// expansion), cases and vars, the nesting of values, the length of a string and the bytes
// ${var} substitution may produce are all bounded below, each a clear error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/action.h"
#include "scenario/expect.h"

namespace cbit::scenario {

inline constexpr uint64_t kMaxScenarioBytes = 1u << 20;  // the file
inline constexpr size_t kMaxSteps = 10000;               // after case expansion
inline constexpr size_t kMaxCases = 1000;
inline constexpr size_t kMaxVars = 1000;
inline constexpr size_t kMaxDepth = 8;                // arrays / tables inside a value
inline constexpr size_t kMaxKeyParts = 64;            // dots on a line outside strings: a.b.c = 1
inline constexpr size_t kMaxStringBytes = 64u << 10;  // one string, after substitution
inline constexpr uint64_t kMaxExpandedBytes = 64u << 20;  // all strings, after expansion

// One step of the expanded list: a [[step]] of the file in one case.
struct Step {
  size_t index = 0;     // 1-based position among the file's [[step]]s
  std::string id;       // as written ("cb"); "" when the step has none
  std::string full_id;  // the results' key: "off.cb" in case "off", "cb" without cases
  std::string case_id;  // "" without cases
  const Action* action = nullptr;
  nlohmann::json args = nlohmann::json::object();             // the action's keys, substituted
  std::map<std::string, std::string, std::less<>> key_where;  // "FILE:LINE:COL" per key
  std::string where;                                          // "FILE:LINE:COL (step N)"
  std::string pos;                                            // "FILE:LINE:COL"
  // Keys whose values name earlier steps' results ("${cb.found}", stored as "${off.cb.found}"
  // with "$$" kept): the engine fills them in and checks their types when the step runs.
  std::vector<std::string> deferred;
  std::vector<Condition> expect;  // over this step's result
  std::string check;              // the check line's text
};

// A top-level [[expect]]: conditions over any steps' results ("tsme.cb.found").
struct Expectation {
  std::string check;
  std::vector<Condition> that;
  std::string where;
};

struct Scenario {
  std::string file;  // as given: "examples/scenarios/sme-full.toml"
  std::string id, title, about, cpu;
  std::vector<std::string> cases;  // case ids in order; empty without [[case]]
  std::vector<Step> steps;
  std::vector<Expectation> expects;
};

// Parses and checks `text`, read from `file` (named in every message). With a `file` ending in
// ".toml", [scenario] id must equal its base name without the extension.
Scenario parse_scenario(std::string_view text, const std::string& file);

// Reads `path` (a regular file or a FIFO, at most kMaxScenarioBytes; common/file.h) and parses
// it.
Scenario load_scenario(const std::string& path);

// "" when `v` is a valid value of `key` (its type and choices), else what is wrong ("must be
// true or false, not 3"); the engine uses it for values filled in at run time.
std::string value_error(const Key& key, const nlohmann::json& v);

// Levenshtein distance (for "did you mean"), and the closest of `names` to `word` when it is
// close enough to be a likely typo ("" otherwise).
size_t edit_distance(std::string_view a, std::string_view b);
std::string closest(std::string_view word, const std::vector<std::string>& names);

}  // namespace cbit::scenario
