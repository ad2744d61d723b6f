// The SEV firmware's command buffers as the host kernel lays them out (Linux
// include/linux/psp-sev.h and include/uapi/linux/psp-sev.h; SEV-API "Command Buffer" tables).
//
// Every struct is packed, little-endian (x86-64 stores them as they are), and its size and
// field offsets are checked below against the spec's tables, so a serialized buffer is exactly
// what Linux's sev_do_cmd() copies into the PSP's command-buffer page. Addresses inside a
// buffer are system physical addresses, with the C-bit when the memory is encrypted with the
// host key (__psp_pa / __sme_page_pa), and without it for the TMR (Linux __sev_init_locked).
//
// DF_FLUSH and SHUTDOWN take no buffer (Linux passes NULL): there is no sev_data_df_flush.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common/bytes.h"
#include "common/error.h"
#include "hw/psp/sev/sev_api.h"

namespace cbit::sw::host {

using hw::psp::sev::SevCmd;

#define CBIT_SEV_PACKED __attribute__((packed))

// SEV_INIT_FLAGS_SEV_ES: INIT reserves the SEV-ES TMR (include/linux/psp-sev.h).
inline constexpr uint32_t SEV_INIT_FLAGS_SEV_ES = 0x01;
// SEV_ES_TMR_SIZE: 1 MiB, 1 MiB aligned (drivers/crypto/ccp/sev-dev.c).
inline constexpr uint64_t SEV_ES_TMR_SIZE = 1ull << 20;
// NV_LENGTH: the INIT_EX non-volatile area (sev-dev.c).
inline constexpr uint32_t NV_LENGTH = 32 * 1024;

// Platform states as sev->state keeps them (include/uapi/linux/psp-sev.h: SEV_STATE_*).
enum sev_state : uint8_t { SEV_STATE_UNINIT = 0, SEV_STATE_INIT = 1, SEV_STATE_WORKING = 2 };

struct CBIT_SEV_PACKED sev_data_init {
  uint32_t flags;        // In
  uint32_t reserved;     // In
  uint64_t tmr_address;  // In
  uint32_t tmr_len;      // In
};

struct CBIT_SEV_PACKED sev_data_init_ex {
  uint32_t length;       // In: sizeof(struct sev_data_init_ex)
  uint32_t flags;        // In
  uint64_t tmr_address;  // In
  uint32_t tmr_len;      // In
  uint32_t reserved;     // In
  uint64_t nv_address;   // In/Out
  uint32_t nv_len;       // In
};

// PLATFORM_STATUS output (include/uapi/linux/psp-sev.h).
struct CBIT_SEV_PACKED sev_user_data_status {
  uint8_t api_major;     // Out
  uint8_t api_minor;     // Out
  uint8_t state;         // Out
  uint32_t flags;        // Out
  uint8_t build;         // Out
  uint32_t guest_count;  // Out
};

struct CBIT_SEV_PACKED sev_data_get_id {
  uint64_t address;  // In
  uint32_t len;      // In/Out
};

struct CBIT_SEV_PACKED sev_data_decommission {
  uint32_t handle;  // In
};

struct CBIT_SEV_PACKED sev_data_activate {
  uint32_t handle;  // In
  uint32_t asid;    // In
};

struct CBIT_SEV_PACKED sev_data_deactivate {
  uint32_t handle;  // In
};

struct CBIT_SEV_PACKED sev_data_guest_status {
  uint32_t handle;  // In
  uint32_t policy;  // Out
  uint32_t asid;    // Out
  uint8_t state;    // Out
};

struct CBIT_SEV_PACKED sev_data_launch_start {
  uint32_t handle;           // In/Out: 0 = new VEK, else the guest whose VEK to share
  uint32_t policy;           // In
  uint64_t dh_cert_address;  // In
  uint32_t dh_cert_len;      // In
  uint32_t reserved;         // In
  uint64_t session_address;  // In
  uint32_t session_len;      // In
};

struct CBIT_SEV_PACKED sev_data_launch_update_data {
  uint32_t handle;    // In
  uint32_t reserved;  //
  uint64_t address;   // In
  uint32_t len;       // In
};

struct CBIT_SEV_PACKED sev_data_launch_update_vmsa {
  uint32_t handle;    // In
  uint32_t reserved;  //
  uint64_t address;   // In
  uint32_t len;       // In
};

struct CBIT_SEV_PACKED sev_data_launch_measure {
  uint32_t handle;    // In
  uint32_t reserved;  //
  uint64_t address;   // In
  uint32_t len;       // In/Out
};

struct CBIT_SEV_PACKED sev_data_launch_secret {
  uint32_t handle;         // In
  uint32_t reserved1;      //
  uint64_t hdr_address;    // In
  uint32_t hdr_len;        // In
  uint32_t reserved2;      //
  uint64_t guest_address;  // In
  uint32_t guest_len;      // In
  uint32_t reserved3;      //
  uint64_t trans_address;  // In
  uint32_t trans_len;      // In
};

struct CBIT_SEV_PACKED sev_data_launch_finish {
  uint32_t handle;  // In
};

struct CBIT_SEV_PACKED sev_data_dbg {
  uint32_t handle;    // In
  uint32_t reserved;  // In
  uint64_t src_addr;  // In
  uint64_t dst_addr;  // In
  uint32_t len;       // In
};

#undef CBIT_SEV_PACKED

// Sizes and offsets from the spec's command-buffer tables (and Linux's __packed structs).
static_assert(sizeof(sev_data_init) == 20);
static_assert(offsetof(sev_data_init, tmr_address) == 8 && offsetof(sev_data_init, tmr_len) == 16);
static_assert(sizeof(sev_data_init_ex) == 0x24);
static_assert(offsetof(sev_data_init_ex, flags) == 4 &&
              offsetof(sev_data_init_ex, tmr_address) == 8 &&
              offsetof(sev_data_init_ex, tmr_len) == 16 &&
              offsetof(sev_data_init_ex, nv_address) == 24 &&
              offsetof(sev_data_init_ex, nv_len) == 32);
static_assert(sizeof(sev_user_data_status) == 12);
static_assert(offsetof(sev_user_data_status, state) == 2 &&
              offsetof(sev_user_data_status, flags) == 3 &&
              offsetof(sev_user_data_status, build) == 7 &&
              offsetof(sev_user_data_status, guest_count) == 8);
static_assert(sizeof(sev_data_get_id) == 12 && offsetof(sev_data_get_id, len) == 8);
static_assert(sizeof(sev_data_decommission) == 4 && sizeof(sev_data_deactivate) == 4);
static_assert(sizeof(sev_data_activate) == 8 && offsetof(sev_data_activate, asid) == 4);
static_assert(sizeof(sev_data_guest_status) == 13 && offsetof(sev_data_guest_status, policy) == 4 &&
              offsetof(sev_data_guest_status, asid) == 8 &&
              offsetof(sev_data_guest_status, state) == 12);
static_assert(sizeof(sev_data_launch_start) == 36 && offsetof(sev_data_launch_start, policy) == 4 &&
              offsetof(sev_data_launch_start, dh_cert_address) == 8 &&
              offsetof(sev_data_launch_start, dh_cert_len) == 16 &&
              offsetof(sev_data_launch_start, session_address) == 24 &&
              offsetof(sev_data_launch_start, session_len) == 32);
static_assert(sizeof(sev_data_launch_update_data) == 20 &&
              offsetof(sev_data_launch_update_data, address) == 8 &&
              offsetof(sev_data_launch_update_data, len) == 16);
static_assert(sizeof(sev_data_launch_update_vmsa) == 20 &&
              offsetof(sev_data_launch_update_vmsa, address) == 8 &&
              offsetof(sev_data_launch_update_vmsa, len) == 16);
static_assert(sizeof(sev_data_launch_measure) == 20 &&
              offsetof(sev_data_launch_measure, address) == 8 &&
              offsetof(sev_data_launch_measure, len) == 16);
static_assert(sizeof(sev_data_launch_secret) == 52 &&
              offsetof(sev_data_launch_secret, hdr_address) == 8 &&
              offsetof(sev_data_launch_secret, hdr_len) == 16 &&
              offsetof(sev_data_launch_secret, guest_address) == 24 &&
              offsetof(sev_data_launch_secret, guest_len) == 32 &&
              offsetof(sev_data_launch_secret, trans_address) == 40 &&
              offsetof(sev_data_launch_secret, trans_len) == 48);
static_assert(sizeof(sev_data_launch_finish) == 4);
static_assert(sizeof(sev_data_dbg) == 28 && offsetof(sev_data_dbg, src_addr) == 8 &&
              offsetof(sev_data_dbg, dst_addr) == 16 && offsetof(sev_data_dbg, len) == 24);

// Linux sev_cmd_buffer_len(): the buffer size each command takes, 0 for none (DF_FLUSH,
// SHUTDOWN) and -1 for a command this driver does not issue.
int sev_cmd_buffer_len(SevCmd cmd);

// Serialization: the packed struct's bytes, and back.
template <typename T>
Bytes sev_data_bytes(const T& d) {
  Bytes b(sizeof(T));
  std::memcpy(b.data(), &d, sizeof(T));
  return b;
}
template <typename T>
T sev_data_from(ByteSpan b) {
  CBIT_ASSERT(b.size() == sizeof(T));
  T d;
  std::memcpy(&d, b.data(), sizeof(T));
  return d;
}

}  // namespace cbit::sw::host
