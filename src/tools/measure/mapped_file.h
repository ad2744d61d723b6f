// A read-only view of a whole file, memory-mapped (pre-faulted) where the file is regular, so
// measuring a 4 MiB firmware hashes the page cache directly instead of copying it first.
// Errors are InputErrors naming the file, as common/file.h's.
#pragma once
#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/file.h"

namespace cbit::tools::measure {

struct MappedFile {
  ByteSpan data;
  std::shared_ptr<const void> owner;  // keeps the mapping (or a buffer) alive
};

// The file must be of `kind` and within its size (common/file.h: pipes are read, devices and
// oversized files refused).
MappedFile map_file(const std::string& path, const InputKind& kind);

}  // namespace cbit::tools::measure
