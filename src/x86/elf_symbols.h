// Symbol lookup in an x86-64 ELF file's .symtab (System V gABI "Symbol Table"): the address a
// public, non-PIE binary gives a named object, e.g. a guest program's buffer that an attacker
// (who has the binary) targets. Checked against the file's bounds: a malformed or stripped file
// gives nullopt, never a crash.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"

namespace cbit::x86 {

// st_value of the first symbol called `name` (any binding, any type), or nullopt.
std::optional<uint64_t> elf_symbol(ByteSpan file, const std::string& name);

}  // namespace cbit::x86
