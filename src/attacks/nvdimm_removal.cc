#include "attacks/nvdimm_removal.h"

#include "common/addr.h"
#include "common/file.h"
#include "common/trace.h"

namespace cbit::attacks {

AttackReport nvdimm_removal(const std::string& module_image,
                            const std::vector<std::string>& needles) {
  trace::Span span(trace::track::kAttacker, "attack", "NVDIMM removal: read the module");
  const Bytes image = read_file(module_image, inputs::kNvdimmImage);
  AttackReport r{"nvdimm-removal", "", image.size(), image.size() / kPageSize, {}};
  search_into(r, 0, image, needles);
  r.summary = std::to_string(image.size() >> 20) + " MiB read from the removed module, " +
              std::to_string(r.hits.size()) + " secret hit(s)";
  span.end({{"bytes", r.bytes_seen}, {"hits", r.hits.size()}});
  return r;
}

}  // namespace cbit::attacks
