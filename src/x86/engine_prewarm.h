// A Unicorn engine opened and set up on another thread ahead of its first use.
//
// uc_open() and the machine set-up Unicorn runs at an engine's first call (QEMU's TCG context, its
// code buffer and translation-block hash table: ~1 ms of CPU on an AMD EPYC VM) depend on nothing
// a guest does. A command that is going to run x86 code (cbit launch --mode snp, whose guest runs
// a program) calls prewarm_engine() early: the second core makes the engine while the first boots
// the host and launches the guest, and the first Process takes it. Unicorn 2 keeps an engine's
// state in the engine (its one thread-local, QEMU's guest-random seed, is not used), so one thread
// may make it and another use it.
#pragma once

struct uc_struct;

namespace cbit::x86 {

// Starts making one x86-64 engine in the background (nothing if one is already pending).
void prewarm_engine();

// The prewarmed engine, waiting for it if it is still being made, and no longer pending; nullptr
// when none was prewarmed or making it failed (the caller opens its own and reports the error).
// An engine that was never taken is closed at exit.
uc_struct* take_prewarmed_engine();

}  // namespace cbit::x86
