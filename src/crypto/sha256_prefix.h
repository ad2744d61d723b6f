// A remembered SHA-256 prefix: remember_sha256_prefix(bytes) hashes `bytes` once and keeps the
// SHA-256 state after them with a copy of the bytes. A SHA-256 crypto::Hasher made afterwards in
// this process whose first updates compare equal to every byte of them, in order, takes that
// state instead of hashing them again; anything else (a byte that differs, an update that runs
// past the end, a finish() before the end) is hashed as it comes. The state after a prefix is a
// function of the prefix's bytes alone, so every digest is the one hashing would give.
//
// Why: an SEV / SEV-ES launch hashes the same firmware image twice, once for the guest owner's
// prediction (`cbit measure`, tools/measure) and once in the simulated firmware's launch digest
// (LAUNCH_UPDATE_DATA, 20 KiB at a time, read back from guest memory). The owner remembers its
// image; the firmware's digest of the same bytes then costs a comparison, not SHA-256.
// One prefix per process (the last remembered); thread-safe.
#pragma once
#include "common/bytes.h"

namespace cbit::crypto {

void remember_sha256_prefix(ByteSpan bytes);

}  // namespace cbit::crypto
