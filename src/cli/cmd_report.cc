// `cbit report`: show, verify and produce SEV-SNP attestation reports.
//   display FILE [-o json]            the report as snpguest's `display report` shows it
//   verify FILE --vcek F [--ask F --ark F] | --certs-dir D [--trust-ark F] [-o json]
//                                     format, root, chain, signature, TCB/chip binding;
//                                     exit codes in tools/report/verify.h and docs/report.md
//   sample --out-dir D [--seed N] [--vlek]
//                                     a report and ARK/ASK/VCEK (ARK/ASVK/VLEK) from a
//                                     simulated chip
//   signature-der FILE --out F        the report's R,S as a DER ECDSA signature (for openssl)
#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "common/file.h"
#include "psp/certs/sim_chain.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"
#include "tools/report/cert_files.h"
#include "tools/report/display.h"
#include "tools/report/report_json.h"
#include "tools/report/sample.h"
#include "tools/report/verify.h"

namespace cbit::cli {

namespace {

namespace fs = std::filesystem;

Bytes read_report_file(const std::string& path) { return read_file(path, inputs::kReport); }

// "2025-06-01" or "2025-06-01T12:00:00Z" as seconds since the epoch (UTC).
int64_t parse_utc_time(const std::string& text, const char* flag) {
  std::tm tm{};
  char tail = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%c", &tm.tm_year, &tm.tm_mon,
                      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &tail);
  const bool date_only = n == 3 && text.size() == 10;
  if (!(date_only || (n == 6 && text.size() == 20)) || tm.tm_mon < 1 || tm.tm_mon > 12 ||
      tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    throw InputError(fmt::format("{}: '{}' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", flag, text));
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

void add_report_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("report", "Show, verify and produce SEV-SNP attestation reports");
  cmd->require_subcommand(1);

  // display
  {
    auto* sub = cmd->add_subcommand("display", "Show an attestation report (snpguest layout)");
    auto path = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>("text");
    sub->add_option("report", *path, "Attestation report file (0x4A0 bytes)")->required();
    sub->add_option("-o,--output", *output, "Output format: text or json")
        ->check(CLI::IsMember({"text", "json"}));
    sub->callback([path, output] {
      const Bytes bytes = read_report_file(*path);
      const auto r = psp::AttestationReport::parse(bytes, *path);
      if (*output == "json")
        std::puts(tools::report::report_to_json(r, bytes).dump(2).c_str());
      else
        std::fputs(tools::report::display_report(r, bytes).c_str(), stdout);
    });
  }

  // verify
  {
    auto* sub = cmd->add_subcommand(
        "verify",
        "Verify a report's signature, its ARK->ASK->VCEK (or ARK->ASVK->VLEK) chain up to one of "
        "AMD's pinned ARKs, and the VCEK's TCB and chip binding. Exit 0 verified, 1 misuse, "
        "2 bad signature, 5 policy (TCB, chip, product, host-requested VMPL), 6 report "
        "signature verified but chain NOT verified (VCEK only), 7 root is not AMD's (see "
        "--trust-ark), 8 malformed report (reserved bytes/bits set), 9 unsigned report, "
        "10 report names the other key (VLEK vs VCEK)");
    auto paths = std::make_shared<tools::report::CertPaths>();
    auto report_path = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>("text");
    sub->add_option("report", *report_path, "Attestation report file (0x4A0 bytes)")->required();
    auto* vcek = sub->add_option("--vcek", paths->leaf, "VCEK certificate (PEM or DER)");
    sub->add_option("--vlek", paths->leaf, "VLEK certificate (PEM or DER)")->excludes(vcek);
    auto* ask = sub->add_option("--ask", paths->intermediate, "ASK certificate (PEM or DER)");
    sub->add_option("--asvk", paths->intermediate, "ASVK certificate (the VLEK's ASK)")
        ->excludes(ask);
    sub->add_option("--ark", paths->ark,
                    "ARK certificate; must be one of AMD's pinned ARKs unless --trust-ark");
    sub->add_option("--certs-dir", paths->certs_dir,
                    "Directory in snpguest's layout: vcek, ask, ark or vlek, asvk, ark (.pem or "
                    ".der)");
    sub->add_option("--trust-ark", paths->trust_ark,
                    "Trust this ARK as the root although it is not AMD's (e.g. the simulated "
                    "chip's ark.pem from `cbit report sample`)");
    auto at = std::make_shared<std::string>();
    sub->add_option("--at", *at,
                    "Check certificate dates at this UTC time (YYYY-MM-DD or "
                    "YYYY-MM-DDTHH:MM:SSZ) instead of now: an old report, a VLEK (valid a year)");
    sub->add_option("-o,--output", *output, "Output format: text or json")
        ->check(CLI::IsMember({"text", "json"}));
    sub->callback([paths, report_path, output, at, &ctx] {
      tools::report::check_cert_paths(*paths);
      const Bytes bytes = read_report_file(*report_path);
      const auto report = psp::AttestationReport::parse(bytes, *report_path);
      const auto certs = tools::report::load_certs(*paths, (report.key_info >> 2) & 7);
      tools::report::VerifyOptions opt;
      opt.trusted_ark = certs.trusted_ark.get();
      opt.trusted_ark_source = "--trust-ark " + certs.paths.trust_ark;
      if (!at->empty()) opt.at = parse_utc_time(*at, "--at");
      const auto result = tools::report::verify_attestation(ByteSpan(bytes), certs.chain(), opt);
      ctx.exit_code = result.exit_code;
      if (*output == "json") {
        std::puts(tools::report::verify_result_to_json(result).dump(2).c_str());
        return;
      }
      std::fputs(tools::report::render(result).c_str(), stdout);
      std::fflush(stdout);
      if (result.exit_code != tools::report::kExitOk &&
          result.exit_code != tools::report::kExitChainNotVerified)
        throw InputError(
            fmt::format("report verify: {} (exit {})", result.first_failure, result.exit_code));
    });
  }

  // sample
  {
    auto* sub = cmd->add_subcommand(
        "sample",
        "Write report.bin, ark, ask and vcek from a simulated chip (NOT AMD keys) into a dir");
    auto opt = std::make_shared<tools::report::SampleOptions>();
    auto out_dir = std::make_shared<std::string>();
    auto seed = std::make_shared<uint64_t>(0);
    auto report_data = std::make_shared<std::string>();
    auto der = std::make_shared<bool>(false);
    sub->add_option("--out-dir", *out_dir, "Output directory")->required();
    auto* seed_opt =
        add_unsigned(sub, "--seed", *seed, "Seed: reproducible chip id, VCEK, report", 0, kU64Max);
    sub->add_option("--product", opt->product, "milan, genoa or turin (default milan)");
    sub->add_option("--report-data", *report_data, "REPORT_DATA as hex (up to 64 bytes)");
    sub->add_option("--key-cache", opt->key_cache,
                    "Directory caching the RSA-4096 ARK/ASK keys (generation takes seconds)");
    sub->add_option("--mismatch", opt->mismatch,
                    "For testing verifiers: tcb or chip-id (the VCEK does not match the report)");
    sub->add_flag("--der", *der, "Write the certificates as DER instead of PEM");
    sub->add_flag("--vlek", opt->vlek,
                  "Sign with a cloud provider's VLEK; write ark, asvk, vlek (snpguest's layout)");
    sub->callback([=] {
      if (seed_opt->count() > 0) opt->seed = *seed;
      if (!report_data->empty()) opt->report_data = from_hex(*report_data, "--report-data");
      // Check every option, then the directories, before anything is created or spent on
      // RSA-4096 keys.
      psp::chip_product(opt->product);
      if (!opt->mismatch.empty() && opt->mismatch != "tcb" && opt->mismatch != "chip-id")
        throw InputError("--mismatch: '" + opt->mismatch + "' is not one of tcb, chip-id");
      if (opt->vlek && opt->mismatch == "chip-id")
        throw InputError("--mismatch chip-id: a VLEK names no chip (use tcb with --vlek)");
      std::error_code ec;
      if (!opt->key_cache.empty()) {
        fs::create_directories(opt->key_cache, ec);
        if (ec || !fs::is_directory(opt->key_cache))
          throw InputError("--key-cache " + opt->key_cache + ": " +
                           (ec ? ec.message() : std::string("not a directory")));
      }
      fs::create_directories(*out_dir, ec);
      if (ec || !fs::is_directory(*out_dir))
        throw InputError("--out-dir " + *out_dir + ": " +
                         (ec ? ec.message() : std::string("not a directory")));
      const auto sample = tools::report::make_sample(*opt);
      tools::report::write_sample(sample, *out_dir, *der);
      const char* ext = *der ? ".der" : ".pem";
      std::printf("wrote %s/{report.bin,%s}%s (simulated chip, not AMD's keys)\n", out_dir->c_str(),
                  opt->vlek ? "ark,asvk,vlek" : "ark,ask,vcek", ext);
      std::printf(
          "verify it with: cbit report verify %s/report.bin --certs-dir %s --trust-ark %s/ark%s\n"
          "(its ARK is not one of AMD's, so without --trust-ark verify refuses it: exit 7)\n",
          out_dir->c_str(), out_dir->c_str(), out_dir->c_str(), ext);
    });
  }

  // signature-der
  {
    auto* sub = cmd->add_subcommand(
        "signature-der",
        "Write the report's signature (R,S) as DER, for `openssl dgst -sha384 -verify`, and "
        "optionally the signed bytes 0x0-0x29F");
    auto path = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto signed_out = std::make_shared<std::string>();
    sub->add_option("report", *path, "Attestation report file")->required();
    sub->add_option("--out", *out, "Output DER signature file")->required();
    sub->add_option("--signed-bytes", *signed_out, "Also write report bytes 0x0-0x29F here");
    sub->callback([path, out, signed_out] {
      refuse_same_file(
          {{"report", *path, false}, {"--out", *out, true}, {"--signed-bytes", *signed_out, true}});
      const Bytes bytes = read_report_file(*path);
      psp::AttestationReport::parse(bytes, *path);  // size and version checks
      write_file_atomic(*out, ByteSpan(psp::report_signature_der(bytes)));
      if (!signed_out->empty())
        write_file_atomic(*signed_out, ByteSpan(bytes.data(), psp::kReportSignedSize));
    });
  }
}

}  // namespace cbit::cli
