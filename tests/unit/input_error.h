// The message of the InputError that `f` throws ("" when it throws none): tests of a refusal
// check its words, and a control checks that the accepted case throws nothing.
#pragma once
#include <functional>
#include <string>

#include "common/error.h"

namespace cbit::testutil {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace cbit::testutil
