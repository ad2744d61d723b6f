// find_guest_program: the build tree's examples/guest/<name>.elf, or an error naming the places.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "common/file.h"
#include "x86/elf_image.h"
#include "x86/guest_programs.h"

namespace cbit::x86 {
namespace {

constexpr uint64_t kMax = ElfImage::kMaxFileSize;

TEST(X86GuestPrograms, FindsTheSeedProgram) {
  // Beside the test binary's directory tree or in the build tree: this build's program.
  const std::string p = find_guest_program("secret");
  EXPECT_EQ(std::filesystem::path(p).filename(), "secret.elf");
  EXPECT_EQ(read_file(p, kMax), read_file(CBIT_GUEST_SECRET_ELF, kMax)) << p;
}

TEST(X86GuestPrograms, UnknownProgramNamesItAndWhereItLooked) {
  try {
    (void)find_guest_program("no-such-program");
    FAIL() << "found a program that does not exist";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("no-such-program.elf"), std::string::npos) << m;
    EXPECT_NE(m.find("looked in"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace cbit::x86
