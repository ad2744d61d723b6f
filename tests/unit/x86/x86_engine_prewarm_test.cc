// x86/engine_prewarm.h: the engine made on another thread is taken once, and runs code on the
// taking thread as one opened there does; without a prewarm there is nothing to take.
#include <gtest/gtest.h>
#include <unicorn/unicorn.h>

#include <cstdint>

#include "x86/engine_prewarm.h"

namespace cbit::x86 {
namespace {

TEST(EnginePrewarm, NothingToTakeWithoutAPrewarm) { EXPECT_EQ(take_prewarmed_engine(), nullptr); }

TEST(EnginePrewarm, ThePrewarmedEngineIsTakenOnceAndRunsCodeHere) {
  prewarm_engine();
  prewarm_engine();  // one engine pending at a time: the second call adds none
  uc_engine* uc = take_prewarmed_engine();
  ASSERT_NE(uc, nullptr);
  EXPECT_EQ(take_prewarmed_engine(), nullptr);  // taken: gone from the pending slot
  // mov rax, 0x2a ; add rax, rax
  const uint8_t code[] = {0x48, 0xc7, 0xc0, 0x2a, 0x00, 0x00, 0x00, 0x48, 0x01, 0xc0};
  constexpr uint64_t kBase = 0x400000;
  ASSERT_EQ(uc_mem_map(uc, kBase, 0x1000, UC_PROT_ALL), UC_ERR_OK);
  ASSERT_EQ(uc_mem_write(uc, kBase, code, sizeof code), UC_ERR_OK);
  ASSERT_EQ(uc_emu_start(uc, kBase, kBase + sizeof code, 0, 0), UC_ERR_OK);
  uint64_t rax = 0;
  ASSERT_EQ(uc_reg_read(uc, UC_X86_REG_RAX, &rax), UC_ERR_OK);
  EXPECT_EQ(rax, 0x54u);
  uc_close(uc);
}

}  // namespace
}  // namespace cbit::x86
