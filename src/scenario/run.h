// The world of one running scenario: the objects its steps made (machines, host kernels, SEV
// hosts, guests, probes, dumps), each under the step `id` that made it, the transcript, and the
// options of the run (`cbit run --seed`, the working directory for images and dumps).
// Steps refer to earlier objects by id (`guest = "g1"`); run.get<T>() turns a missing id or
// an object of another kind into an InputError that names the step's file:line and key.
// Objects are released in reverse order of creation (guests before KVM before the machine).
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

  // Keep `obj` under `id` (a step's id; "" = anonymous, kept alive only). A second object under
  // the same id is an InputError naming `where`.
  template <class T>
  T& put(const std::string& id, std::shared_ptr<T> obj, const std::string& where = {}) {
    if (!id.empty())
      for (const auto& o : objects_)
        if (o.id == id) throw InputError(where + ": id '" + id + "' is already used");
    T& ref = *obj;
    objects_.push_back({id, std::type_index(typeid(T)), std::move(obj)});
    return ref;
  }

  // The object under the id in `args`' `key`; InputError when there is none or it is another
  // kind of object (`what` names the kind for the message: "a guest").
  template <class T>
  T& get(const Args& args, std::string_view key, std::string_view what) {
    const std::string id = args.str(key);
    for (auto it = objects_.rbegin(); it != objects_.rend(); ++it) {
      if (it->id != id) continue;
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
      if (it->type == std::type_index(typeid(T))) return static_cast<T*>(it->obj.get());
    return nullptr;
  }

  // Results of earlier steps, by step id (what `expect` and `${step.field}` refer to).
  nlohmann::json& results() { return results_; }

 private:
  struct Object {
    std::string id;
    std::type_index type;
    std::shared_ptr<void> obj;
  };
  RunOptions opt_;
  std::vector<std::string> lines_;
  std::vector<Object> objects_;
  nlohmann::json results_ = nlohmann::json::object();
};

}  // namespace cbit::scenario
