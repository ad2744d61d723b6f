// `cbit measure diff A.json B.json`: given two `--explain --json` outputs, say whether the
// digests match and, if not, which inputs differ and the first measured page (SNP) or block
// (SEV, SEV-ES) where the two launches part, named by the input that put it there
// (AMDSEV#195, aws/uefi#19: "my digest does not match; which input is it?").
#pragma once
#include <string>

namespace cbit::tools::measure {

struct DiffResult {
  bool same = false;
  std::string text;
};

// Throws InputError naming a file that is not a cbit measure explanation.
DiffResult diff_explained(const std::string& a_path, const std::string& b_path);
DiffResult diff_explained_text(const std::string& a_json, const std::string& b_json,
                               const std::string& a_name = "a", const std::string& b_name = "b");

}  // namespace cbit::tools::measure
