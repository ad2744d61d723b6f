// A scenario file's building block: one action (`do = "cold-boot"` in a [[step]]), with the
// keys it accepts, and what it does to the running scenario. docs/scenarios.md is generated
// from / checked against these declarations, so every key has its type, default and doc here.
//
// The contract every action keeps:
//  - It declares each key it reads (`keys`); the engine rejects, before anything runs, a step
//    with an unknown key, a missing required one, a value of the wrong type or outside
//    `choices`, naming file:line:column and the key (scenario/parse.h).
//  - `run` reads only declared keys through Args, acts on the Run (the machines, hosts, guests
//    and attacker tools the scenario built so far), appends its transcript lines with
//    run.say(), and returns what it saw as JSON: the values a step's `expect` table checks
//    (e.g. {"found": 2}). Numbers the user may check are JSON numbers, verdicts strings.
//  - Bad input found only at run time (a guest name not created, a program that does not
//    exist) throws InputError naming args.where(key); never an assertion.
//  - No key material in the returned JSON or the transcript (tests/unit/keys_never_leave).
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace cbit::scenario {

class Run;  // scenario/run.h: the scenario's world while it runs

enum class KeyType {
  String,      // "text"; with `choices`, one of them
  Integer,     // 64-bit unsigned; TOML integer (0x.. allowed)
  Bool,        // true / false
  Size,        // bytes: an integer or "64M", "4K", "1G", "2MiB"
  StringList,  // ["a", "b"]
  Table,       // an inline table, checked by the action's own `run` (e.g. a program's env)
};

struct Key {
  std::string name;
  KeyType type = KeyType::String;
  bool required = false;
  std::string default_text;          // shown in the docs, "" when required or none
  std::string doc;                   // one line
  std::vector<std::string> choices;  // String only; empty = free text
};

// The validated keys of one step, ${var} already substituted from [vars].
class Args {
 public:
  virtual ~Args() = default;
  virtual bool has(std::string_view key) const = 0;
  virtual std::string str(std::string_view key, std::string_view dflt = "") const = 0;
  virtual uint64_t u64(std::string_view key, uint64_t dflt = 0) const = 0;
  virtual bool flag(std::string_view key, bool dflt = false) const = 0;
  virtual uint64_t size(std::string_view key, uint64_t dflt = 0) const = 0;
  virtual std::vector<std::string> strings(std::string_view key) const = 0;
  virtual nlohmann::json table(std::string_view key) const = 0;  // {} when absent
  // "examples/scenarios/x.toml:12:9: key 'guest'" for run-time InputErrors: throw
  // InputError(args.where("guest") + ": no guest 'g2'") gives the parser's one-line form.
  virtual std::string where(std::string_view key) const = 0;
};

struct Action {
  std::string name;     // the `do` value, lower-case with dashes: "cold-boot"
  std::string summary;  // one line for docs/scenarios.md and `cbit run --list`
  std::vector<Key> keys;
  std::function<nlohmann::json(const Args&, Run&)> run;
  // Optional: checks of a step's values beyond their declared types (a `set` assignment, two
  // keys that exclude each other), run by the parser before anything runs; throws InputError
  // naming args.where(key). It sees only the step's own keys, never the Run.
  std::function<void(const Args&)> check;
};

// Every action, in the order docs/scenarios.md lists them. Explicit (scenario/actions.cc
// lists each group's `add_*_actions`), not static registrars: a static library drops
// unreferenced objects.
const std::vector<Action>& all_actions();
const Action* find_action(std::string_view name);

}  // namespace cbit::scenario
