// `cbit report`: show, verify and produce SEV-SNP attestation reports.
//   display FILE                      the report as snpguest's `display report` shows it
//   verify FILE --vcek F [--ask F --ark F] | --certs-dir D
//                                     signature, chain and TCB/chip binding; exit 0/1/2/5
//   sample --out-dir D [--seed N]     a report and ARK/ASK/VCEK from a simulated chip
//   signature-der FILE --out F        the report's R,S as a DER ECDSA signature (for openssl)
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "common/file.h"
#include "psp/certs/sim_chain.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"
#include "tools/report/display.h"
#include "tools/report/sample.h"
#include "tools/report/verify.h"

namespace cbit::cli {

namespace {

namespace fs = std::filesystem;

// snpguest's convention: <dir>/<name>.pem, else <dir>/<name>.der.
std::string find_in_dir(const std::string& dir, const char* name) {
  for (const char* ext : {".pem", ".der"}) {
    const fs::path p = fs::path(dir) / (std::string(name) + ext);
    if (fs::exists(p)) return p.string();
  }
  return "";
}

Bytes read_report_file(const std::string& path) { return read_file(path, inputs::kReport); }

}  // namespace

void add_report_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("report", "Show, verify and produce SEV-SNP attestation reports");
  cmd->require_subcommand(1);

  // display
  {
    auto* sub = cmd->add_subcommand("display", "Show an attestation report (snpguest layout)");
    auto path = std::make_shared<std::string>();
    sub->add_option("report", *path, "Attestation report file (0x4A0 bytes)")->required();
    sub->callback([path] {
      const auto r = psp::AttestationReport::parse(read_report_file(*path), *path);
      std::fputs(tools::report::display_report(r).c_str(), stdout);
    });
  }

  // verify
  {
    auto* sub = cmd->add_subcommand(
        "verify",
        "Verify a report's signature, its ARK->ASK->VCEK chain and the VCEK's TCB and chip "
        "binding (exit 0 ok, 1 misuse, 2 bad signature, 5 policy failure)");
    auto in = std::make_shared<tools::report::VerifyInputs>();
    auto dir = std::make_shared<std::string>();
    sub->add_option("report", in->report_path, "Attestation report file (0x4A0 bytes)")->required();
    sub->add_option("--vcek", in->vcek_path, "VCEK certificate (PEM or DER)");
    sub->add_option("--ask", in->ask_path, "ASK certificate (PEM or DER)");
    sub->add_option("--ark", in->ark_path, "ARK certificate (PEM or DER), the trust anchor");
    sub->add_option("--certs-dir", *dir,
                    "Directory with vcek, ask, ark as .pem or .der (snpguest's layout)");
    sub->callback([in, dir, &ctx] {
      if (!dir->empty()) {
        if (!fs::is_directory(*dir)) throw InputError("--certs-dir " + *dir + ": not a directory");
        if (in->vcek_path.empty()) in->vcek_path = find_in_dir(*dir, "vcek");
        if (in->ask_path.empty()) in->ask_path = find_in_dir(*dir, "ask");
        if (in->ark_path.empty()) in->ark_path = find_in_dir(*dir, "ark");
        if (in->vcek_path.empty())
          throw InputError("--certs-dir " + *dir + ": no vcek.pem or vcek.der in it");
      }
      if (in->vcek_path.empty()) throw InputError("verify: give --vcek FILE or --certs-dir DIR");
      const auto result = tools::report::verify_report(*in);
      std::fputs(tools::report::render(result).c_str(), stdout);
      std::fflush(stdout);
      if (result.exit_code != tools::report::kExitOk) {
        ctx.exit_code = result.exit_code;
        throw InputError(
            fmt::format("report verify: {} (exit {})", result.first_failure, result.exit_code));
      }
      std::puts("Report verified.");
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
    sub->callback([=] {
      if (seed_opt->count() > 0) opt->seed = *seed;
      if (!report_data->empty()) opt->report_data = from_hex(*report_data, "--report-data");
      // Check every option, then the directories, before anything is created or spent on
      // RSA-4096 keys.
      psp::chip_product(opt->product);
      if (!opt->mismatch.empty() && opt->mismatch != "tcb" && opt->mismatch != "chip-id")
        throw InputError("--mismatch: '" + opt->mismatch + "' is not one of tcb, chip-id");
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
      std::printf("wrote %s/{report.bin,ark,ask,vcek}%s (simulated chip, not AMD's keys)\n",
                  out_dir->c_str(), *der ? ".der" : ".pem");
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
