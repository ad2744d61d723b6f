#include "tools/measure/request.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "common/bytes.h"
#include "common/file.h"
#include "psp/digest/vcpu_types.h"
#include "tools/measure/mapped_file.h"
#include "tools/measure/py_int.h"

namespace cbit::tools::measure {

using namespace psp::digest;

namespace {

[[noreturn]] void usage(const std::string& msg) { throw UsageError(msg); }

PyInt int_arg(const std::optional<std::string>& v, const char* flag, int base) {
  const auto r = parse_py_int(*v, base);
  if (!r)
    usage(fmt::format("{} '{}': not an integer{}", flag, *v,
                      base == 0 ? " (decimal, 0x, 0o or 0b)" : ""));
  return *r;
}

int64_t small_int_arg(const std::optional<std::string>& v, const char* flag) {
  const PyInt r = int_arg(v, flag, 10);
  if (!r.fits_i64) usage(fmt::format("{} '{}': out of range", flag, *v));
  return r.as_i64();
}

std::optional<SevMode> parse_mode(const std::string& m) {
  if (m == "sev") return SevMode::Sev;
  if (m == "seves") return SevMode::SevEs;
  if (m == "snp" || m == "snp:ovmf-hash") return SevMode::Snp;
  return std::nullopt;
}

std::string vcpu_type_list() {
  std::string s;
  for (const auto& t : vcpu_types()) s += (s.empty() ? "" : ", ") + std::string(t.name);
  return s;
}

}  // namespace

Request resolve(const RawArgs& a) {
  Request r;
  // What argparse checks: required flags, choices, integer syntax.
  if (!a.mode || !a.ovmf) {
    std::string missing = !a.mode ? "--mode" : "";
    if (!a.ovmf) missing += std::string(missing.empty() ? "" : ", ") + "--ovmf";
    usage("the following arguments are required: " + missing);
  }
  if (*a.mode == "snp:svsm")
    usage("--mode snp:svsm (Coconut-SVSM) is not supported by cbit measure");
  const auto mode = parse_mode(*a.mode);
  if (!mode) usage(fmt::format("--mode '{}': choose from sev, seves, snp, snp:ovmf-hash", *a.mode));
  r.mode = *mode;
  r.mode_arg = *a.mode;
  r.ovmf_hash_only = *a.mode == "snp:ovmf-hash";
  r.ovmf = *a.ovmf;
  if (a.vcpu_type && !vcpu_sig_by_name(*a.vcpu_type))
    usage(fmt::format("--vcpu-type '{}': choose from {}", *a.vcpu_type, vcpu_type_list()));
  if (a.output_format && *a.output_format != "hex" && *a.output_format != "base64")
    usage(fmt::format("--output-format '{}': choose from hex, base64", *a.output_format));
  r.base64 = a.output_format && *a.output_format == "base64";
  r.verbose = a.verbose;
  r.dump_vmsa = a.dump_vmsa;
  std::optional<int64_t> vcpus, family, model, stepping;
  std::optional<PyInt> sig;
  if (a.vcpus) {
    vcpus = small_int_arg(a.vcpus, "--vcpus");
    // Where cbit is stricter than the reference, which runs for hours on a huge count: no KVM
    // guest has more than KVM_MAX_VCPUS. (A negative count measures no VMSA, as there.)
    if (*vcpus > int64_t(kMaxVcpus))
      usage(fmt::format("--vcpus '{}': at most {} (KVM_MAX_VCPUS)", *a.vcpus, kMaxVcpus));
  }
  if (a.vcpu_sig) sig = int_arg(a.vcpu_sig, "--vcpu-sig", 0);
  if (a.vcpu_family) family = small_int_arg(a.vcpu_family, "--vcpu-family");
  if (a.vcpu_model) model = small_int_arg(a.vcpu_model, "--vcpu-model");
  if (a.vcpu_stepping) stepping = small_int_arg(a.vcpu_stepping, "--vcpu-stepping");
  r.cfg.guest_features =
      a.guest_features ? int_arg(a.guest_features, "--guest-features", 0).bits : 1;
  if (r.ovmf_hash_only) return r;

  // sev-snp-measure's own checks, in its order.
  if (a.initrd && !a.initrd->empty() && !a.kernel) usage("--kernel required when using --initrd");
  if (a.append && !a.append->empty() && !a.kernel) usage("--kernel required when using --append");
  if (r.mode != SevMode::Sev && !vcpus)
    usage(fmt::format("missing --vcpus N in guest mode '{}'", *a.mode));
  const std::string vmm = a.vmm_type.value_or("QEMU");
  if (vmm == "QEMU")
    r.cfg.vmm = VmmType::Qemu;
  else if (vmm == "ec2")
    r.cfg.vmm = VmmType::Ec2;
  else if (vmm == "gce")
    r.cfg.vmm = VmmType::Gce;
  else
    usage(fmt::format("unknown VMM type '{}' (choose from QEMU, ec2, gce)", vmm));
  // The signature: --vcpu-family/model/stepping beat --vcpu-sig beat --vcpu-type.
  if (r.mode == SevMode::Sev) {
    r.cfg.vcpu_sig = 0;
  } else if (family) {
    if (!model || !stepping)
      throw InputError("--vcpu-family needs --vcpu-model and --vcpu-stepping");
    r.cfg.vcpu_sig = cpu_sig(*family, *model, *stepping);
    r.vcpu_sig_from = fmt::format("--vcpu-family {} --vcpu-model {} --vcpu-stepping {}", *family,
                                  *model, *stepping);
  } else if (sig) {
    r.cfg.vcpu_sig = sig->bits;
    r.vcpu_sig_from = "--vcpu-sig " + *a.vcpu_sig;
  } else if (a.vcpu_type) {
    r.cfg.vcpu_sig = *vcpu_sig_by_name(*a.vcpu_type);
    r.vcpu_sig_from = "--vcpu-type " + *a.vcpu_type;
  } else if (r.cfg.vmm == VmmType::Qemu) {
    usage(fmt::format("missing --vcpu-type or --vcpu-sig or --vcpu-family in guest mode '{}'",
                      *a.mode));
  } else {
    r.vcpu_sig_from = "(none: ec2 and gce put 0x600 in RDX)";
  }
  r.cfg.mode = r.mode;
  r.cfg.vcpus = vcpus ? static_cast<uint64_t>(std::max<int64_t>(*vcpus, 0)) : 0;
  if (r.dump_vmsa && r.mode == SevMode::Sev)
    usage("--dump-vmsa is not available in the selected mode");
  if (a.snp_ovmf_hash) {
    if (r.mode != SevMode::Snp) throw InputError("--snp-ovmf-hash only works with --mode snp");
    const Bytes h = from_hex(*a.snp_ovmf_hash, "--snp-ovmf-hash");
    if (h.size() != 48)
      throw InputError(
          fmt::format("--snp-ovmf-hash: {} bytes, expected a 48-byte SHA-384 digest", h.size()));
    crypto::Sha384Digest seed{};
    std::copy(h.begin(), h.end(), seed.begin());
    r.cfg.snp_seed = seed;
  }
  r.kernel = a.kernel;
  r.initrd = a.initrd;
  r.append = a.append;
  return r;
}

Outcome run(const Request& r, bool record, unsigned threads) {
  Outcome o;
  MappedFile f = map_file(r.ovmf, inputs::kFirmware);
  o.ovmf = std::make_unique<Ovmf>(f.data, std::move(f.owner), "--ovmf " + r.ovmf);
  if (record) o.ovmf_sha256 = crypto::sha256(o.ovmf->data());
  LaunchConfig cfg = r.cfg;
  if (r.kernel && !r.kernel->empty()) {
    // Mapped, not copied: an initrd may be hundreds of MiB.
    const MappedFile k = map_file(*r.kernel, inputs::kKernel);
    const MappedFile i =
        r.initrd && !r.initrd->empty() ? map_file(*r.initrd, inputs::kInitrd) : MappedFile{};
    cfg.hashes = SevHashes::from_contents(k.data, i.data, r.append.value_or(""));
    o.kernel_sha256 = cfg.hashes->kernel;
    o.initrd_sha256 = cfg.hashes->initrd;
    o.hashes = cfg.hashes;
  }
  o.plan = plan_launch(*o.ovmf, cfg);
  o.m = measure(o.plan, record, threads);
  return o;
}

std::string digest_output(const Request& r, unsigned threads) {
  if (r.ovmf_hash_only) {
    MappedFile f = map_file(r.ovmf, inputs::kFirmware);
    const Ovmf ovmf(f.data, std::move(f.owner), "--ovmf " + r.ovmf);
    return to_hex(snp_ovmf_hash(ovmf, threads)) + "\n";
  }
  const Outcome o = run(r, false, threads);
  const std::string d = format_digest(o.m.digest, r.base64);
  if (!r.verbose) return d + "\n";
  return fmt::format("Calculated {} guest measurement: {}\n", sev_mode_name(r.mode), d);
}

std::string format_digest(ByteSpan digest, bool base64) {
  if (!base64) return to_hex(digest);
  std::string out(4 * ((digest.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest.data(),
                                static_cast<int>(digest.size()));
  out.resize(size_t(n));
  return out;
}

}  // namespace cbit::tools::measure
