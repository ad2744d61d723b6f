/* cbit's freestanding start file for guest programs (see include/cbit_guest.h): _start, and
 * the memory functions the compiler may call. Build it with -fno-tree-loop-distribute-patterns
 * so the loops below do not become calls to themselves. */
#include "cbit_guest.h"

int main(int argc, char** argv, char** envp);

void* memcpy(void* dst, const void* src, size_t n) {
  unsigned char* d = dst;
  const unsigned char* s = src;
  while (n--) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  unsigned char* d = dst;
  const unsigned char* s = src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  unsigned char* d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const unsigned char *l = a, *r = b;
  for (; n && *l == *r; n--, l++, r++) {
  }
  return n ? *l - *r : 0;
}

/* The SysV initial stack (x86-64 psABI §3.4.1): rsp -> argc, argv[], NULL, envp[], NULL,
 * auxv. main gets argc, argv, envp with rsp 16-byte aligned at the call; its return value is
 * the exit status. */
__asm__(
    ".text\n"
    ".globl _start\n"
    ".type _start, @function\n"
    "_start:\n"
    "  xor %ebp, %ebp\n"
    "  mov (%rsp), %rdi\n"
    "  lea 8(%rsp), %rsi\n"
    "  lea 16(%rsp,%rdi,8), %rdx\n"
    "  and $-16, %rsp\n"
    "  call main\n"
    "  mov %eax, %edi\n"
    "  mov $231, %eax\n"
    "  syscall\n"
    "  hlt\n");
