// SNP_LAUNCH_UPDATE (AMD-ASPFW sev_mcmd.c snp_mcmd_launch_update; SNP-FACTS.md §2.4, §2.6,
// §5.3). Checks in ASPFW's order:
//   reserved bits (GCTX, page address, flags 31:5, rsvd words, the low byte and bits 7:5 of each
//   VMPL permission byte) -> INVALID_PARAM; SNP not INIT -> INVALID_PLATFORM_STATE; GCTX not
//   Context -> INVALID_GUEST; the page not Pre-Guest -> INVALID_PAGE_STATE (no RMP entry ->
//   INVALID_ADDRESS); RMP page size != PAGE_SIZE -> INVALID_PAGE_SIZE; a 2 MiB page not 2 MiB
//   aligned -> INVALID_ADDRESS; VMSA/SECRETS/CPUID not 4 KiB -> INVALID_PAGE_SIZE; page type 0
//   or 7 -> INVALID_PARAM; guest not LAUNCH -> INVALID_GUEST_STATE; no ASID -> INACTIVE; RMP.ASID
//   != the guest's ASID -> INVALID_PAGE_OWNER; IMI launch without IMI_PAGE -> INVALID_PARAM.
// Then per 4 KiB page (a 2 MiB page is 512 of them, GPA advancing by 4 KiB, each its own
// PAGE_INFO): the firmware reads the host's plaintext (through the host key when the address
// carries the C-bit), builds the contents the type asks for, folds PAGE_INFO into the launch
// digest through psp::digest::SnpLaunchDigest (the module `cbit measure` uses), and writes the
// page back in place encrypted with the guest's VEK:
//   NORMAL the host's bytes, measured; VMSA the same with GUEST_TSC_SCALE/OFFSET (0x2F0, 0x2F8)
//   zeroed for the measurement; ZERO zeros; UNMEASURED the host's bytes, contents 0; SECRETS a
//   page the firmware generates (psp/snp/secrets_page.h: version 3, IMI_EN, FMS, GOSVW,
//   VMPCK0-3, TSC_FACTOR);
//   CPUID the host's table checked against the part (psp/snp/cpuid_page.h): a wrong entry -> the
//   corrected table is written back unencrypted, nothing is measured, INVALID_PARAM.
// Finally the RMP entry: Validated=1, Immutable=0 (Pre-Guest -> Guest-Valid), VMPL1-3
// permissions, RMP.VMSA=1 for a VMSA page. For a 2 MiB page all 512 entries of the region are
// updated (snp_rmp_write), as the RMP hardware keeps a 2 MiB page: every check and PVALIDATE
// reads the entry of the 4 KiB piece it touches (hw/rmp/rmp_insn.h).
#include <openssl/crypto.h>

#include <algorithm>
#include <array>

#include "hw/cpu/cpuid.h"
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"
#include "psp/digest/page_hash.h"
#include "psp/digest/page_memo.h"
#include "psp/snp/cpuid_page.h"
#include "psp/snp/secrets_page.h"

namespace cbit::hw::psp::sev {
namespace {

constexpr size_t kVmsaTscScale = 0x2F0, kVmsaTscOffset = 0x2F8;
constexpr uint32_t kTscFactorGenoa = 200;  // 0.2% (ASPFW TSC_FACTOR_GENOA)

}  // namespace

SevStatus SevFirmware::snp_update_page(SnpGuestContext& g, SnpPageType type, SysPhysAddr spa,
                                       uint64_t host_paddr, uint64_t gpa, uint32_t perms) {
  using ::cbit::psp::digest::PageInfoFields;
  using ::cbit::psp::digest::PageType;
  // One pass over the page: NORMAL, UNMEASURED and VMSA pages are updated in place (the host's
  // page is the guest's page), so the firmware's DMA snoops the page once for a write (dirty
  // lines written back, every copy invalidated: what the read's snoop and the write's snoop did
  // between them, as nothing else runs in between), reads it into its own buffer through the
  // host's key or none, hashes it once and writes it back once through the guest's key.
  std::array<uint8_t, kPageSize> buf{};
  MutByteSpan page(buf);
  Bytes secrets;
  bool snooped = false;
  crypto::Sha384Digest contents{};
  switch (type) {
    case SnpPageType::Normal:
    case SnpPageType::Unmeasured:
    case SnpPageType::Vmsa: {
      SysPhysAddr hpa;
      if (SevStatus st = check_range(host_paddr, kPageSize, false, &hpa); st != SevStatus::Success)
        return st;
      if (hpa == spa) {
        snoop(spa, kPageSize, true);
        snooped = true;
        sp_.mc_.read(spa, page,
                     has_cbit(host_paddr) ? EncTag{true, KeyId::host()} : EncTag::none());
        break;
      }
      if (SevStatus st = host_read(host_paddr, page); st != SevStatus::Success) return st;
      break;
    }
    case SnpPageType::Cpuid:
      if (SevStatus st = host_read(host_paddr, page); st != SevStatus::Success) return st;
      break;
    case SnpPageType::Zero:
      break;
    case SnpPageType::Secrets: {
      ::cbit::psp::snp::SecretsPageInit init;
      init.imi_en = g.imi_en;
      if (snp_.cpu)
        init.fms = encode_signature(snp_.cpu->family, snp_.cpu->model, snp_.cpu->stepping);
      init.gosvw = g.gosvw;
      init.tsc_factor = kTscFactorGenoa;
      secrets = ::cbit::psp::snp::snp_secrets_page_build(init, g.vmpck);
      page = MutByteSpan(secrets);
      break;
    }
  }
  if (type == SnpPageType::Cpuid) {
    // psp::snp's sanitiser (ASPFW cpuid_lookup's rules): a wrong entry or reserved field ->
    // the corrected table goes back to the host unencrypted and the command fails.
    if (!snp_.cpu) return SevStatus::InvalidConfig;
    const auto table = ::cbit::psp::snp::CpuidTable::parse(page);
    if (!table) return SevStatus::InvalidParam;
    const auto res = ::cbit::psp::snp::snp_cpuid_sanitize(*table, *snp_.cpu);
    if (!res.mismatches.empty()) {
      if (SevStatus st = host_write(host_paddr, res.table.serialize()); st != SevStatus::Success)
        return st;
    }
    if (res.status != SevStatus::Success) return res.status;
  }
  // One SHA-384 context for the firmware's thread, fetched on first use.
  thread_local ::cbit::psp::digest::PageHasher hasher;
  // A NORMAL page whose bytes the owner's prediction already hashed in this process has that
  // digest (psp/digest/page_memo.h: every byte compared); any other is hashed here.
  if (type == SnpPageType::Normal) {
    const auto known = ::cbit::psp::digest::remembered_page_digest(page);
    contents = known ? *known : hasher.sha384(page);
  }
  if (type == SnpPageType::Vmsa) {
    std::array<uint8_t, kPageSize> m;
    std::copy(page.begin(), page.end(), m.begin());
    std::fill_n(m.begin() + kVmsaTscScale, 16, 0);
    contents = hasher.sha384(m);
    OPENSSL_cleanse(m.data(), m.size());
  }
  PageInfoFields f;
  f.type = static_cast<PageType>(type);
  f.gpa = gpa;
  f.imi = false;
  f.vmpl1_perms = (perms >> 8) & 0xff;
  f.vmpl2_perms = (perms >> 16) & 0xff;
  f.vmpl3_perms = (perms >> 24) & 0xff;
  g.ld->update(contents, f);
  SevStatus st = SevStatus::Success;
  if (snooped)  // is_backed was checked by check_range on the same page
    sp_.mc_.write(spa, page, EncTag{true, KeyId::for_asid(Asid(g.asid))});
  else
    st = snp_guest_write(spa, page, g.asid);
  OPENSSL_cleanse(page.data(), page.size());
  return st;
}

// struct sev_data_snp_launch_update { u64 gctx_paddr; u32 page_size:1, page_type:3,
//   imi_page:1, rsvd:27; u32 rsvd2; u64 address; u32 rsvd3:8, vmpl1_perms:8, vmpl2_perms:8,
//   vmpl3_perms:8; u32 rsvd4; }
SevStatus SevFirmware::cmd_snp_launch_update(Bytes& buf) {
  const uint8_t* b = buf.data();
  const uint64_t gctx = load_le<uint64_t>(b);
  const uint32_t flags = load_le<uint32_t>(b + 8);
  const uint64_t addr = load_le<uint64_t>(b + 16);
  const uint32_t perms = load_le<uint32_t>(b + 24);
  const bool size_2m = flags & 1;
  const uint32_t type = (flags >> 1) & 7;
  const bool imi_page = flags & (1u << 4);
  bool perm_rsvd = (perms & 0xff) != 0;
  for (unsigned v = 1; v < 4; ++v) perm_rsvd |= ((perms >> (8 * v)) & rmp::perm::kReserved) != 0;
  const bool rsvd_ok = !(flags >> 5) && load_le<uint32_t>(b + 12) == 0 &&
                       load_le<uint32_t>(b + 28) == 0 && !snp_addr_reserved(addr) && !perm_rsvd;
  SnpGuestContext* g = nullptr;
  if (SevStatus st = snp_prologue(gctx, rsvd_ok, &g); st != SevStatus::Success) return st;
  SysPhysAddr pa;
  rmp::RmpEntry e;
  if (SevStatus st = snp_rmp_read(addr, &pa, &e); st != SevStatus::Success) return st;
  if (rmp::rmp_entry_get_state(e) != rmp::PageState::PreGuest) return SevStatus::InvalidPageState;
  if (e.page_size_2m != size_2m) return SevStatus::InvalidPageSize;
  if (size_2m && pa.value % rmp::k2MiB) return SevStatus::InvalidAddress;
  const auto t = static_cast<SnpPageType>(type);
  if (type == 0 || type > 6) return SevStatus::InvalidParam;
  if ((t == SnpPageType::Vmsa || t == SnpPageType::Secrets || t == SnpPageType::Cpuid) && size_2m)
    return SevStatus::InvalidPageSize;
  if (g->state != SnpGuestState::Launch) return SevStatus::InvalidGuestState;
  if (g->inactive()) return SevStatus::Inactive;
  if (e.asid != g->asid) return SevStatus::InvalidPageOwner;
  if (g->imi_en && !imi_page) return SevStatus::InvalidParam;
  const uint64_t pages = size_2m ? rmp::kPagesPer2MiB : 1;
  if (!sp_.mc_.is_backed(pa, pages * kPageSize)) return SevStatus::InvalidAddress;

  for (uint64_t i = 0; i < pages; ++i) {
    const uint64_t off = i * kPageSize;
    if (SevStatus st =
            snp_update_page(*g, t, SysPhysAddr(pa.value + off), addr + off, e.gpa + off, perms);
        st != SevStatus::Success)
      return st;
  }
  e.validated = true;  // Pre-Guest -> Guest-Valid
  e.immutable = false;
  e.vmpl_perms[1] = (perms >> 8) & 0xff;
  e.vmpl_perms[2] = (perms >> 16) & 0xff;
  e.vmpl_perms[3] = (perms >> 24) & 0xff;
  if (t == SnpPageType::Vmsa) e.vmsa = true;
  snp_rmp_write(pa, e);
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
