// `say`: a line of the transcript, written by the scenario (an explanation between steps).
#include "scenario/action.h"
#include "scenario/run.h"

namespace cbit::scenario {

void add_say_actions(std::vector<Action>& out) {
  out.push_back({"say",
                 "print a line (or several) in the transcript",
                 {{"text", KeyType::String, true, "", "the line; a newline starts another", {}}},
                 [](const Args& args, Run& run) {
                   const std::string text = args.str("text");
                   size_t start = 0;
                   for (size_t nl; (nl = text.find('\n', start)) != std::string::npos;
                        start = nl + 1)
                     run.say(text.substr(start, nl - start));
                   if (start < text.size() || text.empty()) run.say(text.substr(start));
                   return nlohmann::json::object();
                 },
                 {}});
}

}  // namespace cbit::scenario
