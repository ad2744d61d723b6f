// The world of one running scenario: the objects its steps made (machines, host kernels, SEV
// hosts, guests, probes, dumps), each under the step `id` that made it, the transcript, and the
// options of the run (`cbit run --seed`, the working directory for images and dumps).
// Steps refer to earlier objects by id (`guest = "g1"`); run.get<T>() turns a missing id or
// an object of another kind into an InputError that names the step's file:line and key.
// Objects are released in reverse order of creation (guests before KVM before the machine).
// With [[case]]s, every case runs the same steps: an object belongs to the case that made it
// (step "m" of case "off" is "off.m" in the results), a step sees its own case's objects (and
// ones made outside any case), and a case's objects are released when the case ends.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <utility>
#include <vector>

#include "common/error.h"
#include "scenario/action.h"

namespace cbit::scenario {

struct RunOptions {
  std::string cpu;                     // --cpu for the whole run ("" = the file's or naples)
  std::vector<std::string> overrides;  // --set field=value
  std::optional<uint64_t> seed;        // --seed
  std::string workdir;                 // where NVDIMM files, disks and dumps go
};

class Run {
 public:
  explicit Run(RunOptions opt) : opt_(std::move(opt)) {}
  ~Run() {
    while (!objects_.empty()) objects_.pop_back();
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  const RunOptions& options() const { return opt_; }

  // One transcript line (printed by `cbit run`, kept in the JSON output).
  void say(std::string line) { lines_.push_back(std::move(line)); }
  const std::vector<std::string>& lines() const { return lines_; }

  // The step being run (the engine sets it): its id as written in the file ("m"; "" when the
  // step has none), its case ("off"; "" without cases) and its position ("f.toml:12:1 (step 3)").
  const std::string& step_id() const { return step_id_; }
  const std::string& case_id() const { return case_id_; }
  const std::string& step_where() const { return step_where_; }
  void begin_step(std::string case_id, std::string step_id, std::string where) {
    case_id_ = std::move(case_id);
    step_id_ = std::move(step_id);
    step_where_ = std::move(where);
  }
  // The engine, after a case's last step: its objects go, newest first.
  void end_case(const std::string& case_id) {
    for (size_t i = objects_.size(); i-- > 0;)
      if (objects_[i].scope == case_id) objects_.erase(objects_.begin() + std::ptrdiff_t(i));
  }

  // Keep `obj` under `id` (a step's id; "" = anonymous, kept alive only), in the current case.
  // A second object under the same id is an InputError naming `where`.
  template <class T>
  T& put(const std::string& id, std::shared_ptr<T> obj, const std::string& where = {}) {
    if (!id.empty())
      for (const auto& o : objects_)
        if (o.id == id && o.scope == case_id_)
          throw InputError(where + ": id '" + id + "' is already used");
    T& ref = *obj;
    objects_.push_back({id, case_id_, std::type_index(typeid(T)), std::move(obj)});
    return ref;
  }
  // The usual case: keep what the current step made under the step's own id.
  template <class T>
  T& keep(std::shared_ptr<T> obj) {
    return put(step_id_, std::move(obj), step_where_);
  }

  // The object under the id in `args`' `key`; InputError when there is none or it is another
  // kind of object (`what` names the kind for the message: "a guest").
  template <class T>
  T& get(const Args& args, std::string_view key, std::string_view what) {
    const std::string id = args.str(key);
    for (auto it = objects_.rbegin(); it != objects_.rend(); ++it) {
      if (it->id != id || !visible(*it)) continue;
      if (it->type != std::type_index(typeid(T)))
        throw InputError(args.where(key) + ": '" + id + "' is not " + std::string(what));
      return *static_cast<T*>(it->obj.get());
    }
    throw InputError(args.where(key) + ": no earlier step made '" + id + "' (" + std::string(what) +
                     ")");
  }
  // The most recent object of kind T (for steps whose `key` is optional), or nullptr.
  template <class T>
  T* latest() {
    for (auto it = objects_.rbegin(); it != objects_.rend(); ++it)
      if (it->type == std::type_index(typeid(T)) && visible(*it))
        return static_cast<T*>(it->obj.get());
    return nullptr;
  }

  // Results of earlier steps, by full step id ("off.cb"; what `expect` refers to).
  nlohmann::json& results() { return results_; }

 private:
  struct Object {
    std::string id;
    std::string scope;  // the case that made it; "" outside cases
    std::type_index type;
    std::shared_ptr<void> obj;
  };
  bool visible(const Object& o) const { return o.scope.empty() || o.scope == case_id_; }
  RunOptions opt_;
  std::string case_id_, step_id_, step_where_;
  std::vector<std::string> lines_;
  std::vector<Object> objects_;
  nlohmann::json results_ = nlohmann::json::object();
};

}  // namespace cbit::scenario
