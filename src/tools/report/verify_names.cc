// The stable names and exit codes of verify.h's enums (docs/report.md "Exit codes" and "JSON").
#include "tools/report/verify.h"

namespace cbit::tools::report {

using Status = CheckLine::Status;

int verdict_exit_code(Verdict v) {
  switch (v) {
    case Verdict::Verified:
      return kExitOk;
    case Verdict::BadSignature:
      return kExitBadSignature;
    case Verdict::Policy:
      return kExitPolicy;
    case Verdict::ChainNotVerified:
      return kExitChainNotVerified;
    case Verdict::UntrustedRoot:
      return kExitUntrustedRoot;
    case Verdict::Malformed:
      return kExitMalformed;
    case Verdict::Unsigned:
      return kExitUnsigned;
    case Verdict::KeyMismatch:
      return kExitKeyMismatch;
  }
  return kExitMisuse;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Verified:
      return "verified";
    case Verdict::BadSignature:
      return "bad_signature";
    case Verdict::Policy:
      return "policy";
    case Verdict::ChainNotVerified:
      return "chain_not_verified";
    case Verdict::UntrustedRoot:
      return "untrusted_root";
    case Verdict::Malformed:
      return "malformed";
    case Verdict::Unsigned:
      return "unsigned";
    case Verdict::KeyMismatch:
      return "key_mismatch";
  }
  return "?";
}

const char* endorsement_key_name(EndorsementKey k) {
  return k == EndorsementKey::Vlek ? "VLEK" : "VCEK";
}
const char* intermediate_name(EndorsementKey k) {
  return k == EndorsementKey::Vlek ? "ASVK" : "ASK";
}

const char* check_status_name(CheckLine::Status s) {
  switch (s) {
    case Status::Pass:
      return "pass";
    case Status::Fail:
      return "fail";
    case Status::Skip:
      return "skip";
    case Status::Info:
      return "info";
  }
  return "?";
}

const char* root_kind_name(RootUsed::Kind k) {
  switch (k) {
    case RootUsed::Kind::None:
      return "none";
    case RootUsed::Kind::AmdPinned:
      return "amd_pinned";
    case RootUsed::Kind::Trusted:
      return "trusted";
    case RootUsed::Kind::Untrusted:
      return "untrusted";
  }
  return "?";
}

}  // namespace cbit::tools::report
