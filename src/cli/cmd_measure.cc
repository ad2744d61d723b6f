// `cbit measure`: predicts SEV / SEV-ES / SEV-SNP launch digests of an OVMF guest, a drop-in
// for virtee's sev-snp-measure (same flags, same digest, same refusals), plus --explain (what
// every page and option contributes) and `cbit measure diff` (the first input that differs
// between two explained measurements). docs/measure.md.
//
// Exit codes: 0 digest printed (diff: same digest); 1 the inputs cannot be measured (diff:
// digests differ); 2 bad usage (sev-snp-measure's argparse errors).
#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "common/file.h"
#include "tools/measure/diff.h"
#include "tools/measure/explain.h"
#include "tools/measure/request.h"

namespace cbit::cli {
namespace {

struct MeasureCli {
  tools::measure::RawArgs raw;
  bool explain = false, json = false;
  unsigned threads = 0;
  std::vector<std::string> diff_files;
};

void write_stdout(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

void run_measure(const MeasureCli& c, Context& ctx) {
  using namespace tools::measure;
  ctx.exit_code = 1;  // refusals while measuring
  Request r;
  try {
    r = resolve(c.raw);
  } catch (const UsageError&) {
    ctx.exit_code = 2;  // what sev-snp-measure's argparse would reject
    throw;
  }
  if (r.dump_vmsa) {
    std::vector<FileArg> files = {{"--ovmf", r.ovmf, false},
                                  {"--kernel", r.kernel.value_or(""), false},
                                  {"--initrd", r.initrd.value_or(""), false}};
    for (uint64_t n = 0; n < std::min<uint64_t>(r.cfg.vcpus, 4096); ++n)
      files.push_back({"--dump-vmsa", tools::measure::vmsa_file_name(n), true});
    refuse_same_file(files);
  }
  if (!r.ovmf_hash_only && (c.explain || r.dump_vmsa)) {
    const Outcome o = run(r, c.explain, c.threads);
    if (r.dump_vmsa) dump_vmsas(o.plan, r.cfg.vcpus);
    if (c.explain) {
      write_stdout(c.json ? explain_json(r, o) : explain_text(r, o));
      ctx.exit_code = 0;
      return;
    }
  }
  write_stdout(digest_output(r, c.threads));
  ctx.exit_code = 0;
}

}  // namespace

void add_measure_command(CLI::App& app, Context& ctx) {
  auto c = std::make_shared<MeasureCli>();
  auto* cmd = app.add_subcommand(
      "measure",
      "Predict the SEV / SEV-ES / SEV-SNP launch digest of an OVMF guest (sev-snp-measure's "
      "flags and digests); --explain shows what each page and option contributes");
  auto& a = c->raw;
  // argparse semantics: a repeated flag takes its last value.
  cmd->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->add_option("--mode", a.mode, "Guest mode: sev, seves, snp, snp:ovmf-hash");
  cmd->add_option("--vcpus", a.vcpus, "Number of guest vCPUs");
  cmd->add_option("--vcpu-type", a.vcpu_type, "Guest vCPU type (EPYC, EPYC-Rome, EPYC-Milan, ...)");
  cmd->add_option("--vcpu-sig", a.vcpu_sig, "Guest vCPU signature (CPUID 1 EAX)");
  cmd->add_option("--vcpu-family", a.vcpu_family, "Guest vCPU family");
  cmd->add_option("--vcpu-model", a.vcpu_model, "Guest vCPU model");
  cmd->add_option("--vcpu-stepping", a.vcpu_stepping, "Guest vCPU stepping");
  cmd->add_option("--vmm-type", a.vmm_type, "VMM type: QEMU (default), ec2, gce");
  cmd->add_option("--ovmf", a.ovmf, "OVMF firmware image");
  cmd->add_option("--kernel", a.kernel, "Kernel (measured direct boot)");
  cmd->add_option("--initrd", a.initrd, "Initrd (with --kernel)");
  cmd->add_option("--append", a.append, "Kernel command line (with --kernel)");
  cmd->add_option("--guest-features", a.guest_features, "SNP guest features (default 0x1)");
  cmd->add_option("--output-format", a.output_format, "hex (default) or base64");
  cmd->add_option("--snp-ovmf-hash", a.snp_ovmf_hash, "Precomputed SNP digest of the OVMF pages");
  cmd->add_flag("-v,--verbose", a.verbose, "Say which mode the digest is for");
  cmd->add_flag("--dump-vmsa", a.dump_vmsa, "Write the measured VMSAs to vmsa<N>.bin");
  cmd->add_flag("--explain", c->explain,
                "Print what every page and option contributes, then the digest");
  cmd->add_flag("--json", c->json, "With --explain: JSON, for `cbit measure diff`");
  add_unsigned(cmd, "--threads", c->threads, "Threads for SNP page hashing (default: 2 cores)", 1,
               64);
  auto* diff = cmd->add_subcommand(
      "diff",
      "Compare two `cbit measure --explain --json` outputs: name the inputs that differ "
      "and the first page whose measurement differs");
  // Exactly two: `measure`'s take-the-last-value default would keep the last two of three.
  diff->add_option("files", c->diff_files, "a.json b.json")
      ->required()
      ->expected(2)
      ->multi_option_policy(CLI::MultiOptionPolicy::Throw);
  diff->callback([c, &ctx] {
    ctx.exit_code = 2;
    const auto res = tools::measure::diff_explained(c->diff_files[0], c->diff_files[1]);
    write_stdout(res.text);
    ctx.exit_code = res.same ? 0 : 1;
  });
  cmd->callback([c, cmd, diff, &ctx] {
    if (diff->parsed()) return;
    (void)cmd;
    run_measure(*c, ctx);
  });
}

}  // namespace cbit::cli
