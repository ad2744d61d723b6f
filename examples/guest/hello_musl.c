/* hello_musl: a static musl program (musl-gcc -static -O2) that exercises the system calls a
 * libc program makes at start and in ordinary work: TLS (arch_prctl), set_tid_address, the heap
 * (brk and mmap through malloc), the clock, a file on the guest's disk (its own executable:
 * open, fstat, lseek, read), uname, stdio (ioctl TIOCGWINSZ, writev), and exit_group.
 *
 *   hello_musl.elf [ARGS...]   prints one line per check; exit status 0 when all passed */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static _Thread_local int tls_counter = 40;

int main(int argc, char** argv) {
  int bad = 0;
  printf("hello from musl, argc=%d argv[1]=%s\n", argc, argc > 1 ? argv[1] : "(none)");
  tls_counter += 2;
  printf("tls=%d\n", tls_counter);

  char* small = malloc(100);
  char* big = malloc(1 << 20); /* mallocng: a large chunk comes from mmap */
  if (!small || !big) return 10;
  strcpy(small, "heap ok");
  memset(big, 0x5a, 1 << 20);
  printf("%s big[12345]=%#x\n", small, (unsigned char)big[12345]);
  free(big);
  free(small);

  struct timespec a, b, nap = {0, 5000000};
  clock_gettime(CLOCK_MONOTONIC, &a);
  nanosleep(&nap, NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  const long slept = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
  printf("slept>=5ms %s\n", slept >= 5000000 ? "yes" : "no");
  bad |= slept < 5000000;
  printf("year %d\n", 1900 + gmtime(&(time_t){time(NULL)})->tm_year);

  const char* self = argv[0];
  int fd = open(self, O_RDONLY);
  struct stat st;
  char magic[4] = {0};
  if (fd < 0 || fstat(fd, &st) != 0 || lseek(fd, 1, SEEK_SET) != 1 || read(fd, magic, 3) != 3) {
    printf("file: failed\n");
    bad = 1;
  } else {
    printf("file %s size=%ld magic=%s\n", self, (long)st.st_size, magic);
    close(fd);
  }
  struct utsname u;
  if (uname(&u) == 0) printf("uname %s %s\n", u.sysname, u.machine);
  printf("pid %d\n", (int)getpid());
  return bad;
}
