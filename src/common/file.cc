#include "common/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"

namespace cbit {

Bytes read_file(const std::string& path, size_t max_size) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open: " + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const auto end = in.tellg();
  if (end < 0) {  // a pipe or other stream without a size: read until EOF
    in.clear();
    Bytes data;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      data.insert(data.end(), buf, buf + in.gcount());
      if (data.size() > max_size) throw InputError(path + ": too large");
    }
    return data;
  }
  const auto size = static_cast<size_t>(end);
  if (size > max_size) throw InputError(path + ": too large (" + std::to_string(size) + " bytes)");
  in.seekg(0);
  Bytes data(size);
  if (size && !in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(size)))
    throw InputError(path + ": read failed");
  return data;
}

void write_file_atomic(const std::string& path, ByteSpan data) {
  const std::string tmp = path + ".cbit-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path + ": cannot write: " + std::strerror(errno));
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw InputError(path + ": write failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot write: " + ec.message());
  }
}

void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, as_bytes(text));
}

}  // namespace cbit
