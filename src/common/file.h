// File input and output for user-named files. Errors are InputErrors naming the file.
// Writes are atomic: a temporary beside the target, then rename, so a failure never leaves a
// half-written file behind.
#pragma once
#include <string>

#include "common/bytes.h"

namespace cbit {

Bytes read_file(const std::string& path, size_t max_size = size_t(1) << 32);
void write_file_atomic(const std::string& path, ByteSpan data);
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace cbit
