#include "sw/owner/snp_rp_authenticity.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "common/error.h"
#include "psp/certs/amd_roots.h"
#include "psp/certs/cert_io.h"
#include "psp/snp/cert_table.h"
#include "tools/report/verify.h"

namespace cbit::sw::owner {

using namespace cbit::psp;
namespace tr = cbit::tools::report;

namespace {

// The relying-party check a verifier line belongs to.
std::string group_of(const std::string& id) {
  static const std::pair<const char*, const char*> kGroups[] = {
      {"format", "format"}, {"signing_key", "signing-key"}, {"root", "root"},
      {"chain", "chain"},   {"signature", "signature"},     {"binding", "vcek-binding"}};
  for (const auto& [prefix, group] : kGroups)
    if (id.rfind(prefix, 0) == 0) return group;
  return id;
}

// One check's outcome, gathered from several lines: the first failure wins; a pass lists
// every passing line.
struct Group {
  std::optional<std::string> fail, pass, skip;
  void add(RpCheck::Status s, const std::string& text) {
    auto& slot = s == RpCheck::Status::Fail ? fail : s == RpCheck::Status::Pass ? pass : skip;
    if (!slot)
      slot = text;
    else if (s == RpCheck::Status::Pass)
      *slot += "; " + text;
  }
  void emit(RpVerdict& v, const std::string& name) const {
    if (fail)
      v.fail(name, *fail);
    else if (pass)
      v.pass(name, *pass);
    else if (skip)
      v.skip(name, *skip);
  }
};

const char* const kOrder[] = {"format", "signing-key", "certificates", "root",
                              "chain",  "signature",   "vcek-binding"};

}  // namespace

void check_authenticity(RpVerdict& v, ByteSpan report_bytes, const AttestationReport& report,
                        ByteSpan cert_table, const AuthenticityOptions& opt) {
  CBIT_ASSERT(opt.trusted_ark != nullptr);
  std::map<std::string, Group> g;
  g["format"].pass =
      fmt::format("ATTESTATION_REPORT version {}; no reserved byte or bit set", report.version);

  const bool vlek = report.signing_key() == SigningKey::Vlek;
  const char* key_name = vlek ? "VLEK" : "VCEK";
  if ((vlek && !opt.accept_vlek) || (report.signing_key() == SigningKey::Vcek && !opt.accept_vcek))
    g["signing-key"].add(
        RpCheck::Status::Fail,
        fmt::format("signed by the {}, which this policy does not accept", key_name));

  X509Ptr leaf, mid, ark;
  try {
    std::string why;
    const auto table = snp::cert_table_parse(cert_table, &why);
    if (!table) throw InputError(why);
    auto find = [&](const snp::CertGuid& guid) -> const Bytes* {
      for (const snp::CertEntry& e : *table)
        if (e.guid == guid) return &e.data;
      return nullptr;
    };
    const Bytes* l = find(vlek ? snp::cert_guid_vlek() : snp::cert_guid_vcek());
    const Bytes* m = find(snp::cert_guid_ask());
    if (!l || !m)
      throw InputError(fmt::format("certificate table has no {} certificate",
                                   !l ? key_name : (vlek ? "ASVK" : "ASK")));
    leaf = parse_certificate(*l, key_name);
    mid = parse_certificate(*m, vlek ? "ASVK" : "ASK");
    if (const Bytes* r = find(snp::cert_guid_ark())) ark = parse_certificate(*r, "ARK");
    g["certificates"].add(RpCheck::Status::Pass,
                          fmt::format("{}, {}{} in the table", key_name, vlek ? "ASVK" : "ASK",
                                      ark ? " and an ARK" : ""));
  } catch (const InputError& e) {
    g["certificates"].add(RpCheck::Status::Fail, e.what());
  }

  if (leaf) {
    try {
      const tr::VerifyResult r =
          tr::verify_attestation(report_bytes, {leaf.get(), mid.get(), ark.get()},
                                 {opt.trusted_ark, "the relying party's policy"});
      for (const tr::CheckLine& line : r.lines) {
        if (line.status == tr::CheckLine::Status::Info) continue;
        const auto s = line.status == tr::CheckLine::Status::Pass   ? RpCheck::Status::Pass
                       : line.status == tr::CheckLine::Status::Fail ? RpCheck::Status::Fail
                                                                    : RpCheck::Status::Skip;
        g[group_of(line.id)].add(s, line.text);
      }
      // The verifier also trusts AMD's pinned ARKs; this relying party trusts its own only.
      if (r.root.kind != tr::RootUsed::Kind::None &&
          r.root.cert_sha256 != cert_der_sha256(opt.trusted_ark))
        g["root"].add(RpCheck::Status::Fail,
                      fmt::format("the chain ends in {} (sha256 {}), not the relying party's "
                                  "trusted ARK (sha256 {})",
                                  r.root.product.empty() ? "another root"
                                                         : "AMD's " + r.root.product + " ARK",
                                  r.root.cert_sha256, cert_der_sha256(opt.trusted_ark)));
      // Nothing but a full verification counts (e.g. a verdict limited without a failed line).
      if (r.verdict != tr::Verdict::Verified) {
        bool failed = false;
        for (const auto& [name, grp] : g) failed |= grp.fail.has_value();
        if (!failed)
          g["chain"].add(
              RpCheck::Status::Fail,
              fmt::format("verifier: {} ({})", tr::verdict_name(r.verdict), r.first_failure));
      }
    } catch (const InputError& e) {
      g["certificates"].add(RpCheck::Status::Fail, e.what());
    }
  }

  for (const char* name : kOrder) {
    auto it = g.find(name);
    if (it == g.end() || (!it->second.fail && !it->second.pass && !it->second.skip))
      v.skip(name, leaf ? "not reported by the verifier" : "no usable certificates");
    else
      it->second.emit(v, name);
  }
  for (const auto& [name, grp] : g)  // any line the verifier adds later under a new name
    if (std::find(std::begin(kOrder), std::end(kOrder), name) == std::end(kOrder))
      grp.emit(v, name);
}

}  // namespace cbit::sw::owner
