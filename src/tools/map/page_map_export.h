// Writes a simulated machine's page classes as a `cbit scan --page-map` file (docs/scan.md,
// format "cbit-page-map" version 1), so a dump taken from the simulation can be scanned with
// private/shared attribution: pages written through the engine are "private" (labelled with
// their key slot), pages written in the clear "shared"; untouched pages are left out.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "tools/map/page_class.h"

namespace cbit::tools::map {

nlohmann::json page_map_json(const MapInput& in);
// Throws InputError naming the file; never leaves a partial file.
void write_page_map(const MapInput& in, const std::string& path);

}  // namespace cbit::tools::map
