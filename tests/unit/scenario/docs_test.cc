// docs/scenarios.md documents every action and every key of all_actions(): an action under a
// heading `### do = "NAME"`, each key as a table row "| `KEY` |" in that action's section.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "scenario/action.h"

namespace cbit::scenario {
namespace {

// "do = \"x\": key 'k'" for each action or key the doc lacks.
std::vector<std::string> missing_from_doc(const std::string& doc, const std::vector<Action>& acts) {
  std::vector<std::string> missing;
  for (const auto& a : acts) {
    const std::string heading = "\n### do = \"" + a.name + "\"";
    const size_t at = doc.find(heading);
    if (at == std::string::npos) {
      missing.push_back("action '" + a.name + "'");
      continue;
    }
    const size_t end = doc.find("\n#", at + heading.size());
    const std::string section = doc.substr(at, end == std::string::npos ? end : end - at);
    for (const auto& k : a.keys)
      if (section.find("\n| `" + k.name + "` |") == std::string::npos)
        missing.push_back("action '" + a.name + "': key '" + k.name + "'");
  }
  return missing;
}

TEST(ScenarioDocs, EveryActionAndKeyIsDocumented) {
  std::ifstream f(std::string(CBIT_SOURCE_DIR) + "/docs/scenarios.md");
  ASSERT_TRUE(f) << "docs/scenarios.md";
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  const auto missing = missing_from_doc(doc, all_actions());
  for (const auto& m : missing) ADD_FAILURE() << "docs/scenarios.md lacks " << m;
  EXPECT_GE(all_actions().size(), 10u);

  // Control: the same check finds a key whose row is gone, and an action whose heading is gone.
  std::string no_row = doc;
  const size_t row = no_row.find("\n| `dram` |");
  ASSERT_NE(row, std::string::npos);
  no_row.erase(row, 3);
  EXPECT_EQ(missing_from_doc(no_row, all_actions()),
            std::vector<std::string>{"action 'machine': key 'dram'"});
  std::string no_heading = doc;
  no_heading.erase(no_heading.find("\n### do = \"reboot\""), 5);
  EXPECT_EQ(missing_from_doc(no_heading, all_actions()),
            std::vector<std::string>{"action 'reboot'"});
}

TEST(ScenarioActions, NamesAreUniqueAndKeysDeclaredOnce) {
  std::vector<std::string> names;
  for (const auto& a : all_actions()) {
    EXPECT_EQ(find_action(a.name), &a);
    EXPECT_FALSE(a.summary.empty()) << a.name;
    EXPECT_TRUE(a.run) << a.name;
    std::vector<std::string> keys;
    for (const auto& k : a.keys) {
      EXPECT_FALSE(k.doc.empty()) << a.name << "." << k.name;
      for (const char* reserved : {"do", "id", "expect", "check"})
        EXPECT_NE(k.name, reserved) << a.name << " declares a step's own key";
      for (const auto& seen : keys) EXPECT_NE(seen, k.name) << a.name;
      keys.push_back(k.name);
    }
    for (const auto& n : names) EXPECT_NE(n, a.name);
    names.push_back(a.name);
  }
  EXPECT_EQ(find_action("no-such-action"), nullptr);
}

}  // namespace
}  // namespace cbit::scenario
