#include "tools/report/cert_files.h"

#include <fmt/format.h>

#include <filesystem>

#include "common/error.h"
#include "psp/certs/cert_io.h"
#include "psp/certs/vcek_extensions.h"

namespace cbit::tools::report {

namespace fs = std::filesystem;

namespace {

// snpguest's convention: <dir>/<name>.pem, else <dir>/<name>.der.
std::string find_in_dir(const std::string& dir, const char* name) {
  for (const char* ext : {".pem", ".der"}) {
    const fs::path p = fs::path(dir) / (std::string(name) + ext);
    if (fs::exists(p)) return p.string();
  }
  return "";
}

void fill_from_dir(CertPaths& p, uint32_t signing_key) {
  const std::string& dir = p.certs_dir;
  if (!fs::is_directory(dir)) throw InputError("--certs-dir " + dir + ": not a directory");
  const std::string vcek = find_in_dir(dir, "vcek"), vlek = find_in_dir(dir, "vlek");
  if (vcek.empty() && vlek.empty())
    throw InputError(
        "--certs-dir " + dir +
        ": no vcek.pem/vcek.der (VCEK layout) or vlek.pem/vlek.der (VLEK layout) in it");
  // Both present: the report decides; else whichever is there.
  const bool use_vlek = vcek.empty() || (!vlek.empty() && signing_key == 1);
  if (p.leaf.empty()) p.leaf = use_vlek ? vlek : vcek;
  if (p.intermediate.empty()) p.intermediate = find_in_dir(dir, use_vlek ? "asvk" : "ask");
  if (p.ark.empty()) p.ark = find_in_dir(dir, "ark");
}

}  // namespace

void check_cert_paths(const CertPaths& p) {
  if (p.certs_dir.empty()) {
    if (p.leaf.empty())
      throw InputError("verify: give --vcek FILE, --vlek FILE or --certs-dir DIR");
    return;
  }
  const std::string& dir = p.certs_dir;
  if (!fs::is_directory(dir)) throw InputError("--certs-dir " + dir + ": not a directory");
  if (p.leaf.empty() && find_in_dir(dir, "vcek").empty() && find_in_dir(dir, "vlek").empty())
    throw InputError(
        "--certs-dir " + dir +
        ": no vcek.pem/vcek.der (VCEK layout) or vlek.pem/vlek.der (VLEK layout) in it");
}

LoadedCerts load_certs(CertPaths paths, uint32_t signing_key) {
  if (!paths.certs_dir.empty()) fill_from_dir(paths, signing_key);
  if (paths.leaf.empty())
    throw InputError("verify: give --vcek FILE, --vlek FILE or --certs-dir DIR");
  const bool has_root = !paths.ark.empty() || !paths.trust_ark.empty();
  if (!paths.intermediate.empty() && !has_root)
    throw InputError(fmt::format(
        "{}: an ASK/ASVK without an ARK: add the ARK (--ark, ark.pem) or --trust-ark FILE",
        paths.intermediate));
  if (paths.intermediate.empty() && !paths.ark.empty())
    throw InputError(
        fmt::format("{}: an ARK without the ASK/ASVK: give both to check the chain, "
                    "or neither",
                    paths.ark));
  LoadedCerts c;
  c.leaf = psp::load_certificate(paths.leaf);
  psp::read_vcek_extensions(c.leaf.get(), paths.leaf);  // a malformed extension names the file
  if (!paths.intermediate.empty()) c.intermediate = psp::load_certificate(paths.intermediate);
  if (!paths.ark.empty()) c.ark = psp::load_certificate(paths.ark);
  if (!paths.trust_ark.empty()) c.trusted_ark = psp::load_certificate(paths.trust_ark);
  c.paths = std::move(paths);
  return c;
}

}  // namespace cbit::tools::report
