// The demo sections that are scenario files (issue 11 §1): the compiled-in file parsed and run
// by the scenario engine, its transcript and checks returned as the demo's Section, so `cbit
// demo` and `cbit run examples/scenarios/<section>.toml` print the same lines.
#include <string>

#include "demo/demo.h"
#include "scenario/embedded.h"
#include "scenario/engine.h"
#include "scenario/parse.h"

namespace cbit::demo {

namespace {

scenario::Scenario parse_section(const std::string& name) {
  const auto* f = scenario::embedded_scenario(name);
  return scenario::parse_scenario(f->text, std::string(f->path));
}

}  // namespace

std::string section_file(const std::string& name) {
  const auto* f = scenario::embedded_scenario(name);
  return f ? std::string(f->path) : "";
}

void check_scenario_section(const std::string& name) { parse_section(name); }

Section run_scenario_section(const std::string& name, const DemoOptions& opt) {
  const scenario::Scenario sc = parse_section(name);
  scenario::RunOptions ro;
  ro.cpu = opt.cpu_overrides_files ? opt.cpu : "";
  ro.overrides = opt.overrides;
  ro.seed = opt.seed;
  ro.workdir = opt.workdir;
  const scenario::RunResult r = scenario::run_scenario(sc, ro);
  Section s;
  s.id = sc.id;
  s.title = sc.title;
  s.file = sc.file;
  s.checks_in_lines = true;
  s.lines = r.transcript;
  for (const auto& c : r.checks) s.checks.push_back({c.check, c.ok, c.saw});
  s.data = r.results;
  return s;
}

}  // namespace cbit::demo
