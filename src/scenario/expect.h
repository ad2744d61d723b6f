// Expectations over step results (docs/scenarios.md, "Expectations"): a condition is a dotted
// result path and an operator with its operand:
//   found = 0                      equals (a literal is `equals`)
//   found = { at_least = 1 }       at_least / at_most: numbers
//   verdict = { not = "blocked" }  not: anything but this value
//   dmesg = { contains = "SME" }   contains: a substring of a string, an element of a list
//   line = { matches = "^key" }    matches: an ECMAScript regular expression, searched (in a
//                                  list: in some element)
//   mode = { one_of = ["a", "b"] } one_of: equal to one of the list
// A table may hold several operators; all must hold. Evaluation never throws: a path that leads
// nowhere is a failed condition that says so ("saw report.x = (nothing)").
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace cbit::scenario {

enum class Op { Equals, Not, AtLeast, AtMost, Contains, Matches, OneOf };

// The operator names as written in a file, in docs order.
const std::vector<std::string>& operator_names();

struct Condition {
  std::string step;  // the step whose result it reads ("off.cb"); "" = the step's own result
  std::string path;  // dotted path inside that result ("found", "report.checks.nonce")
  Op op = Op::Equals;
  nlohmann::json value;
  std::shared_ptr<const std::regex> re;  // Matches only
  std::string where;                     // "FILE:LINE:COL" of the condition in the file
};

// "" when `value` is a valid operand for `op_name`, else what is wrong ("at_least takes a
// number"); `op` receives the operator. Regular expressions are compiled here (longer than
// kMaxRegexBytes refused) so a bad one is an error before anything runs.
inline constexpr size_t kMaxRegexBytes = 1024;
inline constexpr uint64_t kMaxRegexRepeats = 256;  // the sum of its {n,m} counts
// `matches` searches result strings of at most this many bytes (a longer one fails the check:
// match a list's elements, e.g. dmesg's lines, instead).
inline constexpr size_t kMaxMatchSubject = 4096;
std::string make_condition(std::string_view op_name, const nlohmann::json& value, Condition& c);

// The value a dotted path names inside `root` (objects by key, arrays by index), or nullptr.
const nlohmann::json* lookup(const nlohmann::json& root, std::string_view path);

struct Outcome {
  bool ok = true;
  std::string saw;  // for a failure: "found = 2, dma = (nothing)"
};

// Evaluates every condition; `results` maps full step ids to results, `own` is the step's own
// result (for conditions whose `step` is "").
Outcome evaluate(const std::vector<Condition>& conds, const nlohmann::json& results,
                 const nlohmann::json& own);

// The generated text of a check line: "found = 0, dma at least 1".
std::string describe(const std::vector<Condition>& conds);

}  // namespace cbit::scenario
