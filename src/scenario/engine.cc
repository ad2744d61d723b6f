#include "scenario/engine.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "common/error.h"
#include "scenario/json_args.h"

namespace cbit::scenario {

bool RunResult::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const CheckResult& c) { return c.ok; });
}

nlohmann::json RunResult::to_json() const {
  nlohmann::json cs = nlohmann::json::array();
  for (const auto& c : checks) {
    nlohmann::json j{{"check", c.check}, {"ok", c.ok}};
    j["saw"] = c.ok ? nlohmann::json(nullptr) : nlohmann::json(c.saw);
    if (!c.step.empty()) j["step"] = c.step;
    cs.push_back(std::move(j));
  }
  return {{"scenario", id}, {"title", title},           {"file", file}, {"steps", steps},
          {"checks", cs},   {"transcript", transcript}, {"ok", ok()}};
}

std::string check_line(const CheckResult& c) {
  if (c.ok) return "  [ ok ] " + c.check;
  return "  [FAIL] " + c.check + (c.saw.empty() ? "" : " — saw " + c.saw);
}

namespace {

// The value of "${off.cb.found}": the result of the longest full step id that prefixes it.
const nlohmann::json* result_at(const nlohmann::json& results, std::string_view ref) {
  const nlohmann::json* best = nullptr;
  size_t best_len = 0;
  for (auto it = results.begin(); it != results.end(); ++it) {
    const std::string& id = it.key();
    if (id.size() > best_len && ref.size() > id.size() && ref.substr(0, id.size()) == id &&
        ref[id.size()] == '.') {
      best = &it.value();
      best_len = id.size();
    }
  }
  return best ? lookup(*best, ref.substr(best_len + 1)) : nullptr;
}

// Why "${off.scan.found_in_shared}" names nothing: the first part of the path after the step
// that does not exist, with the nearest field there ("; did you mean 'found_shared'?").
std::string missing_result(const nlohmann::json& results, std::string_view ref) {
  std::string step;
  for (auto it = results.begin(); it != results.end(); ++it)
    if (it.key().size() > step.size() && ref.size() > it.key().size() &&
        ref.substr(0, it.key().size()) == it.key() && ref[it.key().size()] == '.')
      step = it.key();
  if (step.empty()) return "no step before this one has that id";
  const nlohmann::json* at = &results[step];
  std::string_view rest = ref.substr(step.size() + 1);
  std::string field;  // the path inside the result so far
  while (true) {
    const size_t dot = rest.find('.');
    const std::string part(rest.substr(0, dot));
    const nlohmann::json* next = lookup(*at, part);
    if (!next || dot == std::string_view::npos) {
      std::vector<std::string> names;
      if (at->is_object())
        for (auto it = at->begin(); it != at->end() && names.size() < 16; ++it)
          names.push_back(it.key());
      const std::string near = closest(part, names);
      std::string hint;
      if (!near.empty()) {  // every field as near as the nearest: "'found_shared' or ..."
        std::vector<std::string> ties;
        for (const auto& n : names)
          if (edit_distance(part, n) == edit_distance(part, near))
            ties.push_back("'" + field + n + "'");
        hint = fmt::format("; did you mean {}?", fmt::join(ties, " or "));
      } else if (!names.empty())
        hint = fmt::format(" (it has {})", fmt::join(names, ", "));
      return fmt::format("step '{}' has no result '{}'{}", step, field + part, hint);
    }
    field += part + ".";
    at = next;
    rest = rest.substr(dot + 1);
  }
}

// Fills in a deferred value's ${step.field} references (parse.h) and undoes its "$$".
nlohmann::json fill(const nlohmann::json& v, const nlohmann::json& results,
                    const std::string& where) {
  if (v.is_array() || v.is_object()) {
    nlohmann::json out = v;
    for (auto& e : out) e = fill(e, results, where);
    return out;
  }
  if (!v.is_string()) return v;
  const std::string& s = v.get_ref<const std::string&>();
  const auto get = [&](std::string_view ref) -> const nlohmann::json& {
    const nlohmann::json* r = result_at(results, ref);
    if (!r)
      throw InputError(fmt::format("{}: ${{{}}}: {}", where, ref, missing_result(results, ref)));
    return *r;
  };
  if (s.size() > 3 && s.rfind("${", 0) == 0 && s.find('}') == s.size() - 1)
    return get(std::string_view(s).substr(2, s.size() - 3));
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 2, "$$") == 0) {
      out += '$';
      i += 2;
    } else if (s.compare(i, 2, "${") == 0 && s.find('}', i) != std::string::npos) {
      const size_t end = s.find('}', i);
      const nlohmann::json& r = get(std::string_view(s).substr(i + 2, end - i - 2));
      out += r.is_string() ? r.get<std::string>() : r.dump();
      i = end + 1;
    } else {
      out += s[i++];
    }
    if (out.size() > kMaxStringBytes)
      throw InputError(
          fmt::format("{}: longer than {} bytes once filled in", where, kMaxStringBytes));
  }
  return out;
}

}  // namespace

RunResult run_scenario(const Scenario& sc, RunOptions opt) {
  // --cpu, else the file's; with neither, each action's own default (machine: naples,
  // attack: milan, attest: genoa; docs/scenarios.md).
  if (opt.cpu.empty()) opt.cpu = sc.cpu;
  RunResult out;
  out.id = sc.id;
  out.title = sc.title;
  out.about = sc.about;
  out.file = sc.file;
  // The about paragraph opens the transcript, wrapped (the same lines in `cbit run` and demo).
  std::string line;
  for (size_t i = 0; i < sc.about.size();) {
    const size_t sp = sc.about.find_first_of(" \n", i);
    const std::string word = sc.about.substr(i, sp == std::string::npos ? sp : sp - i);
    if (!line.empty() && line.size() + 1 + word.size() > 96) {
      out.transcript.push_back(line);
      line.clear();
    }
    if (!word.empty()) line += (line.empty() ? "  " : " ") + word;
    i = sp == std::string::npos ? sc.about.size() : sp + 1;
  }
  if (!line.empty()) out.transcript.push_back(line);
  Run run(std::move(opt));
  std::string case_id;
  size_t seen_lines = 0;
  auto take_lines = [&] {
    const auto& l = run.lines();
    for (; seen_lines < l.size(); ++seen_lines) {
      out.transcript.push_back(l[seen_lines]);
      out.lines.push_back(l[seen_lines]);
    }
  };
  for (const auto& s : sc.steps) {
    const std::string key =
        s.full_id.empty() ? fmt::format("#{}", out.steps.size() + 1) : s.full_id;
    nlohmann::json result;
    try {
      if (s.case_id != case_id) {
        run.end_case(case_id);
        case_id = s.case_id;
      }
      run.begin_step(s.case_id, s.id, s.where);
      nlohmann::json values = s.args;
      for (const auto& k : s.deferred) {
        const auto it = s.key_where.find(k);
        const std::string where =
            fmt::format("{}: key '{}'", it == s.key_where.end() ? s.where : it->second, k);
        values[k] = fill(values[k], run.results(), where);
        for (const auto& ak : s.action->keys)
          if (ak.name == k)
            if (const std::string e = value_error(ak, values[k]); !e.empty())
              throw InputError(where + ": " + e);
      }
      const JsonArgs args(std::move(values), s.where, s.key_where);
      if (!s.deferred.empty() && s.action->check) s.action->check(args);
      result = s.action->run(args, run);
    } catch (const std::exception& e) {
      take_lines();
      out.results = run.results();
      const std::string what = e.what();
      throw StepError(
          what.rfind(sc.file + ":", 0) == 0
              ? what
              : fmt::format("{}: step {} (do = \"{}\"): {}", s.pos, key, s.action->name, what),
          std::move(out));
    }
    if (result.is_null()) result = nlohmann::json::object();
    take_lines();
    run.results()[key] = result;
    nlohmann::json step{{"id", key}, {"do", s.action->name}, {"result", result}};
    if (!s.case_id.empty()) step["case"] = s.case_id;
    out.steps.push_back(std::move(step));
    if (!s.expect.empty()) {
      const Outcome o = evaluate(s.expect, run.results(), result);
      out.checks.push_back({s.check, o.ok, o.saw, s.full_id});
      out.transcript.push_back(check_line(out.checks.back()));
    }
  }
  run.end_case(case_id);
  for (const auto& x : sc.expects) {
    const Outcome o = evaluate(x.that, run.results(), nlohmann::json::object());
    out.checks.push_back({x.check, o.ok, o.saw, ""});
    out.transcript.push_back(check_line(out.checks.back()));
  }
  out.results = run.results();
  return out;
}

}  // namespace cbit::scenario
