// The ELF loader: what a static x86-64 executable yields, and one clear InputError naming the
// file for each kind of bad input.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "common/error.h"
#include "unit/x86/elf_builder.h"
#include "x86/elf_image.h"
#include "x86/guest_memory.h"

namespace cbit::x86 {
namespace {

using testing::build_elf;
using testing::SegSpec;

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }
Bytes code() { return Bytes{0x0f, 0x05, 0xf4}; }  // syscall; hlt

Bytes good() {
  return build_elf(0x401000, {{0x401000, PF_R | PF_X, code()},
                              {0x402000, PF_R | PF_W, Bytes(16, 0xaa), 0x3000}});
}

// Parses `file` and returns the InputError's message ("" if it parsed).
std::string error_of(const Bytes& file) {
  try {
    (void)ElfImage::parse(file, "prog.elf");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

template <typename T>
void put(Bytes& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}
Elf64_Phdr phdr(const Bytes& b, size_t i) {
  Elf64_Phdr p;
  std::memcpy(&p, b.data() + sizeof(Elf64_Ehdr) + i * sizeof p, sizeof p);
  return p;
}
void set_phdr(Bytes& b, size_t i, const Elf64_Phdr& p) {
  std::memcpy(b.data() + sizeof(Elf64_Ehdr) + i * sizeof p, &p, sizeof p);
}

TEST(X86ElfImage, ParsesEntrySegmentsAndPermissions) {
  const ElfImage img = ElfImage::parse(good(), "prog.elf");
  EXPECT_EQ(img.entry.value, 0x401000u);
  ASSERT_EQ(img.segments.size(), 2u);
  EXPECT_EQ(img.segments[0].vaddr.value, 0x401000u);
  EXPECT_EQ(img.segments[0].bytes, code());
  EXPECT_EQ(img.segments[0].prot, Prot::R | Prot::X);
  EXPECT_EQ(img.segments[1].memsz, 0x3000u);
  EXPECT_EQ(img.segments[1].bytes.size(), 16u);
  EXPECT_EQ(img.segments[1].prot, Prot::R | Prot::W);
  EXPECT_EQ(img.phnum, 2u);
  EXPECT_EQ(img.phent, sizeof(Elf64_Phdr));
}

TEST(X86ElfImage, ParsesTheSeedProgram) {
  const ElfImage img = ElfImage::load(CBIT_GUEST_SECRET_ELF);
  ASSERT_FALSE(img.segments.empty());
  bool has_text = false;
  for (const auto& s : img.segments) has_text |= has(s.prot, Prot::X);
  EXPECT_TRUE(has_text);
  EXPECT_NE(img.phdr_vaddr.value, 0u) << "the first segment loads the headers (AT_PHDR)";
  bool literal = false;
  for (const auto& s : img.segments)
    literal |= count_occurrences(s.bytes, as_bytes("My secret is %d\n")) > 0;
  EXPECT_TRUE(literal) << "the format string is a literal in the image";
}

TEST(X86ElfImage, RefusesWhatIsNotAStaticX8664Executable) {
  EXPECT_NE(error_of({}).find("empty"), std::string::npos);
  EXPECT_NE(error_of(text("#!/bin/sh\necho hi\n")).find("not an ELF"), std::string::npos);

  Bytes b = good();
  b[EI_CLASS] = ELFCLASS32;
  EXPECT_NE(error_of(b).find("64-bit"), std::string::npos) << error_of(b);
  b = good();
  b[EI_DATA] = ELFDATA2MSB;
  EXPECT_NE(error_of(b).find("little-endian"), std::string::npos) << error_of(b);
  b = good();
  put<uint16_t>(b, offsetof(Elf64_Ehdr, e_machine), EM_AARCH64);
  EXPECT_NE(error_of(b).find("not x86-64"), std::string::npos) << error_of(b);
  b = good();
  put<uint16_t>(b, offsetof(Elf64_Ehdr, e_type), ET_DYN);
  EXPECT_NE(error_of(b).find("ET_DYN"), std::string::npos) << error_of(b);
  b = good();
  put<uint16_t>(b, offsetof(Elf64_Ehdr, e_type), ET_REL);
  EXPECT_NE(error_of(b).find("not an executable"), std::string::npos) << error_of(b);

  b = build_elf(0x401000, {{0x400000, PF_R, Bytes{'/', 'l', 'd', 0}, 0, PT_INTERP},
                           {0x401000, PF_R | PF_X, code()}});
  EXPECT_NE(error_of(b).find("PT_INTERP"), std::string::npos) << error_of(b);
}

TEST(X86ElfImage, RefusesTruncatedFiles) {
  const Bytes g = good();
  // Cut inside the ELF header, inside the program headers, inside a segment.
  for (size_t cut : {size_t{20}, sizeof(Elf64_Ehdr) + 10, g.size() - 1}) {
    const Bytes b(g.begin(), g.begin() + static_cast<std::ptrdiff_t>(cut));
    const std::string e = error_of(b);
    EXPECT_FALSE(e.empty()) << "cut at " << cut;
    EXPECT_NE(e.find("prog.elf"), std::string::npos) << e;
  }
}

TEST(X86ElfImage, RefusesAbsurdSegments) {
  Bytes b = good();
  Elf64_Phdr p = phdr(b, 1);
  p.p_filesz = p.p_memsz + 1;
  set_phdr(b, 1, p);
  EXPECT_NE(error_of(b).find("p_filesz"), std::string::npos) << error_of(b);

  b = build_elf(0x401000,
                {{0x401000, PF_R | PF_X, code(), 0x2000}, {0x402000, PF_R | PF_W, Bytes(16, 1)}});
  EXPECT_NE(error_of(b).find("overlaps"), std::string::npos) << error_of(b);

  b = build_elf(0x401000, {{0x401000, PF_R | PF_X, code()},
                           {0x7ffffffff000, PF_R | PF_W, Bytes(16, 1), 0x2000}});
  EXPECT_NE(error_of(b).find("user address space"), std::string::npos) << error_of(b);

  b = build_elf(0x401000, {{0x401000, PF_R | PF_X, code()},
                           {0x402000, PF_R | PF_W, Bytes(16, 1), ElfImage::kMaxMemory + 1}});
  EXPECT_NE(error_of(b).find("MiB"), std::string::npos) << error_of(b);

  b = build_elf(0x401000, {{0x0, PF_R | PF_X, code()}});
  EXPECT_NE(error_of(b).find("user address space"), std::string::npos) << error_of(b);

  b = good();
  p = phdr(b, 0);
  p.p_offset += 1;  // no longer congruent with p_vaddr
  set_phdr(b, 0, p);
  EXPECT_NE(error_of(b).find("modulo the page size"), std::string::npos) << error_of(b);
}

TEST(X86ElfImage, RefusesAnEntryOutsideTheCode) {
  Bytes b =
      build_elf(0x402008, {{0x401000, PF_R | PF_X, code()}, {0x402000, PF_R | PF_W, Bytes(16, 0)}});
  EXPECT_NE(error_of(b).find("entry point 0x402008"), std::string::npos) << error_of(b);
  b = build_elf(0x401000, {{0x401000, PF_R | PF_X, code(), 0, PT_NOTE}});
  EXPECT_NE(error_of(b).find("no PT_LOAD"), std::string::npos) << error_of(b);
}

TEST(X86ElfImage, MissingFileNamesTheFile) {
  try {
    (void)ElfImage::load("/nonexistent/dir/prog.elf");
    FAIL() << "loaded a missing file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/prog.elf"), std::string::npos);
  }
}

}  // namespace
}  // namespace cbit::x86
