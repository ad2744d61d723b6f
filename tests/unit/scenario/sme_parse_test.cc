// The sme, smetest and dma actions' own limits are found by the parser, before anything runs, as
// one line naming the file, line, column and key; each beside a control the parser accepts.
#include <gtest/gtest.h>

#include <string>

#include "scenario/parse.h"
#include "unit/input_error.h"

namespace cbit::scenario {
namespace {

const std::string kHead = "[scenario]\nid = \"t\"\ntitle = \"T\"\n[[step]]\n";  // lines 1-4

std::string err(const std::string& step) {
  return testutil::error_of([&] { parse_scenario(kHead + step, "t.toml"); });
}

TEST(SmeParse, EachActionsLimitsAreCheckedBeforeAnythingRuns) {
  struct Case {
    std::string bad, good, where;
  };
  const Case cases[] = {
      {"do = \"alloc-pages\"\ntext = \"x\"\ncount = 0\n",
       "do = \"alloc-pages\"\ntext = \"x\"\ncount = 4096\n", "t.toml:7:9: key 'count'"},
      {"do = \"alloc-pages\"\ntext = \"\"\n", "do = \"alloc-pages\"\ntext = \"a\"\n",
       "t.toml:6:8: key 'text'"},
      {"do = \"dump-pages\"\npages = []\n", "do = \"dump-pages\"\npages = [\"vm\"]\n",
       "t.toml:6:9: key 'pages'"},
      {"do = \"dump-pages\"\npages = [\"vm\"]\npeek = 65\n",
       "do = \"dump-pages\"\npages = [\"vm\"]\npeek = 64\n", "t.toml:7:8: key 'peek'"},
      {"do = \"smetest-insmod\"\nsecret = \"\"\n", "do = \"smetest-insmod\"\nsecret = \"s\"\n",
       "t.toml:6:10: key 'secret'"},
      {"do = \"dma-device\"\ndma_mask = 65\n", "do = \"dma-device\"\ndma_mask = 12\n",
       "t.toml:6:12: key 'dma_mask'"},
      {"do = \"dma-transfer\"\nvia = \"dma_alloc_coherent\"\n",
       "do = \"dma-transfer\"\nvia = \"virt_to_phys\"\n", "t.toml:6:7: key 'via'"},
      {"do = \"dma-transfer\"\nsend = \"\"\n", "do = \"dma-transfer\"\nsend = \"p\"\n",
       "t.toml:6:8: key 'send'"},
      {"do = \"smetest-ioctl\"\n", "do = \"smetest-ioctl\"\ncmd = 1\n", "key 'cmd'"},
  };
  for (const auto& c : cases) {
    const std::string e = err(c.bad);
    EXPECT_NE(e.find(c.where), std::string::npos) << "want '" << c.where << "' in: " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    EXPECT_EQ(err(c.good), "") << c.good;
  }
}

}  // namespace
}  // namespace cbit::scenario
