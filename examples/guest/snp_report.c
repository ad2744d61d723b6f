/* A guest program that asks the AMD Secure Processor for an SEV-SNP attestation report through
 * the guest kernel, the way snpguest or go-sev-guest's tools do: the /dev/sev-guest ioctls or
 * configfs-tsm (Linux include/uapi/linux/sev-guest.h; Documentation/ABI/testing/configfs-tsm).
 *
 *   snp_report.elf ioctl HEX [VMPL]   SNP_GET_REPORT with REPORT_DATA = HEX (up to 64 bytes,
 *                                     zero-padded)
 *   snp_report.elf ext HEX [VMPL]     SNP_GET_EXT_REPORT: the report and the certificate table
 *   snp_report.elf tsm HEX [VMPL]     configfs-tsm: mkdir report/cbit0, inblob, outblob, auxblob
 *   snp_report.elf key GFS            SNP_GET_DERIVED_KEY with GUEST_FIELD_SELECT = GFS (hex)
 *   snp_report.elf repeat HEX N       N SNP_GET_REPORT requests in one process (each checked),
 *                                     the last one printed: the per-request cost without exec
 *                                     and output (bench/bench_snp_report.cc)
 *   snp_report.elf repeat-ext HEX N   the same with SNP_GET_EXT_REPORT (report and table)
 *   snp_report.elf misuse -           what the kernel answers to misuse, one "name: rc" line
 *                                     each (msg_version 0, an unknown ioctl, a bad pointer,
 *                                     read(2) of the device, a missing path, system call 999)
 *
 * Output (stdout), for the host to collect: the report (and certificate table, or key) as hex,
 * 32 bytes a line, between "-----BEGIN SNP <WHAT>-----" and "-----END SNP <WHAT>-----" lines.
 * On failure: the call, its errno and, for an ioctl, fw_error and vmm_error; exit status 1
 * (2 for bad arguments).
 *
 * Freestanding like secret.c: no libc; cbit_guest.h and cbit_start.c. */
#include "cbit_guest.h"
#include "sev_guest_uapi.h"

#define EEXIST 17

static long sys3(long nr, long a, long b, long c) { return cbit_syscall3(nr, a, b, c); }

static unsigned long slen(const char* s) {
  unsigned long n = 0;
  while (s[n]) ++n;
  return n;
}
static void out(const char* s) { sys3(SYS_write, 1, (long)s, (long)slen(s)); }
static void err(const char* s) { sys3(SYS_write, 2, (long)s, (long)slen(s)); }
static int streq(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}
static void memset0(void* p, unsigned long n) {
  volatile u8* b = p;
  while (n--) *b++ = 0;
}
static const char kHex[] = "0123456789abcdef";

static void put_hex_u64(const char* label, u64 v) {
  char b[40];
  int n = 0;
  b[n++] = ' ';
  while (*label) b[n++] = *label++;
  if (n > 1) b[n++] = ' ';
  b[n++] = '0';
  b[n++] = 'x';
  for (int i = 7; i >= 0; --i) {
    b[n++] = kHex[(v >> (4 * i)) & 0xf];
  }
  b[n] = 0;
  err(b);
}
static void put_dec(long v) {
  char b[24];
  int n = 23;
  b[n] = 0;
  unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
  do b[--n] = (char)('0' + u % 10), u /= 10;
  while (u);
  if (v < 0) b[--n] = '-';
  err(b + n);
}

static void fail(const char* what, long rc, const struct snp_guest_request_ioctl* io) {
  err("snp_report: ");
  err(what);
  err(" failed: errno ");
  put_dec(-rc);
  if (io) {
    put_hex_u64("fw_error", io->fw_error);
    put_hex_u64("vmm_error", io->vmm_error);
  }
  err("\n");
  sys3(SYS_exit_group, 1, 0, 0);
}

static void dump(const char* what, const u8* p, unsigned long n) {
  char line[72];
  out("-----BEGIN SNP ");
  out(what);
  out("-----\n");
  for (unsigned long i = 0; i < n; i += 32) {
    int k = 0;
    for (unsigned long j = i; j < n && j < i + 32; ++j) {
      line[k++] = kHex[p[j] >> 4];
      line[k++] = kHex[p[j] & 15];
    }
    line[k++] = '\n';
    line[k] = 0;
    out(line);
  }
  out("-----END SNP ");
  out(what);
  out("-----\n");
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
/* HEX into `dst` (at most `max` bytes); -1 when malformed or too long. */
static long parse_hex(const char* s, u8* dst, unsigned long max) {
  unsigned long n = slen(s);
  if (n % 2 || n / 2 > max) return -1;
  for (unsigned long i = 0; i < n; i += 2) {
    int h = hexval(s[i]), l = hexval(s[i + 1]);
    if (h < 0 || l < 0) return -1;
    dst[i / 2] = (u8)(h << 4 | l);
  }
  return (long)(n / 2);
}
static u64 parse_u64(const char* s) {
  u64 v = 0;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
  for (; *s; ++s) {
    int h = hexval(*s);
    if (h < 0) break;
    v = v << 4 | (u64)h;
  }
  return v;
}

static struct snp_report_resp resp;
static u8 certs[SEV_FW_BLOB_MAX_SIZE];
static u8 blob[SEV_FW_BLOB_MAX_SIZE];

/* MSG_REPORT_RSP: status, report_size, then the report at 0x20. */
static void print_report_resp(void) {
  u32 status = *(u32*)resp.data, size = *(u32*)(resp.data + 4);
  if (status) {
    err("snp_report: the firmware answered status");
    put_hex_u64("", status);
    err("\n");
    sys3(SYS_exit_group, 1, 0, 0);
  }
  if (size > sizeof(resp.data) - 0x20) size = sizeof(resp.data) - 0x20;
  dump("REPORT", resp.data + 0x20, size);
}

/* The certificate table's extent: up to the all-zero entry, and past the furthest certificate. */
static unsigned long certs_extent(const u8* t, unsigned long cap) {
  unsigned long end = 0, i;
  for (i = 0; (i + 1) * 24 <= cap; ++i) {
    const u8* e = t + i * 24;
    int zero = 1;
    for (int k = 0; k < 24; ++k) zero &= e[k] == 0;
    if (zero) break;
    unsigned long stop = (unsigned long)*(u32*)(e + 16) + *(u32*)(e + 20);
    if (stop > end) end = stop;
  }
  if ((i + 1) * 24 > end) end = (i + 1) * 24;
  return end > cap ? cap : end;
}

static long read_all(const char* path, u8* buf, unsigned long cap) {
  long fd = sys3(SYS_open, (long)path, O_RDONLY, 0);
  if (fd < 0) return fd;
  unsigned long n = 0;
  for (;;) {
    long r = sys3(SYS_read, fd, (long)(buf + n), (long)(cap - n));
    if (r < 0) {
      sys3(SYS_close, fd, 0, 0);
      return r;
    }
    if (r == 0 || n + (unsigned long)r >= cap) {
      n += (unsigned long)r;
      break;
    }
    n += (unsigned long)r;
  }
  sys3(SYS_close, fd, 0, 0);
  return (long)n;
}

static int do_tsm(const u8* data, u32 vmpl) {
  static const char dir[] = "/sys/kernel/config/tsm/report/cbit0";
  long rc = sys3(SYS_mkdir, (long)dir, 0700, 0);
  if (rc < 0 && rc != -EEXIST)
    fail(
        "mkdir "
        "/sys/kernel/config/tsm/report/cbit0",
        rc, 0);
  char lvl[2] = {(char)('0' + (vmpl & 3)), 0};
  long fd = sys3(SYS_open, (long)"/sys/kernel/config/tsm/report/cbit0/privlevel", O_WRONLY, 0);
  if (fd < 0) fail("open privlevel", fd, 0);
  if ((rc = sys3(SYS_write, fd, (long)lvl, 1)) < 0) fail("write privlevel", rc, 0);
  sys3(SYS_close, fd, 0, 0);
  fd = sys3(SYS_open, (long)"/sys/kernel/config/tsm/report/cbit0/inblob", O_WRONLY, 0);
  if (fd < 0) fail("open inblob", fd, 0);
  if ((rc = sys3(SYS_write, fd, (long)data, 64)) != 64) fail("write inblob", rc, 0);
  if ((rc = sys3(SYS_close, fd, 0, 0)) < 0) fail("close inblob", rc, 0);
  long n = read_all("/sys/kernel/config/tsm/report/cbit0/outblob", blob, sizeof(blob));
  if (n < 0) fail("read outblob", n, 0);
  dump("REPORT", blob, (unsigned long)n);
  n = read_all("/sys/kernel/config/tsm/report/cbit0/auxblob", blob, sizeof(blob));
  if (n < 0) fail("read auxblob", n, 0);
  if (n > 0) dump("CERT TABLE", blob, (unsigned long)n);
  return 0;
}

static void report_rc(const char* name, long rc) {
  out(name);
  out(": ");
  char b[24];
  int n = 23;
  b[n] = 0;
  unsigned long u = rc < 0 ? (unsigned long)-rc : (unsigned long)rc;
  do b[--n] = (char)('0' + u % 10), u /= 10;
  while (u);
  if (rc < 0) b[--n] = '-';
  out(b + n);
  out("\n");
}

static int do_misuse(void) {
  struct snp_report_req req;
  memset0(&req, sizeof req);
  long fd = sys3(SYS_open, (long)"/dev/sev-guest", O_RDWR, 0);
  report_rc("open", fd < 0 ? fd : 0);
  struct snp_guest_request_ioctl io = {0, (u64)&req, (u64)&resp, {0}};
  report_rc("msg_version0", sys3(SYS_ioctl, fd, SNP_GET_REPORT, (long)&io));
  io.msg_version = 1;
  report_rc("unknown_ioctl", sys3(SYS_ioctl, fd, SNP_IOWR(0x7, 32), (long)&io));
  report_rc("bad_arg", sys3(SYS_ioctl, fd, SNP_GET_REPORT, 0x10));
  io.req_data = 0;
  report_rc("null_req", sys3(SYS_ioctl, fd, SNP_GET_REPORT, (long)&io));
  report_rc("read_dev", sys3(SYS_read, fd, (long)blob, 16));
  report_rc("missing", sys3(SYS_open, (long)"/no/such/file", O_RDONLY, 0));
  report_rc("outblob_no_entry",
            sys3(SYS_open, (long)"/sys/kernel/config/tsm/report/none/outblob", O_RDONLY, 0));
  report_rc("syscall999", sys3(999, 0, 0, 0));
  report_rc("bad_fd", sys3(SYS_close, 77, 0, 0));
  return 0;
}

/* Decimal digits (up to the first non-digit); 0 for none. */
static unsigned long parse_dec(const char* s) {
  unsigned long v = 0;
  for (; *s >= '0' && *s <= '9'; ++s) v = v * 10 + (unsigned long)(*s - '0');
  return v;
}

/* `n` report requests (extended ones with `ext`) on one open device; every response's STATUS is
 * checked (print_report_resp exits on a refusal), the last report (and table) printed. */
static int do_repeat(struct snp_ext_report_req* req, int ext, unsigned long n) {
  long fd = sys3(SYS_open, (long)"/dev/sev-guest", O_RDWR, 0);
  if (fd < 0) fail("open /dev/sev-guest", fd, 0);
  for (unsigned long i = 0; i < n; ++i) {
    *(u32*)resp.data = ~0u; /* the driver's copy of the response overwrites STATUS */
    struct snp_guest_request_ioctl io = {1, (u64)&req->data, (u64)&resp, {0}};
    long rc;
    if (ext) {
      req->certs_address = (u64)certs;
      req->certs_len = sizeof(certs);
      io.req_data = (u64)req;
      rc = sys3(SYS_ioctl, fd, SNP_GET_EXT_REPORT, (long)&io);
    } else {
      rc = sys3(SYS_ioctl, fd, SNP_GET_REPORT, (long)&io);
    }
    if (rc < 0) fail(ext ? "SNP_GET_EXT_REPORT" : "SNP_GET_REPORT", rc, &io);
    if (*(u32*)resp.data) print_report_resp(); /* a refused request: say so and exit 1 */
  }
  print_report_resp();
  if (ext) dump("CERT TABLE", certs, certs_extent(certs, sizeof(certs)));
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    err("usage: snp_report.elf ioctl|ext|tsm HEX [VMPL] | key GFS\n");
    return 2;
  }
  const char* mode = argv[1];
  if (streq(mode, "misuse")) return do_misuse();
  if (streq(mode, "key")) {
    struct snp_derived_key_req kreq;
    struct snp_derived_key_resp kresp;
    memset0(&kreq, sizeof kreq);
    memset0(&kresp, sizeof kresp);
    kreq.guest_field_select = parse_u64(argv[2]);
    struct snp_guest_request_ioctl io = {1, (u64)&kreq, (u64)&kresp, {0}};
    long fd = sys3(SYS_open, (long)"/dev/sev-guest", O_RDWR, 0);
    if (fd < 0) fail("open /dev/sev-guest", fd, 0);
    long rc = sys3(SYS_ioctl, fd, SNP_GET_DERIVED_KEY, (long)&io);
    if (rc < 0) fail("SNP_GET_DERIVED_KEY", rc, &io);
    dump("DERIVED KEY", kresp.data + 0x20, 32);
    return 0;
  }
  struct snp_ext_report_req req;
  memset0(&req, sizeof req);
  if (parse_hex(argv[2], req.data.user_data, 64) < 0) {
    err("snp_report: REPORT_DATA must be hex of at most 64 bytes\n");
    return 2;
  }
  if (streq(mode, "repeat") || streq(mode, "repeat-ext")) {
    unsigned long n = argc > 3 ? parse_dec(argv[3]) : 0;
    if (n == 0) {
      err("snp_report: repeat needs a count N > 0\n");
      return 2;
    }
    return do_repeat(&req, streq(mode, "repeat-ext"), n);
  }
  req.data.vmpl = argc > 3 ? (u32)(argv[3][0] - '0') : 0;
  if (streq(mode, "tsm")) return do_tsm(req.data.user_data, req.data.vmpl);

  long fd = sys3(SYS_open, (long)"/dev/sev-guest", O_RDWR, 0);
  if (fd < 0) fail("open /dev/sev-guest", fd, 0);
  struct snp_guest_request_ioctl io = {1, (u64)&req.data, (u64)&resp, {0}};
  if (streq(mode, "ioctl")) {
    long rc = sys3(SYS_ioctl, fd, SNP_GET_REPORT, (long)&io);
    if (rc < 0) fail("SNP_GET_REPORT", rc, &io);
    print_report_resp();
    return 0;
  }
  if (streq(mode, "ext")) {
    req.certs_address = (u64)certs;
    req.certs_len = sizeof(certs);
    io.req_data = (u64)&req;
    long rc = sys3(SYS_ioctl, fd, SNP_GET_EXT_REPORT, (long)&io);
    if (rc < 0) fail("SNP_GET_EXT_REPORT", rc, &io);
    print_report_resp();
    dump("CERT TABLE", certs, certs_extent(certs, sizeof(certs)));
    return 0;
  }
  err("snp_report: unknown mode\n");
  return 2;
}
