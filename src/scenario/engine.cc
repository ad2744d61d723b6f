#include "scenario/engine.h"

#include <fmt/format.h>

#include <algorithm>

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

RunResult run_scenario(const Scenario& sc, RunOptions opt) {
  if (opt.cpu.empty()) opt.cpu = sc.cpu.empty() ? "naples" : sc.cpu;
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
    if (s.case_id != case_id) {
      run.end_case(case_id);
      case_id = s.case_id;
    }
    run.begin_step(s.case_id, s.id, s.where);
    const JsonArgs args(s.args, s.where, s.key_where);
    nlohmann::json result = s.action->run(args, run);
    if (result.is_null()) result = nlohmann::json::object();
    take_lines();
    const std::string key =
        s.full_id.empty() ? fmt::format("#{}", out.steps.size() + 1) : s.full_id;
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
