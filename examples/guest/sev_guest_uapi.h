/* The guest-side ABI of Linux's SEV-SNP guest driver, restated for freestanding guest programs
 * (layouts of include/uapi/linux/sev-guest.h; ioctl numbers from _IOWR('S', nr, struct
 * snp_guest_request_ioctl) with the x86 encoding dir << 30 | size << 16 | type << 8 | nr).
 * Only fixed-width fields; the structs need no packing attribute except the extended request,
 * whose 0x6C bytes of fields Linux packs to 0x70 with natural alignment. */
#ifndef CBIT_SEV_GUEST_UAPI_H
#define CBIT_SEV_GUEST_UAPI_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long u64;

struct snp_guest_request_ioctl {
  u8 msg_version; /* must be non-zero (1) */
  u64 req_data;   /* user address of the request struct */
  u64 resp_data;  /* user address of the response struct */
  union {
    u64 exitinfo2;
    struct {
      u32 fw_error;  /* the firmware's status */
      u32 vmm_error; /* the hypervisor's: 1 INVALID_LEN, 2 BUSY */
    };
  };
};

struct snp_report_req {
  u8 user_data[64]; /* REPORT_DATA */
  u32 vmpl;
  u8 rsvd[28];
};

struct snp_report_resp {
  u8 data[4000]; /* MSG_REPORT_RSP: u32 status, u32 report_size, rsvd[24], report */
};

struct snp_derived_key_req {
  u32 root_key_select;
  u32 rsvd;
  u64 guest_field_select;
  u32 vmpl;
  u32 guest_svn;
  u64 tcb_version;
};

struct snp_derived_key_resp {
  u8 data[64]; /* MSG_KEY_RSP: u32 status, rsvd[28], derived_key[32] */
};

struct snp_ext_report_req {
  struct snp_report_req data;
  u64 certs_address;
  u32 certs_len; /* a page multiple; on INVALID_LEN the driver writes the size needed */
};

#define SNP_IOWR(nr, size) ((3u << 30) | ((u32)(size) << 16) | ((u32)'S' << 8) | (nr))
#define SNP_GET_REPORT SNP_IOWR(0x0, sizeof(struct snp_guest_request_ioctl))
#define SNP_GET_DERIVED_KEY SNP_IOWR(0x1, sizeof(struct snp_guest_request_ioctl))
#define SNP_GET_EXT_REPORT SNP_IOWR(0x2, sizeof(struct snp_guest_request_ioctl))

_Static_assert(sizeof(struct snp_guest_request_ioctl) == 32, "uapi layout");
_Static_assert(sizeof(struct snp_report_req) == 96, "uapi layout");
_Static_assert(sizeof(struct snp_derived_key_req) == 32, "uapi layout");
_Static_assert(sizeof(struct snp_ext_report_req) == 112, "uapi layout");
_Static_assert(SNP_GET_REPORT == 0xC0205300u, "ioctl number");
_Static_assert(SNP_GET_EXT_REPORT == 0xC0205302u, "ioctl number");

#define SNP_GUEST_VMM_ERR_INVALID_LEN 1
#define SEV_FW_BLOB_MAX_SIZE 0x4000

#endif
