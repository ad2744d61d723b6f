// SNP numbers against the tables generated from docs/SPEC-FACTS.md "SNP formats": the RMP entry
// bit layout, page-state names, and the offsets and codes of the CPUID page, ID block, ID auth,
// secrets page, PSC buffer, GHCB MSR protocol and NAE events, matched by name.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

#include "hw/rmp/rmp_entry.h"
#include "psp/snp/cpuid_page.h"
#include "psp/snp/guest_msg.h"
#include "psp/snp/id_block.h"
#include "psp/snp/key_mix.h"
#include "psp/snp/secrets_page.h"
#include "spec_tables.inc"
#include "sw/ghcb/ghcb.h"
#include "sw/ghcb/psc.h"

namespace {

using namespace cbit;

struct Named {
  const char* name;
  uint64_t value;
};
constexpr Named kRmpBits[] = {CBIT_SPEC_SNP_RMP_ENTRY_BITS};
constexpr Named kPageStates[] = {CBIT_SPEC_SNP_PAGE_STATES};
constexpr Named kCpuidOffsets[] = {CBIT_SPEC_SNP_CPUID_PAGE_OFFSETS};
constexpr Named kIdBlockOffsets[] = {CBIT_SPEC_SNP_ID_BLOCK_OFFSETS};
constexpr Named kIdAuthOffsets[] = {CBIT_SPEC_SNP_ID_AUTH_OFFSETS};
constexpr Named kSecretsOffsets[] = {CBIT_SPEC_SNP_SECRETS_PAGE_OFFSETS};
constexpr Named kPsc[] = {CBIT_SPEC_SNP_PSC};
constexpr Named kMsgHeader[] = {CBIT_SPEC_SNP_GUEST_MSG_HEADER_OFFSETS};
constexpr Named kMsgTypes[] = {CBIT_SPEC_SNP_GUEST_MSG_TYPES};
constexpr Named kGfsBits[] = {CBIT_SPEC_SNP_GUEST_FIELD_SELECT_BITS};
constexpr Named kMsrCodes[] = {CBIT_SPEC_SNP_GHCB_MSR_CODES};
constexpr Named kNae[] = {CBIT_SPEC_SNP_NAE_EVENTS};

// Looks a row's name up in the code's map; a name the code lacks fails the test by name.
void expect_rows(const Named* rows, size_t n, const std::map<std::string, uint64_t>& code) {
  ASSERT_GT(n, 0u);
  for (size_t i = 0; i < n; ++i) {
    const auto it = code.find(rows[i].name);
    ASSERT_NE(it, code.end()) << "the code has no constant for " << rows[i].name;
    EXPECT_EQ(it->second, rows[i].value) << rows[i].name;
  }
}
template <size_t N>
void expect_rows(const Named (&rows)[N], const std::map<std::string, uint64_t>& code) {
  expect_rows(rows, N, code);
}

TEST(SnpConformance, RmpEntryBitLayout) {
  using hw::rmp::RmpEntry;
  // Each field set to its lowest value, alone: the lowest set bit of quadword 0 is its position.
  const std::map<std::string, RmpEntry> one = {
      {"ASSIGNED", RmpEntry{.assigned = true}},   {"PAGE_SIZE", RmpEntry{.page_size_2m = true}},
      {"IMMUTABLE", RmpEntry{.immutable = true}}, {"SUBPAGE_COUNT", RmpEntry{.subpage_count = 1}},
      {"GPA", RmpEntry{.gpa = 0x1000}},           {"ASID", RmpEntry{.asid = 1}},
      {"VMSA", RmpEntry{.vmsa = true}},           {"VALIDATED", RmpEntry{.validated = true}},
      {"LOCK", RmpEntry{.lock = true}},
  };
  std::map<std::string, uint64_t> code;
  for (const auto& [name, e] : one) {
    const auto raw = e.encode();
    const uint64_t q0 = load_le<uint64_t>(raw.data());
    ASSERT_NE(q0, 0u) << name;
    code[name] = static_cast<uint64_t>(__builtin_ctzll(q0));
    EXPECT_EQ(RmpEntry::decode(raw), e) << name;
  }
  expect_rows(kRmpBits, code);
}

TEST(SnpConformance, PageStateNamesInAspfwOrder) {
  std::map<std::string, uint64_t> code;
  for (uint64_t i = 0; i < std::size(kPageStates); ++i)
    code[hw::rmp::page_state_name(static_cast<hw::rmp::PageState>(i))] = i;
  expect_rows(kPageStates, code);
}

TEST(SnpConformance, CpuidPageOffsets) {
  psp::snp::CpuidTable t;
  t.reserved1 = 0xA1;
  t.reserved2 = 0xA2;
  t.functions.push_back({0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9});
  const Bytes page = t.serialize();
  // Where each marker landed: header fields from 0, entry fields from the first entry.
  auto find = [&](uint8_t marker, size_t from) -> uint64_t {
    for (size_t i = from; i < page.size(); ++i)
      if (page[i] == marker) return i - from;
    return ~0ull;
  };
  const size_t e = psp::snp::kCpuidHeaderSize;
  expect_rows(kCpuidOffsets, {{"COUNT", 0},  // count is 1, checked below
                              {"RESERVED1", find(0xA1, 0)},
                              {"RESERVED2", find(0xA2, 0)},
                              {"ENTRIES", e},
                              {"EAX_IN", find(0xB1, e)},
                              {"ECX_IN", find(0xB2, e)},
                              {"XCR0_IN", find(0xB3, e)},
                              {"XSS_IN", find(0xB4, e)},
                              {"EAX", find(0xB5, e)},
                              {"EBX", find(0xB6, e)},
                              {"ECX", find(0xB7, e)},
                              {"EDX", find(0xB8, e)},
                              {"RESERVED", find(0xB9, e)}});
  EXPECT_EQ(load_le<uint32_t>(page.data()), 1u);
}

TEST(SnpConformance, IdBlockOffsets) {
  psp::snp::IdBlock b;
  b.ld.fill(0);
  b.ld[0] = 0xC1;
  b.family_id[0] = 0xC2;
  b.image_id[0] = 0xC3;
  b.version = 0xC4;
  b.guest_svn = 0xC5;
  b.policy = 0xC6;
  const Bytes bytes = b.serialize();
  EXPECT_EQ(bytes.size(), psp::snp::kIdBlockSize);
  std::map<std::string, uint64_t> code;
  const char* names[] = {"LD", "FAMILY_ID", "IMAGE_ID", "VERSION", "GUEST_SVN", "POLICY"};
  for (int k = 0; k < 6; ++k)
    for (size_t i = 0; i < bytes.size(); ++i)
      if (bytes[i] == 0xC1 + k) code[names[k]] = i;
  expect_rows(kIdBlockOffsets, code);
}

TEST(SnpConformance, IdAuthOffsets) {
  namespace o = psp::snp::id_auth_off;
  expect_rows(kIdAuthOffsets, {{"ID_KEY_ALGO", o::kIdKeyAlgo},
                               {"AUTH_KEY_ALGO", o::kAuthKeyAlgo},
                               {"ID_BLOCK_SIG", o::kIdBlockSig},
                               {"ID_KEY", o::kIdKey},
                               {"ID_KEY_SIG", o::kIdKeySig},
                               {"AUTHOR_KEY", o::kAuthorKey}});
}

TEST(SnpConformance, SecretsPageOffsets) {
  namespace o = psp::snp::secrets_off;
  expect_rows(kSecretsOffsets, {{"VERSION", o::kVersion},
                                {"IMI_EN", o::kImiEn},
                                {"FMS", o::kFms},
                                {"GOSVW", o::kGosvw},
                                {"VMPCK0", o::kVmpck0},
                                {"OS_AREA", o::kOsArea},
                                {"VMSA_TWEAK_BITMAP", o::kVmsaTweakBitmap},
                                {"SVSM_BASE", o::kSvsmBase},
                                {"SVSM_SIZE", o::kSvsmSize},
                                {"SVSM_CAA", o::kSvsmCaa},
                                {"SVSM_MAX_VERSION", o::kSvsmMaxVersion},
                                {"SVSM_GUEST_VMPL", o::kSvsmGuestVmpl},
                                {"TSC_FACTOR", o::kTscFactor}});
}

TEST(SnpConformance, GuestMessageHeaderOffsets) {
  namespace o = psp::snp::guest_msg_off;
  expect_rows(kMsgHeader, {{"AUTHTAG", o::kAuthTag},
                           {"MSG_SEQNO", o::kMsgSeqno},
                           {"ALGO", o::kAlgo},
                           {"HDR_VERSION", o::kHdrVersion},
                           {"HDR_SIZE", o::kHdrSize},
                           {"MSG_TYPE", o::kMsgType},
                           {"MSG_VERSION", o::kMsgVersion},
                           {"MSG_SIZE", o::kMsgSize},
                           {"MSG_VMPCK", o::kMsgVmpck}});
}

TEST(SnpConformance, GuestMessageTypes) {
  std::map<std::string, uint64_t> code;
  for (unsigned t = 1; t <= 18; ++t) code[psp::snp::snp_msg_type_name(static_cast<uint8_t>(t))] = t;
  expect_rows(kMsgTypes, code);
  EXPECT_EQ(std::size(kMsgTypes), 18u);
}

TEST(SnpConformance, GuestFieldSelectBits) {
  auto bit = [](uint64_t mask) { return static_cast<uint64_t>(__builtin_ctzll(mask)); };
  namespace s = psp::snp;
  expect_rows(kGfsBits, {{"GUEST_POLICY", bit(s::kGfsPolicy)},
                         {"IMAGE_ID", bit(s::kGfsImageId)},
                         {"FAMILY_ID", bit(s::kGfsFamilyId)},
                         {"MEASUREMENT", bit(s::kGfsMeasurement)},
                         {"GUEST_SVN", bit(s::kGfsGuestSvn)},
                         {"TCB_VERSION", bit(s::kGfsTcbVersion)}});
  EXPECT_EQ(s::kGfsAll, (1u << std::size(kGfsBits)) - 1);
}

TEST(SnpConformance, PscNumbers) {
  using namespace sw::ghcb;
  expect_rows(kPsc, {{"PSC_MAX_ENTRY", kPscMaxEntries},
                     {"PSC_OP_PRIVATE", static_cast<uint64_t>(PscOp::Private)},
                     {"PSC_OP_SHARED", static_cast<uint64_t>(PscOp::Shared)},
                     {"PSC_OP_PSMASH", static_cast<uint64_t>(PscOp::Psmash)},
                     {"PSC_OP_UNSMASH", static_cast<uint64_t>(PscOp::Unsmash)},
                     {"PSC_ERROR_INVALID_HDR", kPscErrorInvalidHdr},
                     {"PSC_ERROR_INVALID_ENTRY", kPscErrorInvalidEntry},
                     {"PSC_ERROR_GENERIC", kPscErrorGeneric}});
}

TEST(SnpConformance, GhcbMsrCodes) {
  namespace mp = sw::ghcb::msr_proto;
  expect_rows(kMsrCodes, {{"AP_RESET_HOLD_REQ", mp::kApResetHoldReq},
                          {"AP_RESET_HOLD_RESP", mp::kApResetHoldResp},
                          {"PREF_GPA_REQ", mp::kPreferredGpaReq},
                          {"PREF_GPA_RESP", mp::kPreferredGpaResp},
                          {"PSC_REQ", mp::kPscReq},
                          {"PSC_RESP", mp::kPscResp},
                          {"VMPL_REQ", mp::kVmplReq},
                          {"VMPL_RESP", mp::kVmplResp},
                          {"HV_FT_REQ", mp::kHvFeaturesReq},
                          {"HV_FT_RESP", mp::kHvFeaturesResp},
                          {"TERM_REQ", mp::kTermReq}});
}

TEST(SnpConformance, NaeEvents) {
  namespace v = sw::ghcb::vmgexit;
  expect_rows(kNae, {{"PSC", v::kPsc},
                     {"GUEST_REQUEST", v::kGuestRequest},
                     {"EXT_GUEST_REQUEST", v::kExtGuestRequest},
                     {"AP_CREATION", v::kApCreation},
                     {"HV_DOORBELL_PAGE", v::kHvDoorbellPage},
                     {"HV_FEATURES", v::kHvFeatures},
                     {"TERM_REQUEST", v::kTermRequest},
                     {"UNSUPPORTED", v::kUnsupportedEvent}});
}

}  // namespace
