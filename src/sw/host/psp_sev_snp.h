// The SEV-SNP firmware's command buffers as the host kernel lays them out (Linux
// include/linux/psp-sev.h struct sev_data_snp_*, include/uapi/linux/psp-sev.h
// struct sev_user_data_snp_status; SNP ABI "Command Buffer" tables; SNP-FACTS.md 2.4).
//
// Packed, little-endian; sizes and offsets checked below. Bit fields are spelled as whole
// words with named masks (their C layout is the compiler's, the firmware's is the spec's).
// Addresses inside are system physical addresses (__psp_pa: the C-bit under SME).
#pragma once
#include <cstddef>
#include <cstdint>

#include "hw/psp/sev/sev_api.h"

namespace cbit::sw::host {

using hw::psp::sev::SevCmd;

inline constexpr SevCmd SEV_CMD_SNP_SHUTDOWN_EX = SevCmd::SnpShutdownEx;

// SNP_TMR_SIZE: with SNP the SEV-ES TMR is 2 MiB, in firmware state (sev-dev.c).
inline constexpr uint64_t SNP_TMR_SIZE = 2ull << 20;
// The first firmware API with SNP_INIT_EX's range list (sev-dev.c: SNP_MIN_API_MAJOR 1, 52).
inline constexpr uint8_t SNP_MIN_API_MAJOR = 1, SNP_MIN_API_MINOR = 51;

#define CBIT_SNP_PACKED __attribute__((packed))

// SNP_INIT_EX (0x40).
struct CBIT_SNP_PACKED sev_data_snp_init_ex {
  uint32_t flags;  // bit 0 init_rmp, 1 list_paddr_en, 2 rapl_dis, 3 ciphertext_hiding_en
  uint32_t rsvd;
  uint64_t list_paddr;
  uint16_t max_snp_asid;
  uint8_t rsvd1[46];
};
inline constexpr uint32_t SNP_INIT_EX_INIT_RMP = 1u << 0;
inline constexpr uint32_t SNP_INIT_EX_LIST_PADDR_EN = 1u << 1;
inline constexpr uint32_t SNP_INIT_EX_CIPHERTEXT_HIDING_EN = 1u << 3;

// struct sev_data_range_list: the SPA ranges INIT_EX turns HV_Fixed (a 4 KiB page).
struct CBIT_SNP_PACKED sev_data_range {
  uint64_t base;
  uint32_t page_count;
  uint32_t rsvd;
};
struct CBIT_SNP_PACKED sev_data_range_list_hdr {
  uint32_t num_elements;
  uint32_t rsvd;
};

// SNP_SHUTDOWN_EX.
struct CBIT_SNP_PACKED sev_data_snp_shutdown_ex {
  uint32_t len;
  uint32_t flags;  // bit 0 iommu_snp_shutdown, bit 1 x86_snp_shutdown
};

// SNP_PLATFORM_STATUS, SNP_GCTX_CREATE, SNP_DECOMMISSION: one address.
struct CBIT_SNP_PACKED sev_data_snp_addr {
  uint64_t address;
};

// SNP_PLATFORM_STATUS's output page (0x20 bytes of it).
struct CBIT_SNP_PACKED sev_user_data_snp_status {
  uint8_t api_major;
  uint8_t api_minor;
  uint8_t state;
  uint8_t is_rmp_initialized;  // bit 0; bit 1 ALIAS_CHECK_COMPLETE
  uint32_t build_id;
  uint32_t feature_flags;  // bit 0 mask_chip_id, 1 mask_chip_key, 2 vlek_en, ...
  uint32_t guest_count;
  uint64_t current_tcb_version;
  uint64_t reported_tcb_version;
};

// SNP_ACTIVATE.
struct CBIT_SNP_PACKED sev_data_snp_activate {
  uint64_t gctx_paddr;
  uint32_t asid;
};

// SNP_LAUNCH_START (0x30).
struct CBIT_SNP_PACKED sev_data_snp_launch_start {
  uint64_t gctx_paddr;
  uint64_t policy;
  uint64_t ma_gctx_paddr;
  uint32_t flags;  // bit 0 ma_en, bit 1 imi_en
  uint32_t desired_tsc_khz;
  uint8_t gosvw[16];
};

// SNP_LAUNCH_UPDATE (0x20).
struct CBIT_SNP_PACKED sev_data_snp_launch_update {
  uint64_t gctx_paddr;
  uint32_t page_info;  // bit 0 page_size (2 MiB), bits 3:1 page_type, bit 4 imi_page
  uint32_t rsvd;
  uint64_t address;
  uint32_t vmpl_perms;  // bits 15:8 VMPL1, 23:16 VMPL2, 31:24 VMPL3
  uint32_t rsvd2;
};
constexpr uint32_t snp_launch_update_page_info(uint8_t page_type, bool size_2m) {
  return (size_2m ? 1u : 0u) | (uint32_t(page_type & 7) << 1);
}

// SNP_LAUNCH_FINISH (0x40).
struct CBIT_SNP_PACKED sev_data_snp_launch_finish {
  uint64_t gctx_paddr;
  uint64_t id_block_paddr;
  uint64_t id_auth_paddr;
  uint8_t flags;  // bit 0 id_block_en, 1 auth_key_en, 2 vcek_disabled
  uint8_t rsvd[7];
  uint8_t host_data[32];
};
inline constexpr uint8_t SNP_LAUNCH_FINISH_ID_BLOCK_EN = 1u << 0;
inline constexpr uint8_t SNP_LAUNCH_FINISH_AUTH_KEY_EN = 1u << 1;

// SNP_PAGE_RECLAIM / SNP_PAGE_UNSMASH: the page's address, bit 0 = 2 MiB.
struct CBIT_SNP_PACKED sev_data_snp_page_reclaim {
  uint64_t paddr;
};

// SNP_GUEST_STATUS: the guest context and the firmware page it writes.
struct CBIT_SNP_PACKED sev_data_snp_guest_status {
  uint64_t gctx_paddr;
  uint64_t address;
};

// SNP_GUEST_REQUEST: the guest context, the request page (the guest's encrypted message, copied
// by KVM into a hypervisor page) and the response page (Firmware state).
struct CBIT_SNP_PACKED sev_data_snp_guest_request {
  uint64_t gctx_paddr;
  uint64_t req_paddr;
  uint64_t res_paddr;
};

// SNP_DBG_DECRYPT / ENCRYPT.
struct CBIT_SNP_PACKED sev_data_snp_dbg {
  uint64_t gctx_paddr;
  uint64_t src_addr;
  uint64_t dst_addr;
};

#undef CBIT_SNP_PACKED

static_assert(sizeof(sev_data_snp_init_ex) == 0x40 &&
              offsetof(sev_data_snp_init_ex, list_paddr) == 8 &&
              offsetof(sev_data_snp_init_ex, max_snp_asid) == 0x10);
static_assert(sizeof(sev_data_range) == 16 && sizeof(sev_data_range_list_hdr) == 8);
static_assert(sizeof(sev_data_snp_shutdown_ex) == 8);
static_assert(sizeof(sev_data_snp_addr) == 8);
static_assert(sizeof(sev_data_snp_guest_request) == 24);
static_assert(sizeof(sev_user_data_snp_status) == 0x20 &&
              offsetof(sev_user_data_snp_status, build_id) == 4 &&
              offsetof(sev_user_data_snp_status, feature_flags) == 8 &&
              offsetof(sev_user_data_snp_status, guest_count) == 0xC &&
              offsetof(sev_user_data_snp_status, current_tcb_version) == 0x10 &&
              offsetof(sev_user_data_snp_status, reported_tcb_version) == 0x18);
static_assert(sizeof(sev_data_snp_activate) == 12 && offsetof(sev_data_snp_activate, asid) == 8);
static_assert(sizeof(sev_data_snp_launch_start) == 0x30 &&
              offsetof(sev_data_snp_launch_start, policy) == 8 &&
              offsetof(sev_data_snp_launch_start, ma_gctx_paddr) == 0x10 &&
              offsetof(sev_data_snp_launch_start, flags) == 0x18 &&
              offsetof(sev_data_snp_launch_start, desired_tsc_khz) == 0x1C &&
              offsetof(sev_data_snp_launch_start, gosvw) == 0x20);
static_assert(sizeof(sev_data_snp_launch_update) == 0x20 &&
              offsetof(sev_data_snp_launch_update, page_info) == 8 &&
              offsetof(sev_data_snp_launch_update, address) == 0x10 &&
              offsetof(sev_data_snp_launch_update, vmpl_perms) == 0x18);
static_assert(sizeof(sev_data_snp_launch_finish) == 0x40 &&
              offsetof(sev_data_snp_launch_finish, id_block_paddr) == 8 &&
              offsetof(sev_data_snp_launch_finish, id_auth_paddr) == 0x10 &&
              offsetof(sev_data_snp_launch_finish, flags) == 0x18 &&
              offsetof(sev_data_snp_launch_finish, host_data) == 0x20);
static_assert(sizeof(sev_data_snp_page_reclaim) == 8);
static_assert(sizeof(sev_data_snp_guest_status) == 16);
static_assert(sizeof(sev_data_snp_dbg) == 24);

}  // namespace cbit::sw::host
