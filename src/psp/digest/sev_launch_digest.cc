#include "psp/digest/sev_launch_digest.h"

#include <algorithm>

#include "common/error.h"

namespace cbit::psp::digest {

crypto::Sha256Digest SevLaunchDigest::finish() {
  const Bytes d = h_.finish();
  CBIT_ASSERT(d.size() == 32);
  crypto::Sha256Digest out{};
  std::copy(d.begin(), d.end(), out.begin());
  return out;
}

}  // namespace cbit::psp::digest
