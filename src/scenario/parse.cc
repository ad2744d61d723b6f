#include "scenario/parse.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <functional>
#include <set>
#include <utility>

#include "common/error.h"
#include "common/file.h"
#include "hw/cpu_models.h"
#include "scenario/json_args.h"

namespace cbit::scenario {

namespace {

// One error line. `pos` is the node's or key's source position.
struct Src {
  const std::string& file;

  std::string at(const toml::source_region& r) const {
    return fmt::format("{}:{}:{}", file, r.begin.line, r.begin.column);
  }
  [[noreturn]] void fail(const toml::source_region& r, std::string_view key,
                         const std::string& what) const {
    throw InputError(fmt::format("{}: key '{}': {}", at(r), key, what));
  }
};

std::string did_you_mean(std::string_view word, const std::vector<std::string>& names) {
  const std::string c = closest(word, names);
  return c.empty() ? "" : fmt::format(" (did you mean '{}'?)", c);
}

std::string list_of(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A TOML value as JSON, bounded in depth; dates and times are refused (no key takes one).
nlohmann::json to_json(const Src& src, const toml::node& n, std::string_view key, size_t depth) {
  if (depth > kMaxDepth)
    src.fail(n.source(), key, fmt::format("values nested deeper than {} levels", kMaxDepth));
  if (const auto* s = n.as_string()) {
    if (s->get().size() > kMaxStringBytes)
      src.fail(n.source(), key, fmt::format("a string longer than {} bytes", kMaxStringBytes));
    return s->get();
  }
  if (const auto* i = n.as_integer()) return i->get();
  if (const auto* b = n.as_boolean()) return b->get();
  if (const auto* f = n.as_floating_point()) return f->get();
  if (const auto* a = n.as_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *a) out.push_back(to_json(src, e, key, depth + 1));
    return out;
  }
  if (const auto* t = n.as_table()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : *t) out[std::string(k.str())] = to_json(src, v, key, depth + 1);
    return out;
  }
  src.fail(n.source(), key, "dates and times are not accepted here");
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

const toml::table& need_table(const Src& src, const toml::node& n, std::string_view key,
                              std::string_view how) {
  const auto* t = n.as_table();
  if (!t) src.fail(n.source(), key, fmt::format("must be a table ({})", how));
  return *t;
}

std::string need_string(const Src& src, const toml::node& n, std::string_view key) {
  const auto* s = n.as_string();
  if (!s) src.fail(n.source(), key, "must be a string");
  if (s->get().size() > kMaxStringBytes)
    src.fail(n.source(), key, fmt::format("a string longer than {} bytes", kMaxStringBytes));
  return s->get();
}

void only_keys(const Src& src, const toml::table& t, const std::vector<std::string>& allowed,
               std::string_view where) {
  for (const auto& [k, v] : t) {
    const std::string name(k.str());
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      src.fail(k.source(), name,
               fmt::format("unknown key in {}{}; it takes {}", where, did_you_mean(name, allowed),
                           list_of(allowed)));
  }
}

// The names inside the ${...} of `s`, in order; "$$" is a literal "$", and the scan stops at a
// "${" without its "}" (an error where the string is substituted).
std::vector<std::string_view> ref_names(std::string_view s) {
  std::vector<std::string_view> names;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] != '$') continue;
    if (s[i + 1] == '$') {
      ++i;
      continue;
    }
    if (s[i + 1] != '{') continue;
    const size_t end = s.find('}', i + 2);
    if (end == std::string_view::npos) break;
    names.push_back(s.substr(i + 2, end - i - 2));
    i = end;
  }
  return names;
}

class Vars;

// ${name} substitution with the variables of one case. In a step's keys, ${step.field} (a name
// with a dot) is a reference to an earlier step's result: checked here (`resolve` gives the
// step's full id path, "" when no earlier step has that id), filled in by the engine when the
// step runs (scenario/engine.h); a string holding one keeps its "$$" for the engine to undo.
// In a var's own value (`in_var`: that var's name) a result is refused: vars are fixed before
// anything runs.
class Subst {
 public:
  using Resolve = std::function<std::string(std::string_view)>;
  Subst(const Src& src, const Vars& vars, uint64_t& budget, Resolve resolve = {},
        std::string_view in_var = {})
      : src_(src), vars_(vars), budget_(budget), resolve_(std::move(resolve)), in_var_(in_var) {}

  nlohmann::json apply(const nlohmann::json& v, const toml::source_region& r,
                       std::string_view key) const {
    if (v.is_string()) return apply_string(v.get_ref<const std::string&>(), r, key);
    if (v.is_array() || v.is_object()) {
      nlohmann::json out = v;
      for (auto& e : out) e = apply(e, r, key);
      return out;
    }
    return v;
  }
  // Whether the values applied since the last call hold a result reference.
  bool take_deferred() const { return std::exchange(deferred_, false); }

 private:
  const nlohmann::json& var(std::string_view name, const toml::source_region& r,
                            std::string_view key) const;

  // "${off.cb.found}" for a reference "${cb.found}" (checked), marking the value deferred.
  std::string reference(std::string_view name, const toml::source_region& r,
                        std::string_view key) const {
    if (!in_var_.empty())
      src_.fail(r, key,
                fmt::format("${{{}}}: a var's value can't use a step's result (vars are fixed "
                            "before anything runs); write ${{{}}} in the step's keys",
                            name, name));
    if (!resolve_)
      src_.fail(
          r, key,
          fmt::format("${{{}}}: a step's result can't be used inside an `expect` table, `that` "
                      "or `check` (their values are fixed before anything runs); to check a "
                      "result, name its path on the left of a top-level [[expect]]: "
                      "that = {{ \"{}{}\" = ... }}; to use it, name it in a later step's keys",
                      name, case_prefix(), name));
    const std::string full = resolve_(name);
    if (full.empty())
      src_.fail(r, key,
                fmt::format("${{{}}} names no earlier step (a result is ${{STEP.FIELD}}, STEP "
                            "an earlier step's id)",
                            name));
    deferred_ = true;
    return "${" + full + "}";
  }

  static bool has_reference(const std::string& s) {
    const auto names = ref_names(s);
    return std::any_of(names.begin(), names.end(),
                       [](std::string_view n) { return n.find('.') != std::string_view::npos; });
  }

  nlohmann::json apply_string(const std::string& s, const toml::source_region& r,
                              std::string_view key) const {
    if (s.find('$') == std::string::npos) return charge(s, r, key);
    // A whole value "${x}" keeps x's TOML type.
    if (s.size() > 3 && s.rfind("${", 0) == 0 && s.back() == '}' && s.find('}') == s.size() - 1 &&
        s.find("${", 2) == std::string::npos) {
      const std::string_view name = std::string_view(s).substr(2, s.size() - 3);
      if (name.find('.') != std::string_view::npos) return charge(reference(name, r, key), r, key);
      const nlohmann::json& v = var(name, r, key);
      return v.is_string() ? charge(v.get<std::string>(), r, key) : v;
    }
    const bool templ = has_reference(s);  // the engine finishes it: "$$" stays
    std::string out;
    for (size_t i = 0; i < s.size();) {
      if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '$') {  // "$$" is a literal "$"
        out += templ ? "$$" : "$";
        i += 2;
        continue;
      }
      if (s.compare(i, 2, "${") != 0) {
        out += s[i++];
        continue;
      }
      const size_t end = s.find('}', i + 2);
      if (end == std::string::npos) src_.fail(r, key, "'${' without its closing '}'");
      const std::string_view name = std::string_view(s).substr(i + 2, end - i - 2);
      if (name.find('.') != std::string_view::npos) {
        out += reference(name, r, key);
      } else {
        const nlohmann::json& v = var(name, r, key);
        std::string text;
        if (v.is_string())
          text = v.get_ref<const std::string&>();
        else if (v.is_array() || v.is_object())
          src_.fail(r, key,
                    fmt::format("${{{}}} is a list or table: it can only be a whole value", name));
        else
          text = v.dump();
        if (templ)  // a "$" of the var's value is literal, also to the engine
          for (size_t p = 0; (p = text.find('$', p)) != std::string::npos; p += 2)
            text.insert(p, 1, '$');
        out += text;
      }
      if (out.size() > kMaxStringBytes)
        src_.fail(r, key,
                  fmt::format("the substituted string is longer than {} bytes", kMaxStringBytes));
      i = end + 1;
    }
    return charge(std::move(out), r, key);
  }

  nlohmann::json charge(std::string s, const toml::source_region& r, std::string_view key) const {
    if (s.size() > budget_)
      src_.fail(r, key,
                fmt::format("the scenario expands to more than {} MiB of text (cases times steps)",
                            kMaxExpandedBytes >> 20));
    budget_ -= s.size();
    return s;
  }

  std::string case_prefix() const;

  const Src& src_;
  const Vars& vars_;
  uint64_t& budget_;
  Resolve resolve_;
  std::string_view in_var_;
  mutable bool deferred_ = false;
};

// The names a var's value uses: each ${name} without a dot in its strings ("$$" is a literal).
void var_refs(const nlohmann::json& v, std::vector<std::string>& out) {
  if (v.is_array() || v.is_object()) {
    for (const auto& e : v) var_refs(e, out);
    return;
  }
  if (!v.is_string()) return;
  for (const std::string_view name : ref_names(v.get_ref<const std::string&>()))
    if (name.find('.') == std::string_view::npos) out.emplace_back(name);
}

bool has_dollar(const nlohmann::json& v) {
  if (v.is_string()) return v.get_ref<const std::string&>().find('$') != std::string::npos;
  if (v.is_array() || v.is_object())
    return std::any_of(v.begin(), v.end(), [](const auto& e) { return has_dollar(e); });
  return false;
}

// The vars of one case over [vars] (or [vars] alone): each value as written, and resolved the
// first time it is used, its own ${name}s substituted from the same vars whatever their order
// in the file (a whole "${name}" keeps that var's type). A cycle (a = "${b}", b = "${a}") is an
// error found by check_cycles() before anything is used, at the var that closes it.
class Vars {
 public:
  struct Var {
    nlohmann::json raw;
    toml::source_region where;
    std::vector<std::string> refs;  // var_refs(raw)
  };
  Vars(const Src& src, uint64_t& budget) : src_(src), budget_(budget) {}
  // A copy resolves afresh: a case's own vars change what the others resolve to.
  Vars(const Vars& o) : src_(o.src_), budget_(o.budget_), vars_(o.vars_) {}
  Vars& operator=(const Vars&) = delete;

  void set(const std::string& name, nlohmann::json raw, const toml::source_region& where) {
    Var v{std::move(raw), where, {}};
    var_refs(v.raw, v.refs);
    vars_[name] = std::move(v);
  }
  bool has(std::string_view name) const { return vars_.find(name) != vars_.end(); }
  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (const auto& [name, _] : vars_) n.push_back(name);
    return n;
  }
  std::string case_id() const {
    const auto it = vars_.find("case");
    return it == vars_.end() ? "" : it->second.raw.get<std::string>();
  }

  // The var's value with its own vars substituted; nullptr when it is not defined. The vars
  // it uses are resolved first, in the walk's order, so no resolution nests in another.
  const nlohmann::json* value(std::string_view name) const {
    if (const auto r = resolved_.find(name); r != resolved_.end()) return &r->second;
    const auto it = vars_.find(name);
    if (it == vars_.end()) return nullptr;
    std::map<std::string_view, int> state;
    walk(it->first, state, true, [&](const std::string& n, const Var& v) {
      resolved_[n] =
          has_dollar(v.raw) ? Subst(src_, *this, budget_, {}, n).apply(v.raw, v.where, n) : v.raw;
    });
    return &resolved_.at(it->first);
  }

  // Every cycle through the vars `from` names (directly or through the vars they use) is an
  // error, reported at the var whose value closes it.
  void check_cycles(const std::vector<std::string>& from) const {
    std::map<std::string_view, int> state;
    for (const auto& n : from) walk(n, state, false, [](const std::string&, const Var&) {});
  }

 private:
  // Depth-first from `from` over the vars each value uses (names not defined are skipped: an
  // error where they are substituted; with `skip_resolved`, so are the vars already resolved),
  // on an explicit stack: a chain of 2000 vars takes no 2000 frames. `done` sees each var after
  // every var it uses. state: 1 on the path, 2 done; a var met again on the path is a cycle.
  template <typename Done>
  void walk(std::string_view from, std::map<std::string_view, int>& state, bool skip_resolved,
            const Done& done) const {
    struct Frame {
      const std::string* name;
      const Var* var;
      size_t next = 0;
    };
    std::vector<Frame> stack;
    const auto push = [&](std::string_view n) {
      const auto it = vars_.find(n);
      if (it == vars_.end() || (skip_resolved && resolved_.count(n))) return;
      int& st = state[it->first];
      if (st == 2) return;
      if (st == 1) {
        std::string cycle;
        auto f =
            std::find_if(stack.begin(), stack.end(), [&](const Frame& x) { return *x.name == n; });
        for (; f != stack.end(); ++f) cycle += *f->name + " -> ";
        const Frame& closer = stack.back();
        src_.fail(closer.var->where, *closer.name,
                  fmt::format("${{{}}} makes a cycle of vars: {}{} (a var may use other vars, "
                              "not itself through them)",
                              n, cycle, n));
      }
      st = 1;
      stack.push_back({&it->first, &it->second});
    };
    push(from);
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next < f.var->refs.size()) {
        push(f.var->refs[f.next++]);  // may move the stack: f is not used after
        continue;
      }
      state[*f.name] = 2;
      const Frame top = f;
      stack.pop_back();
      done(*top.name, *top.var);
    }
  }

  const Src& src_;
  uint64_t& budget_;
  std::map<std::string, Var, std::less<>> vars_;
  mutable std::map<std::string, nlohmann::json, std::less<>> resolved_;
};

const nlohmann::json& Subst::var(std::string_view name, const toml::source_region& r,
                                 std::string_view key) const {
  if (const nlohmann::json* v = vars_.value(name)) return *v;
  src_.fail(r, key,
            fmt::format("${{{}}} is not defined in [vars]{}{}", name,
                        vars_.has("case") ? " or the case's vars" : "",
                        did_you_mean(name, vars_.names())));
}

std::string Subst::case_prefix() const {
  const std::string c = vars_.case_id();
  return c.empty() ? "" : c + ".";
}

void check_value(const Src& src, const Key& key, const nlohmann::json& v,
                 const toml::source_region& r) {
  const std::string e = value_error(key, v);
  if (!e.empty()) src.fail(r, key.name, e);
}

std::vector<std::string> action_names() {
  std::vector<std::string> n;
  for (const auto& a : all_actions()) n.push_back(a.name);
  return n;
}

// The conditions of an `expect` or `that` table: keys are dotted paths (bare dotted keys make
// nested tables, which are walked); a table whose keys are operators is a condition.
void read_conditions(const Src& src, const toml::table& t, const std::string& prefix,
                     std::string_view key, const Subst& subst, std::vector<Condition>& out,
                     size_t depth) {
  if (depth > kMaxDepth)
    src.fail(t.source(), key, fmt::format("paths nested deeper than {} levels", kMaxDepth));
  if (t.empty()) src.fail(t.source(), key, "an empty table: name a result and its value");
  const auto& ops = operator_names();
  for (const auto& [k, v] : t) {
    const std::string name(k.str());
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    const auto* sub = v.as_table();
    bool all_ops = sub != nullptr, any_op = false;
    if (sub)
      for (const auto& [sk, sv] : *sub) {
        const bool is_op = std::find(ops.begin(), ops.end(), std::string(sk.str())) != ops.end();
        all_ops = all_ops && is_op;
        any_op = any_op || is_op;
      }
    if (sub && !any_op) {
      // A nested table is a path (`report = { checks = { nonce = "ok" } }`, or TOML's bare
      // dotted keys); a key that is a misspelled operator is more likely than a result field.
      for (const auto& [sk, sv] : *sub)
        if (!sv.is_table() && !closest(sk.str(), ops).empty())
          src.fail(
              sk.source(), path,
              fmt::format("unknown operator '{}'{}; the operators are {} (a result field "
                          "of that name: write the path in quotes, \"{}.{}\")",
                          sk.str(), did_you_mean(sk.str(), ops), list_of(ops), path, sk.str()));
      read_conditions(src, *sub, path, key, subst, out, depth + 1);
      continue;
    }
    if (sub && !all_ops) {
      for (const auto& [sk, sv] : *sub)
        if (std::find(ops.begin(), ops.end(), std::string(sk.str())) == ops.end())
          src.fail(sk.source(), path,
                   fmt::format("unknown operator '{}'{}; the operators are {}", sk.str(),
                               did_you_mean(sk.str(), ops), list_of(ops)));
    }
    auto add = [&](std::string_view op, const nlohmann::json& value, const toml::node& n) {
      Condition c;
      c.path = path;
      c.where = src.at(n.source());
      const std::string err = make_condition(op, value, c);
      if (!err.empty()) src.fail(n.source(), path, err);
      out.push_back(std::move(c));
    };
    auto one = [&](std::string_view op, const toml::node& n) {
      const nlohmann::json value = subst.apply(to_json(src, n, path, 1), n.source(), path);
      // found = "${want}" with want = { at_least = 1 }: the var's table is the operators.
      const bool op_table =
          !sub && n.is_string() && value.is_object() && !value.empty() &&
          std::all_of(value.items().begin(), value.items().end(), [&](const auto& kv) {
            return std::find(ops.begin(), ops.end(), kv.key()) != ops.end();
          });
      if (!op_table) return add(op, value, n);
      for (auto it = value.begin(); it != value.end(); ++it) add(it.key(), it.value(), n);
    };
    if (sub)
      for (const auto& [sk, sv] : *sub) one(sk.str(), sv);
    else
      one("equals", v);
  }
}

struct RawStep {
  const toml::table* t = nullptr;
  size_t index = 0;
  std::string id;
  const Action* action = nullptr;
};

struct Parser {
  Src src;
  const toml::table& root;
  Scenario sc;
  uint64_t budget = kMaxExpandedBytes;

  void scenario_table() {
    const auto* n = root.get("scenario");
    if (!n)
      throw InputError(
          fmt::format("{}:1:1: key 'scenario': the [scenario] table is missing "
                      "(id and title are required)",
                      src.file));
    const auto& t = need_table(src, *n, "scenario", "[scenario]");
    only_keys(src, t, {"id", "title", "about", "cpu"}, "[scenario]");
    for (const char* req : {"id", "title"})
      if (!t.get(req)) src.fail(t.source(), req, fmt::format("[scenario] needs '{}'", req));
    sc.id = need_string(src, *t.get("id"), "id");
    if (!valid_name(sc.id))
      src.fail(t.get("id")->source(), "id",
               "must be 1 to 64 letters, digits, '-' or '_' (the file's name)");
    const std::string& f = src.file;
    if (f.size() > 5 && f.substr(f.size() - 5) == ".toml") {
      const size_t slash = f.find_last_of('/');
      const std::string stem = f.substr(slash == std::string::npos ? 0 : slash + 1);
      if (stem.substr(0, stem.size() - 5) != sc.id)
        src.fail(t.get("id")->source(), "id",
                 fmt::format("'{}' is not the file's name ('{}')", sc.id,
                             stem.substr(0, stem.size() - 5)));
    }
    sc.title = need_string(src, *t.get("title"), "title");
    if (const auto* a = t.get("about")) sc.about = need_string(src, *a, "about");
    if (const auto* c = t.get("cpu")) {
      sc.cpu = need_string(src, *c, "cpu");
      std::vector<std::string> names;
      for (const auto& m : hw::cpu_model_presets()) names.push_back(m.name);
      if (std::find(names.begin(), names.end(), sc.cpu) == names.end())
        src.fail(c->source(), "cpu",
                 fmt::format("'{}' is not a CPU preset ({}){}", sc.cpu, list_of(names),
                             did_you_mean(sc.cpu, names)));
    }
  }

  // A [vars] table into `into` (over what it holds), then checked for cycles through its vars.
  void vars_table(const toml::node& n, std::string_view key, Vars& into) {
    const auto& t = need_table(src, n, key, "name = value");
    if (t.size() > kMaxVars) src.fail(n.source(), key, fmt::format("more than {} vars", kMaxVars));
    std::vector<std::string> names;
    for (const auto& [k, v] : t) {
      const std::string name(k.str());
      if (!valid_name(name))
        src.fail(k.source(), name, "a var's name is 1 to 64 letters, digits, '-' or '_'");
      if (name == "case") src.fail(k.source(), name, "'case' is the case's id, not a var");
      into.set(name, to_json(src, v, name, 1), v.source());
      names.push_back(name);
    }
    into.check_cycles(names);
  }

  const toml::array& array_of_tables(const toml::node& n, std::string_view key) {
    const auto* a = n.as_array();
    if (!a || !a->is_array_of_tables())
      src.fail(n.source(), key, fmt::format("must be an array of tables ([[{}]])", key));
    return *a;
  }

  void run() {
    static const std::vector<std::string> tables = {"scenario", "vars", "case", "step", "expect"};
    for (const auto& [k, v] : root) {
      const std::string name(k.str());
      if (std::find(tables.begin(), tables.end(), name) == tables.end())
        src.fail(k.source(), name,
                 fmt::format("unknown table{}; a scenario has [scenario], [vars], [[case]], "
                             "[[step]] and [[expect]]",
                             did_you_mean(name, tables)));
    }
    scenario_table();
    Vars globals(src, budget);
    if (root.get("vars")) vars_table(*root.get("vars"), "vars", globals);

    // Cases: ids and their vars (over the globals).
    struct Case {
      std::string id;
      Vars vars;
    };
    std::vector<Case> cases;
    if (const auto* cn = root.get("case")) {
      const auto& arr = array_of_tables(*cn, "case");
      if (arr.size() > kMaxCases)
        src.fail(cn->source(), "case", fmt::format("more than {} cases", kMaxCases));
      for (const auto& e : arr) {
        const auto& t = *e.as_table();
        only_keys(src, t, {"id", "vars"}, "[[case]]");
        if (!t.get("id")) src.fail(t.source(), "id", "[[case]] needs an 'id'");
        const std::string id = need_string(src, *t.get("id"), "id");
        if (!valid_name(id))
          src.fail(t.get("id")->source(), "id", "must be 1 to 64 letters, digits, '-' or '_'");
        for (const auto& c : cases)
          if (c.id == id)
            src.fail(t.get("id")->source(), "id", fmt::format("case '{}' is defined twice", id));
        Vars vars = globals;
        vars.set("case", id, t.get("id")->source());
        if (const auto* v = t.get("vars")) vars_table(*v, "vars", vars);
        cases.push_back({id, vars});
        sc.cases.push_back(id);
      }
    }
    if (cases.empty()) cases.push_back({"", globals});

    // Steps: each table's own checks once, then expanded per case.
    std::vector<RawStep> raw;
    if (const auto* sn = root.get("step")) {
      const auto& arr = array_of_tables(*sn, "step");
      if (arr.size() * cases.size() > kMaxSteps)
        src.fail(sn->source(), "step",
                 fmt::format("{} steps in {} case(s): more than {}", arr.size(), cases.size(),
                             kMaxSteps));
      std::set<std::string> ids;
      for (const auto& e : arr) {
        RawStep r{e.as_table(), raw.size() + 1, "", nullptr};
        const auto& t = *r.t;
        const auto* d = t.get("do");
        if (!d) src.fail(t.source(), "do", "[[step]] needs 'do' (the action)");
        const std::string name = need_string(src, *d, "do");
        r.action = find_action(name);
        if (!r.action)
          src.fail(d->source(), "do",
                   fmt::format("unknown action '{}'{} (`cbit run --list-actions` lists them)", name,
                               did_you_mean(name, action_names())));
        if (const auto* idn = t.get("id")) {
          r.id = need_string(src, *idn, "id");
          if (!valid_name(r.id))
            src.fail(idn->source(), "id",
                     "a step id is 1 to 64 letters, digits, '-' or '_' (no dots)");
          if (std::find(sc.cases.begin(), sc.cases.end(), r.id) != sc.cases.end())
            src.fail(idn->source(), "id", fmt::format("'{}' is also a case's id", r.id));
          if (!ids.insert(r.id).second)
            src.fail(idn->source(), "id", fmt::format("step id '{}' is used twice", r.id));
        }
        std::vector<std::string> allowed = {"do", "id", "expect", "check"};
        for (const auto& k : r.action->keys) allowed.push_back(k.name);
        for (const auto& [k, v] : t) {
          const std::string kn(k.str());
          if (std::find(allowed.begin(), allowed.end(), kn) == allowed.end())
            src.fail(k.source(), kn,
                     fmt::format("action '{}' has no key '{}'{}; it takes {}", name, kn,
                                 did_you_mean(kn, allowed), list_of(allowed)));
        }
        for (const auto& k : r.action->keys)
          if (k.required && !t.get(k.name))
            src.fail(t.source(), k.name,
                     fmt::format("action '{}' needs '{}' ({})", name, k.name, k.doc));
        if (const auto* c = t.get("check")) {
          need_string(src, *c, "check");
          if (!t.get("expect"))
            src.fail(c->source(), "check", "a 'check' text needs an 'expect' table to check");
        }
        if (const auto* x = t.get("expect")) need_table(src, *x, "expect", "{ result = value }");
        raw.push_back(r);
      }
    }

    std::vector<std::string> done;  // full ids of the steps expanded so far
    for (const auto& c : cases) {
      const Subst subst(src, c.vars, budget);
      for (const auto& r : raw) done.push_back(expand(r, c.id, subst, c.vars).full_id);
    }

    if (const auto* xn = root.get("expect")) {
      const auto& arr = array_of_tables(*xn, "expect");
      const Subst subst(src, globals, budget);
      for (const auto& e : arr) {
        const auto& t = *e.as_table();
        only_keys(src, t, {"check", "that"}, "[[expect]]");
        if (!t.get("that"))
          src.fail(t.source(), "that", "[[expect]] needs 'that' (results and their values)");
        Expectation x;
        x.where = src.at(t.source());
        read_conditions(src, need_table(src, *t.get("that"), "that", "{ \"step.result\" = value }"),
                        "", "that", subst, x.that, 1);
        for (auto& cond : x.that) resolve_step(cond, done, t.get("that")->source());
        if (const auto* ck = t.get("check"))
          x.check = subst.apply(need_string(src, *ck, "check"), ck->source(), "check");
        else
          x.check = describe(x.that);
        sc.expects.push_back(std::move(x));
      }
    }
  }

  // Which part of a top-level path names no step: "step 'plain.logs' does not exist; did you
  // mean 'plain.log'?" (with cases, a path's first part is a case id).
  std::string missing_step(const std::string& path, const std::vector<std::string>& ids) const {
    std::vector<std::string> named;
    for (const auto& id : ids)
      if (!id.empty()) named.push_back(id);
    const size_t dot = path.find('.');
    const std::string head = path.substr(0, dot);
    const bool is_case = std::find(sc.cases.begin(), sc.cases.end(), head) != sc.cases.end();
    if (is_case && dot == std::string::npos)
      return fmt::format("'{}' is a case: a path is \"{}.STEP.FIELD\"", head, head);
    std::string step = head;
    if (is_case) {
      const size_t dot2 = path.find('.', dot + 1);
      step = path.substr(0, dot2);
    }
    std::string hint = did_you_mean(step, named);
    if (hint.empty() && !is_case && !sc.cases.empty())
      hint = did_you_mean(head, sc.cases).empty()
                 ? fmt::format(" (a path starts with a case's id: \"{}.STEP.FIELD\")",
                               sc.cases.front())
                 : fmt::format(" (did you mean the case '{}'?)", closest(head, sc.cases));
    if (!hint.empty()) hint = "; " + hint.substr(2, hint.size() - 3);
    return fmt::format("step '{}' does not exist{}", step, hint);
  }

  // A top-level path "tsme.cb.found": the longest prefix that is a step's full id.
  void resolve_step(Condition& c, const std::vector<std::string>& ids,
                    const toml::source_region& r) {
    std::string best;
    for (const auto& id : ids)
      if (!id.empty() && id.size() > best.size() &&
          (c.path == id || c.path.rfind(id + ".", 0) == 0))
        best = id;
    if (best.empty())
      throw InputError(fmt::format("{}: key '{}': {}", c.where.empty() ? src.at(r) : c.where,
                                   c.path, missing_step(c.path, ids)));
    c.step = best;
    c.path = c.path.size() > best.size() ? c.path.substr(best.size() + 1) : "";
  }

  const Step& expand(const RawStep& r, const std::string& case_id, const Subst& subst,
                     const Vars& subst_vars) {
    const auto& t = *r.t;
    Step s;
    s.index = r.index;
    s.id = r.id;
    s.case_id = case_id;
    s.full_id = r.id.empty() ? "" : (case_id.empty() ? r.id : case_id + "." + r.id);
    s.action = r.action;
    s.pos = src.at(t.source());
    s.where =
        fmt::format("{} (step {}{})", s.pos, r.index, case_id.empty() ? "" : ", case " + case_id);
    // ${step.field}: an earlier step of this case by its id, or any earlier step by full id.
    const Subst keys(src, subst_vars, budget, [&](std::string_view ref) -> std::string {
      const std::string head(ref.substr(0, ref.find('.')));
      for (auto it = sc.steps.rbegin(); it != sc.steps.rend(); ++it)
        if (it->case_id == case_id && it->id == head && !it->id.empty())
          return it->full_id + std::string(ref.substr(head.size()));
      std::string best;
      for (const auto& e : sc.steps)
        if (!e.full_id.empty() && e.full_id.size() > best.size() && ref.size() > e.full_id.size() &&
            ref.substr(0, e.full_id.size()) == e.full_id && ref[e.full_id.size()] == '.')
          best = e.full_id;
      return best.empty() ? "" : std::string(ref);
    });
    for (const auto& k : r.action->keys) {
      const auto* n = t.get(k.name);
      if (!n) continue;
      nlohmann::json v = keys.apply(to_json(src, *n, k.name, 1), n->source(), k.name);
      if (keys.take_deferred())
        s.deferred.push_back(k.name);  // its type is checked when the engine fills it in
      else
        check_value(src, k, v, n->source());
      s.args[k.name] = std::move(v);
      s.key_where[k.name] = src.at(n->source());
    }
    if (r.action->check && s.deferred.empty())
      r.action->check(JsonArgs(s.args, s.where, s.key_where));
    if (const auto* x = t.get("expect"))
      read_conditions(src, *x->as_table(), "", "expect", subst, s.expect, 1);
    if (const auto* c = t.get("check"))
      s.check = subst.apply(c->as_string()->get(), c->source(), "check").get<std::string>();
    else if (!s.expect.empty())
      s.check =
          fmt::format("{}: {}", s.full_id.empty() ? r.action->name : s.full_id, describe(s.expect));
    sc.steps.push_back(std::move(s));
    return sc.steps.back();
  }
};

// toml++ builds a table per part of a dotted key (`a.b.c = 1`, `[a.b.c]`) and frees them
// recursively: 400 000 parts in a 1 MiB file exhaust the stack. Its own depth limit covers
// only nested values, so the parts are counted here, per line, outside strings and comments
// (a key cannot span lines). Returns the first line with more than kMaxKeyParts dots, or 0.
size_t line_with_deep_key(std::string_view text) {
  size_t line = 1, dots = 0;
  enum { Code, Basic, Literal, MlBasic, MlLiteral, Comment } st = Code;
  constexpr std::string_view kMlBasic = "\"\"\"", kMlLiteral = "'''";
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      dots = 0;
      if (st == Comment || st == Basic || st == Literal) st = Code;
      continue;
    }
    switch (st) {
      case Code:
        if (text.substr(i, 3) == kMlBasic) {
          st = MlBasic;
          i += 2;
        } else if (text.substr(i, 3) == kMlLiteral) {
          st = MlLiteral;
          i += 2;
        } else if (c == '"') {
          st = Basic;
        } else if (c == '\'') {
          st = Literal;
        } else if (c == '#') {
          st = Comment;
        } else if (c == '.' && ++dots > kMaxKeyParts) {
          return line;
        }
        break;
      case Basic:
      case MlBasic:
        if (c == '\\') {
          if (i + 1 < text.size() && text[i + 1] == '\n') ++line;
          ++i;
        } else if (st == Basic && c == '"') {
          st = Code;
        } else if (st == MlBasic && text.substr(i, 3) == kMlBasic) {
          st = Code;
          i += 2;
        }
        break;
      case Literal:
        if (c == '\'') st = Code;
        break;
      case MlLiteral:
        if (text.substr(i, 3) == kMlLiteral) {
          st = Code;
          i += 2;
        }
        break;
      case Comment:
        break;
    }
  }
  return 0;
}

}  // namespace

std::string value_error(const Key& key, const nlohmann::json& v) {
  switch (key.type) {
    case KeyType::String:
      if (!v.is_string()) return (fmt::format("must be a string, not {}", v.type_name()));
      if (!key.choices.empty() && std::find(key.choices.begin(), key.choices.end(),
                                            v.get<std::string>()) == key.choices.end())
        return (fmt::format("'{}' is not one of {}{}", v.get<std::string>(), list_of(key.choices),
                            did_you_mean(v.get<std::string>(), key.choices)));
      return "";
    case KeyType::Integer:
      if (v.is_number_integer() && (v.is_number_unsigned() || v.get<int64_t>() >= 0)) return "";
      return (fmt::format("must be a whole number from 0 to 2^63-1, not {}", v.dump()));
    case KeyType::Bool:
      if (!v.is_boolean()) return (fmt::format("must be true or false, not {}", v.dump()));
      return "";
    case KeyType::Size:
      if (v.is_number_integer() && (v.is_number_unsigned() || v.get<int64_t>() >= 0)) return "";
      if (v.is_string() && parse_size(v.get<std::string>())) return "";
      return (
          fmt::format("{} is not a size (bytes, or a number with K, M, G, T, KiB, MiB, GiB, "
                      "TiB: \"64M\")",
                      v.dump()));
    case KeyType::StringList:
      if (v.is_string())
        return fmt::format("must be a list of strings: [{}], not {}", v.dump(), v.dump());
      if (v.is_array() &&
          std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_string(); }))
        return "";
      return ("must be a list of strings ([\"a\", \"b\"])");
    case KeyType::Table:
      if (!v.is_object()) return ("must be a table ({ name = value, ... })");
      return "";
  }
  return "";
}

size_t edit_distance(std::string_view a, std::string_view b) {
  if (a.size() > 256 || b.size() > 256) return std::max(a.size(), b.size());
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(std::string_view word, const std::vector<std::string>& names) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& n : names) {
    const size_t d = edit_distance(word, n);
    if (d < best_d) {
      best_d = d;
      best = n;
    }
  }
  const size_t limit = std::max<size_t>(2, std::min(word.size(), best.size()) / 3);
  return best_d <= limit && best_d < std::max(word.size(), best.size()) ? best : "";
}

Scenario parse_scenario(std::string_view text, const std::string& file) {
  if (text.size() > kMaxScenarioBytes)
    throw InputError(fmt::format("{}: larger than a scenario file can be ({} bytes; at most {})",
                                 file, text.size(), kMaxScenarioBytes));
  if (text.find('\0') != std::string_view::npos)
    throw InputError(fmt::format("{}: not a text file (it holds a NUL byte)", file));
  if (const size_t line = line_with_deep_key(text))
    throw InputError(fmt::format("{}:{}:1: a key or table name of more than {} dotted parts", file,
                                 line, kMaxKeyParts + 1));
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}:{}: TOML syntax: {}", file, e.source().begin.line,
                                 e.source().begin.column, e.description()));
  }
  Parser p{Src{file}, root, {}};
  p.sc.file = file;
  p.run();
  return std::move(p.sc);
}

Scenario load_scenario(const std::string& path) {
  static constexpr InputKind kScenario{"a scenario file", kMaxScenarioBytes};
  const Bytes b = read_file(path, kScenario);
  return parse_scenario(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), path);
}

}  // namespace cbit::scenario
