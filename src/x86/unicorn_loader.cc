// Unicorn, loaded when first used.
//
// libunicorn.so.2 carries QEMU's translators for every architecture: loading and relocating it
// costs a process about 5 ms of CPU (measured here: an empty program linked against it takes
// 5 ms, without it 0.5 ms) — as long as `openssl dgst` takes to hash 4 MiB. Most cbit commands
// (measure, launch, report, scan, host) never run x86 code, so cbit does not link the library:
// these definitions of the Unicorn calls cbit makes load it with dlopen() on the first call and
// forward to the real functions. The API and ABI are Unicorn 2's (unicorn/unicorn.h); nothing
// of Unicorn is reimplemented here. When the build linked libcbit_unicorn.so (the package's
// libunicorn.a as one module that binds its own symbols at link time: ~1 ms to load instead of
// ~6 ms), that is loaded first; libunicorn.so.2 otherwise. A release build that linked Unicorn
// into the executable (CBIT_UNICORN_LINKED, CMakeLists.txt) has the real functions and none of
// this file.
#ifndef CBIT_UNICORN_LINKED
#include <dlfcn.h>
#include <unicorn/unicorn.h>

#include <cstdarg>
#include <mutex>
#include <string>

#include "common/error.h"

namespace {

void* library() {
  static void* handle = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef CBIT_UNICORN_MODULE
    // The build's self-contained module of the same library (CMakeLists.txt): ~1 ms to load.
    handle = ::dlopen(CBIT_UNICORN_MODULE, RTLD_NOW | RTLD_LOCAL);
    if (handle && !::dlsym(handle, "uc_open")) {
      ::dlclose(handle);
      handle = nullptr;
    }
    if (!handle)
#endif
      handle = ::dlopen("libunicorn.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!handle) handle = ::dlopen("libunicorn.so", RTLD_NOW | RTLD_LOCAL);
  });
  if (!handle)
    throw cbit::InputError(
        "x86: libunicorn.so.2 cannot be loaded (Debian package libunicorn2): running x86-64 code "
        "needs it");
  return handle;
}

template <typename Fn>
Fn real(const char* name) {
  void* sym = ::dlsym(library(), name);
  if (!sym) throw cbit::InputError(std::string("x86: libunicorn has no ") + name);
  return reinterpret_cast<Fn>(sym);
}

#define CBIT_UC_REAL(name)                               \
  static const auto fn = real<decltype(&::name)>(#name); \
  static_assert(sizeof(fn) == sizeof(void*), "function pointer size")

}  // namespace

extern "C" {

uc_err uc_open(uc_arch arch, uc_mode mode, uc_engine** uc) {
  CBIT_UC_REAL(uc_open);
  return fn(arch, mode, uc);
}

uc_err uc_close(uc_engine* uc) {
  CBIT_UC_REAL(uc_close);
  return fn(uc);
}

const char* uc_strerror(uc_err code) {
  CBIT_UC_REAL(uc_strerror);
  return fn(code);
}

uc_err uc_reg_write(uc_engine* uc, int regid, const void* value) {
  CBIT_UC_REAL(uc_reg_write);
  return fn(uc, regid, value);
}

uc_err uc_reg_read(uc_engine* uc, int regid, void* value) {
  CBIT_UC_REAL(uc_reg_read);
  return fn(uc, regid, value);
}

uc_err uc_reg_write_batch(uc_engine* uc, int* regs, void* const* vals, int count) {
  CBIT_UC_REAL(uc_reg_write_batch);
  return fn(uc, regs, vals, count);
}

uc_err uc_reg_read_batch(uc_engine* uc, int* regs, void** vals, int count) {
  CBIT_UC_REAL(uc_reg_read_batch);
  return fn(uc, regs, vals, count);
}

uc_err uc_mem_write(uc_engine* uc, uint64_t address, const void* bytes, size_t size) {
  CBIT_UC_REAL(uc_mem_write);
  return fn(uc, address, bytes, size);
}

uc_err uc_mem_read(uc_engine* uc, uint64_t address, void* bytes, size_t size) {
  CBIT_UC_REAL(uc_mem_read);
  return fn(uc, address, bytes, size);
}

uc_err uc_emu_start(uc_engine* uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count) {
  CBIT_UC_REAL(uc_emu_start);
  return fn(uc, begin, until, timeout, count);
}

uc_err uc_emu_stop(uc_engine* uc) {
  CBIT_UC_REAL(uc_emu_stop);
  return fn(uc);
}

uc_err uc_mem_map(uc_engine* uc, uint64_t address, size_t size, uint32_t perms) {
  CBIT_UC_REAL(uc_mem_map);
  return fn(uc, address, size, perms);
}

uc_err uc_mem_map_ptr(uc_engine* uc, uint64_t address, size_t size, uint32_t perms, void* ptr) {
  CBIT_UC_REAL(uc_mem_map_ptr);
  return fn(uc, address, size, perms, ptr);
}

uc_err uc_mmio_map(uc_engine* uc, uint64_t address, size_t size, uc_cb_mmio_read_t read_cb,
                   void* user_data_read, uc_cb_mmio_write_t write_cb, void* user_data_write) {
  CBIT_UC_REAL(uc_mmio_map);
  return fn(uc, address, size, read_cb, user_data_read, write_cb, user_data_write);
}

uc_err uc_mem_unmap(uc_engine* uc, uint64_t address, size_t size) {
  CBIT_UC_REAL(uc_mem_unmap);
  return fn(uc, address, size);
}

uc_err uc_hook_del(uc_engine* uc, uc_hook hh) {
  CBIT_UC_REAL(uc_hook_del);
  return fn(uc, hh);
}

// The variadic calls: UC_HOOK_INSN takes the instruction id after `end`, (UC_HOOK_TCG_OPCODE
// two more); other hook types take nothing more.
uc_err uc_hook_add(uc_engine* uc, uc_hook* hh, int type, void* callback, void* user_data,
                   uint64_t begin, uint64_t end, ...) {
  CBIT_UC_REAL(uc_hook_add);
  va_list ap;
  va_start(ap, end);
  uc_err r;
  if (type == UC_HOOK_INSN) {
    const int insn = va_arg(ap, int);
    r = fn(uc, hh, type, callback, user_data, begin, end, insn);
  } else if (type == UC_HOOK_TCG_OPCODE) {
    const int op = va_arg(ap, int), flags = va_arg(ap, int);
    r = fn(uc, hh, type, callback, user_data, begin, end, op, flags);
  } else {
    r = fn(uc, hh, type, callback, user_data, begin, end);
  }
  va_end(ap);
  return r;
}

// uc_ctl: the number of arguments is in bits 29:26 of the control word (UC_CTL()); every
// argument is an integer or a pointer, passed in a 64-bit slot.
uc_err uc_ctl(uc_engine* uc, uc_control_type control, ...) {
  CBIT_UC_REAL(uc_ctl);
  const unsigned nr = (static_cast<unsigned>(control) >> 26) & 0xf;
  uint64_t a[4] = {};
  va_list ap;
  // The signature is unicorn's own (uc.h). clang calls va_start after an enum parameter
  // undefined (the enum promotes to int); uc_control_type is int-sized, and unicorn's uc.c does
  // the same, so the varargs start where the x86-64 ABI puts them.
#ifdef __clang__
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wvarargs"
#endif
  va_start(ap, control);
#ifdef __clang__
#pragma clang diagnostic pop
#endif
  for (unsigned i = 0; i < nr && i < 4; ++i) a[i] = va_arg(ap, uint64_t);
  va_end(ap);
  switch (nr) {
    case 0:
      return fn(uc, control);
    case 1:
      return fn(uc, control, a[0]);
    case 2:
      return fn(uc, control, a[0], a[1]);
    case 3:
      return fn(uc, control, a[0], a[1], a[2]);
    default:
      return fn(uc, control, a[0], a[1], a[2], a[3]);
  }
}

}  // extern "C"

#endif  // CBIT_UNICORN_LINKED
