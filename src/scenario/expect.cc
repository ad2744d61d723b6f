#include "scenario/expect.h"

#include <fmt/format.h>

#include <algorithm>

namespace cbit::scenario {

namespace {

std::string show(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 200) s = s.substr(0, 197) + "...";
  return s;
}

std::string full_path(const Condition& c) {
  if (c.step.empty()) return c.path;
  return c.path.empty() ? c.step : c.step + "." + c.path;
}

bool holds(const Condition& c, const nlohmann::json& v) {
  switch (c.op) {
    case Op::Equals:
      return v == c.value;
    case Op::Not:
      return v != c.value;
    case Op::AtLeast:
      return v.is_number() && v >= c.value;
    case Op::AtMost:
      return v.is_number() && v <= c.value;
    case Op::Contains:
      if (v.is_string() && c.value.is_string())
        return v.get_ref<const std::string&>().find(c.value.get_ref<const std::string&>()) !=
               std::string::npos;
      if (v.is_array()) return std::find(v.begin(), v.end(), c.value) != v.end();
      return false;
    case Op::Matches: {
      // libstdc++'s regex recurses per character: a result string longer than
      // kMaxMatchSubject fails the condition instead of exhausting the stack.
      const auto one = [&](const nlohmann::json& e) {
        return e.is_string() && c.re &&
               e.get_ref<const std::string&>().size() <= kMaxMatchSubject &&
               std::regex_search(e.get_ref<const std::string&>(), *c.re);
      };
      return v.is_array() ? std::any_of(v.begin(), v.end(), one) : one(v);
    }
    case Op::OneOf:
      return std::find(c.value.begin(), c.value.end(), v) != c.value.end();
  }
  return false;
}

}  // namespace

const std::vector<std::string>& operator_names() {
  static const std::vector<std::string> n = {"equals",   "not",     "at_least", "at_most",
                                             "contains", "matches", "one_of"};
  return n;
}

std::string make_condition(std::string_view op_name, const nlohmann::json& value, Condition& c) {
  c.value = value;
  if (op_name == "equals") {
    c.op = Op::Equals;
  } else if (op_name == "not") {
    c.op = Op::Not;
  } else if (op_name == "at_least" || op_name == "at_most") {
    c.op = op_name == "at_least" ? Op::AtLeast : Op::AtMost;
    if (!value.is_number()) return fmt::format("{} takes a number", op_name);
  } else if (op_name == "contains") {
    c.op = Op::Contains;
  } else if (op_name == "matches") {
    c.op = Op::Matches;
    if (!value.is_string()) return "matches takes a regular expression (a string)";
    const auto& s = value.get_ref<const std::string&>();
    if (s.size() > kMaxRegexBytes)
      return fmt::format("the regular expression is longer than {} bytes", kMaxRegexBytes);
    // libstdc++ builds one automaton state per repetition of a{n}: the counts are bounded.
    uint64_t counts = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
        continue;
      }
      if (s[i] != '{') continue;
      uint64_t n = 0;
      for (size_t j = i + 1; j < s.size() && s[j] != '}'; ++j)
        if (s[j] >= '0' && s[j] <= '9') {
          n = std::min<uint64_t>(n * 10 + uint64_t(s[j] - '0'), 1u << 20);
        } else {
          counts += n;
          n = 0;
        }
      counts += n;
    }
    if (counts > kMaxRegexRepeats)
      return fmt::format("the repetition counts {{n,m}} of the expression add up to more than {}",
                         kMaxRegexRepeats);
    try {
      c.re = std::make_shared<const std::regex>(s, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return fmt::format("not a regular expression: {}", e.what());
    }
  } else if (op_name == "one_of") {
    c.op = Op::OneOf;
    if (!value.is_array() || value.empty()) return "one_of takes a non-empty list";
  } else {
    return fmt::format("unknown operator '{}'", op_name);
  }
  return "";
}

const nlohmann::json* lookup(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* cur = &root;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view part = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    if (cur->is_object()) {
      const auto it = cur->find(std::string(part));
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      size_t i = 0;
      if (part.empty() || part.size() > 9 ||
          !std::all_of(part.begin(), part.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        return nullptr;
      for (char ch : part) i = i * 10 + size_t(ch - '0');
      if (i >= cur->size()) return nullptr;
      cur = &(*cur)[i];
    } else {
      return nullptr;
    }
  }
  return cur;
}

Outcome evaluate(const std::vector<Condition>& conds, const nlohmann::json& results,
                 const nlohmann::json& own) {
  Outcome o;
  std::vector<std::string> seen;
  for (const auto& c : conds) {
    const nlohmann::json* root = &own;
    if (!c.step.empty()) {
      const auto it = results.find(c.step);
      root = it == results.end() ? nullptr : &*it;
    }
    const nlohmann::json* v = root ? lookup(*root, c.path) : nullptr;
    if (v && holds(c, *v)) continue;
    o.ok = false;
    const std::string p = full_path(c);
    const std::string line = fmt::format("{} = {}", p, v ? show(*v) : "(nothing)");
    if (std::find(seen.begin(), seen.end(), line) == seen.end()) seen.push_back(line);
  }
  for (size_t i = 0; i < seen.size(); ++i) o.saw += (i ? ", " : "") + seen[i];
  return o;
}

std::string describe(const std::vector<Condition>& conds) {
  std::string out;
  for (const auto& c : conds) {
    const std::string p = full_path(c);
    std::string one;
    switch (c.op) {
      case Op::Equals:
        one = fmt::format("{} = {}", p, show(c.value));
        break;
      case Op::Not:
        one = fmt::format("{} is not {}", p, show(c.value));
        break;
      case Op::AtLeast:
        one = fmt::format("{} at least {}", p, show(c.value));
        break;
      case Op::AtMost:
        one = fmt::format("{} at most {}", p, show(c.value));
        break;
      case Op::Contains:
        one = fmt::format("{} contains {}", p, show(c.value));
        break;
      case Op::Matches:
        one = fmt::format("{} matches {}", p, show(c.value));
        break;
      case Op::OneOf:
        one = fmt::format("{} is one of {}", p, show(c.value));
        break;
    }
    out += (out.empty() ? "" : ", ") + one;
  }
  return out;
}

}  // namespace cbit::scenario
