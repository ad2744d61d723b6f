// `cbit measure`'s flags, checked in the order and with the outcomes of sev-snp-measure's
// command line (its argparse checks first, then its own): a usage error there is a UsageError
// here (exit 2), a refusal while measuring is an InputError (exit 1).
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "common/error.h"
#include "crypto/hash.h"
#include "psp/digest/launch_plan.h"
#include "tools/measure/measure.h"

namespace cbit::tools::measure {

// The most vCPUs --vcpus takes: Linux's KVM_MAX_VCPUS with CONFIG_MAXSMP
// (arch/x86/include/asm/kvm_host.h, 1024 without it).
inline constexpr uint64_t kMaxVcpus = 4096;

class UsageError : public InputError {
 public:
  using InputError::InputError;
};

// The flags as given (strings are parsed here, not by the CLI library, to accept exactly what
// the reference accepts).
struct RawArgs {
  std::optional<std::string> mode, vcpus, vcpu_type, vcpu_sig, vcpu_family, vcpu_model,
      vcpu_stepping, vmm_type, ovmf, kernel, initrd, append, guest_features, output_format,
      snp_ovmf_hash, svsm, vars_size, vars_file;
  bool verbose = false, dump_vmsa = false;
};

struct Request {
  bool ovmf_hash_only = false;  // --mode snp:ovmf-hash
  psp::digest::SevMode mode = psp::digest::SevMode::Snp;
  std::string mode_arg;
  std::string ovmf;
  std::optional<std::string> kernel, initrd, append;
  psp::digest::LaunchConfig cfg;  // without the hashes (read from the files when measuring)
  std::string vcpu_sig_from;      // which flag set the signature, for --explain
  bool base64 = false, verbose = false, dump_vmsa = false;
};

Request resolve(const RawArgs& a);

// Everything a measurement was made from, kept for --explain.
struct Outcome {
  std::unique_ptr<psp::digest::Ovmf> ovmf;
  psp::digest::LaunchPlan plan;
  Measurement m;
  std::optional<psp::digest::SevHashes> hashes;
  crypto::Sha256Digest ovmf_sha256{}, kernel_sha256{}, initrd_sha256{};
};

// Reads the files and measures. record: keep per-page records (and file hashes) for --explain.
Outcome run(const Request& r, bool record, unsigned threads = 0);

// The digest as sev-snp-measure prints it (hex or base64, no newline).
std::string format_digest(ByteSpan digest, bool base64);

// What `cbit measure` prints without --explain: the digest line (with -v, sev-snp-measure's
// "Calculated <MODE> guest measurement: " prefix; snp:ovmf-hash: the firmware pages' digest).
std::string digest_output(const Request& r, unsigned threads = 0);

}  // namespace cbit::tools::measure
