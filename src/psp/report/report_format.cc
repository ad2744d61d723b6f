#include "psp/report/report_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "psp/report/attestation_report.h"
#include "psp/report/report_bits.h"

namespace cbit::psp {

namespace {

template <typename T>
T load(ByteSpan b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof(v));
  return v;
}

class Findings {
 public:
  explicit Findings(ByteSpan b) : b_(b) {}
  void add(std::string rule, FormatSeverity s, std::string text) {
    out_.push_back({std::move(rule), s, std::move(text)});
  }
  // Bytes [lo, hi) must be zero.
  void mbz(size_t lo, size_t hi, const char* what) {
    const auto first = b_.begin() + static_cast<std::ptrdiff_t>(lo);
    const auto last = b_.begin() + static_cast<std::ptrdiff_t>(hi);
    const auto nz = std::find_if(first, last, [](uint8_t x) { return x != 0; });
    if (nz == last) return;
    add(fmt::format("mbz.0x{:X}", lo), FormatSeverity::Refuse,
        fmt::format("{} 0x{:X}..0x{:X} must be zero; byte 0x{:X} is 0x{:02X}", what, lo, hi - 1,
                    lo + static_cast<size_t>(nz - first), *nz));
  }
  std::vector<FormatFinding> take() { return std::move(out_); }

 private:
  ByteSpan b_;
  std::vector<FormatFinding> out_;
};

}  // namespace

std::vector<FormatFinding> report_format_findings(ByteSpan b) {
  Findings f(b);
  const uint32_t version = load<uint32_t>(b, 0x00);
  if (version > kMaxKnownReportVersion)
    f.add("version.unknown", FormatSeverity::Warn,
          fmt::format("VERSION {} is newer than the layouts known here (2-5); fields added after "
                      "version 5 are not shown or checked",
                      version));

  const uint64_t policy = load<uint64_t>(b, 0x08);
  if (!((policy >> kPolicyMboBit) & 1))
    f.add("policy.mbo", FormatSeverity::Refuse,
          fmt::format("POLICY 0x{:X}: bit 17 is reserved and must be one", policy));
  if (policy & kPolicyReservedMask)
    f.add("policy.reserved", FormatSeverity::Refuse,
          fmt::format("POLICY 0x{:X}: reserved bits 63:26 set (0x{:X})", policy,
                      policy & kPolicyReservedMask));

  const uint32_t vmpl = load<uint32_t>(b, 0x30);
  if (vmpl == kVmplHostRequested)
    f.add("vmpl.host_requested", FormatSeverity::Policy,
          "VMPL 0xFFFFFFFF: the host requested this report (SNP_HV_REPORT_REQ), not the guest; "
          "its REPORT_DATA is not the guest's");
  else if (vmpl > 3)
    f.add("vmpl.range", FormatSeverity::Refuse,
          fmt::format("VMPL {} is not 0-3 (nor 0xFFFFFFFF for a host-requested report)", vmpl));

  const uint64_t platform = load<uint64_t>(b, 0x40);
  if (platform & kPlatformInfoReservedMask)
    f.add("platform_info.reserved", FormatSeverity::Refuse,
          fmt::format("PLATFORM_INFO 0x{:X}: reserved bits 63:8 set (0x{:X})", platform,
                      platform & kPlatformInfoReservedMask));
  if ((platform >> kPlatformInfoIommuWriteSafeBit) & 1)
    f.add("platform_info.bit6", FormatSeverity::Warn,
          "PLATFORM_INFO bit 6 (IOMMU_WRITE_SAFE in newer firmware) is set; go-sev-guest "
          "still treats it as reserved and refuses the report");

  const uint32_t key_info = load<uint32_t>(b, 0x48);
  if (key_info >> 5)
    f.add("key_info.reserved", FormatSeverity::Refuse,
          fmt::format("KEY_INFO 0x{:X}: reserved bits 31:5 set", key_info));
  const uint32_t signing_key = (key_info >> 2) & 7;
  if (signing_key >= 2 && signing_key <= 6)
    f.add("key_info.signing_key", FormatSeverity::Refuse,
          fmt::format("KEY_INFO.SIGNING_KEY {} is reserved (0 VCEK, 1 VLEK, 7 none)", signing_key));

  f.mbz(0x4C, 0x50, "reserved");
  f.mbz(version >= 3 ? 0x18B : 0x188, 0x1A0, "reserved");
  f.mbz(0x1EB, 0x1EC, "reserved");
  f.mbz(0x1EF, 0x1F0, "reserved");
  if (version < 5 &&
      std::any_of(b.begin() + 0x1F8, b.begin() + 0x208, [](uint8_t x) { return x != 0; }))
    f.add("mit_vector.before_v5", FormatSeverity::Warn,
          fmt::format("version {} report with non-zero bytes at 0x1F8..0x207 (the mitigation "
                      "vectors of version 5)",
                      version));
  f.mbz(0x208, kReportSignedSize, "reserved");

  // ECDSA P-384: R and S are 48 bytes; the 72-byte fields' upper 24 bytes are zero.
  f.mbz(kReportSigROffset + 48, kReportSigROffset + kReportSigComponentSize, "signature R high");
  f.mbz(kReportSigSOffset + 48, kReportSigSOffset + kReportSigComponentSize, "signature S high");
  f.mbz(kReportSigSOffset + kReportSigComponentSize, kReportSize, "reserved after the signature");
  return f.take();
}

const char* format_severity_name(FormatSeverity s) {
  switch (s) {
    case FormatSeverity::Refuse:
      return "refuse";
    case FormatSeverity::Policy:
      return "policy";
    case FormatSeverity::Warn:
      return "warn";
  }
  return "?";
}

}  // namespace cbit::psp
